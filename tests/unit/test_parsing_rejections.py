"""EventParser.parse_record: each invalid record is rejected with its reason, naming the field."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from models.json_fields import RejectReason
from tests.unit.parsing_support import (
    ADDED,
    CONSENT,
    CUSTOM,
    DROP,
    IDENTIFY,
    ORDER_STORE,
    ORDER_WEB,
    PAGE,
    PRODUCT_VIEWED,
    SEARCHED,
    STOCK,
    build,
    reject_one,
)


@pytest.mark.parametrize(
    ("raw", "reason", "words"),
    [
        (b"\xff\xfe{}", RejectReason.NOT_UTF8, "not JSON"),
        (b'{"messageId": "\xc3\x28"}', RejectReason.NOT_UTF8, "not JSON"),
        (b"{not json", RejectReason.NOT_JSON, "not JSON"),
        (b"", RejectReason.NOT_JSON, "not JSON"),
        (b'{"a": 1} trailing', RejectReason.NOT_JSON, "not JSON"),
        (b"[1, 2]", RejectReason.NOT_OBJECT, "array"),
        (b'"page"', RejectReason.NOT_OBJECT, "string"),
        (b"42", RejectReason.NOT_OBJECT, "number"),
        (b"null", RejectReason.NOT_OBJECT, "null"),
        (b"true", RejectReason.NOT_OBJECT, "boolean"),
    ],
)
def test_undecodable_records_are_rejected(raw: bytes, reason: RejectReason, words: str) -> None:
    rejection = reject_one(raw)
    assert rejection.reason is reason
    assert words in rejection.message


M = RejectReason.MISSING_FIELD
T = RejectReason.BAD_TYPE
V = RejectReason.BAD_VALUE
TSR = RejectReason.BAD_TIMESTAMP


@pytest.mark.parametrize(
    ("doc", "reason", "field"),
    [
        # missing_field
        pytest.param(build(PAGE, messageId=DROP), M, "messageId", id="no-messageId"),
        pytest.param(build(PAGE, messageId=None), M, "messageId", id="null-messageId"),
        pytest.param(build(PAGE, type=DROP), M, "type", id="no-type"),
        pytest.param(build(PRODUCT_VIEWED, event=DROP), M, "event", id="track-no-event"),
        pytest.param(build(PAGE, timestamp=DROP), M, "timestamp", id="no-timestamp"),
        pytest.param(build(PAGE, context=DROP), M, "context.channel", id="no-context"),
        pytest.param(build(PAGE, context={}), M, "context.channel", id="no-channel"),
        pytest.param(
            build(PRODUCT_VIEWED, properties__product_id=DROP),
            M,
            "properties.product_id",
            id="viewed-no-product_id",
        ),
        pytest.param(
            build(ADDED, properties={"products": []}),
            M,
            "properties.product_id",
            id="added-empty-products",
        ),
        pytest.param(
            build(ORDER_WEB, properties__order_id=DROP),
            M,
            "properties.order_id",
            id="no-order_id",
        ),
        pytest.param(
            build(ORDER_WEB, properties={"order_id": "o-1"}),
            M,
            "properties.total",
            id="order-no-total-no-products",
        ),
        pytest.param(
            build(ORDER_STORE, properties__store_id=DROP),
            M,
            "properties.store_id",
            id="till-no-store_id",
        ),
        pytest.param(build(IDENTIFY, userId=DROP), M, "userId", id="identify-no-userId"),
        pytest.param(
            build(STOCK, properties__quantity=DROP),
            M,
            "properties.quantity",
            id="stock-no-quantity",
        ),
        pytest.param(
            build(STOCK, properties__store_id=DROP),
            M,
            "properties.store_id",
            id="stock-no-store",
        ),
        pytest.param(build(SEARCHED, properties={}), M, "properties.query", id="search-no-query"),
        pytest.param(
            build(CONSENT, properties={"newsletter": True}),
            M,
            "properties.email",
            id="consent-no-channel",
        ),
        # bad_type
        pytest.param(build(PAGE, messageId=12345), T, "messageId", id="messageId-number"),
        pytest.param(build(PAGE, type=1), T, "type", id="type-number"),
        pytest.param(build(PAGE, userId=42), T, "userId", id="userId-number"),
        pytest.param(build(PAGE, anonymousId=["a"]), T, "anonymousId", id="anonymousId-array"),
        pytest.param(build(PRODUCT_VIEWED, event=7), T, "event", id="event-number"),
        pytest.param(build(PAGE, context="web"), T, "context", id="context-string"),
        pytest.param(build(PAGE, properties="x"), T, "properties", id="properties-string"),
        pytest.param(build(PAGE, properties=[1]), T, "properties", id="properties-array"),
        pytest.param(
            build(PRODUCT_VIEWED, properties__price="9.99"),
            T,
            "properties.price",
            id="price-string",
        ),
        pytest.param(
            build(PRODUCT_VIEWED, properties__price=True),
            T,
            "properties.price",
            id="price-boolean",
        ),
        pytest.param(
            build(ORDER_WEB, properties__products__1__price="1"),
            T,
            "properties.products[1].price",
            id="nested-price-string",
        ),
        pytest.param(
            build(ADDED, properties__quantity=1.5),
            T,
            "properties.quantity",
            id="quantity-float",
        ),
        pytest.param(
            build(ADDED, properties__quantity=2.0),
            T,
            "properties.quantity",
            id="quantity-whole-float",
        ),
        pytest.param(
            build(PRODUCT_VIEWED, properties__product_id=1.5),
            T,
            "properties.product_id",
            id="product_id-float",
        ),
        pytest.param(
            build(PRODUCT_VIEWED, properties__product_id=True),
            T,
            "properties.product_id",
            id="product_id-boolean",
        ),
        pytest.param(
            build(ORDER_WEB, properties__products="p-1"),
            T,
            "properties.products",
            id="products-string",
        ),
        pytest.param(
            build(ORDER_WEB, properties__products=["p-1"]),
            T,
            "properties.products[0]",
            id="product-not-object",
        ),
        pytest.param(
            build(PRODUCT_VIEWED, properties__category=3),
            T,
            "properties.category",
            id="category-number",
        ),
        pytest.param(
            build(CONSENT, properties__email="yes"), T, "properties.email", id="consent-string"
        ),
        pytest.param(build(CONSENT, properties__sms=1), T, "properties.sms", id="consent-number"),
        pytest.param(
            build(SEARCHED, properties__query=["a"]), T, "properties.query", id="query-array"
        ),
        pytest.param({"batch": {"messageId": "m"}}, T, "batch", id="batch-object"),
        pytest.param({"batch": "m-1"}, T, "batch", id="batch-string"),
        pytest.param({"batch": None}, T, "batch", id="batch-null"),
        # bad_value
        pytest.param(build(PAGE, type="alias"), V, "type", id="unknown-type"),
        pytest.param(build(PAGE, type="Page"), V, "type", id="type-case"),
        pytest.param(build(PAGE, context={"channel": "tv"}), V, "context.channel", id="channel"),
        pytest.param(build(PAGE, messageId="x" * 129), V, "messageId", id="messageId-129"),
        pytest.param(build(PAGE, messageId=""), V, "messageId", id="messageId-empty"),
        pytest.param(build(PAGE, messageId="   "), V, "messageId", id="messageId-blank"),
        pytest.param(
            build(PRODUCT_VIEWED, properties__price=-0.01),
            V,
            "properties.price",
            id="negative-price",
        ),
        pytest.param(
            build(ORDER_WEB, properties__total=-1),
            V,
            "properties.total",
            id="negative-total",
        ),
        pytest.param(
            build(ADDED, properties__quantity=0), V, "properties.quantity", id="quantity-0"
        ),
        pytest.param(
            build(STOCK, properties__quantity=-1),
            V,
            "properties.quantity",
            id="negative-stock",
        ),
        pytest.param({"batch": []}, V, "batch", id="empty-batch"),
        # bad_timestamp
        pytest.param(build(PAGE, timestamp="yesterday"), TSR, "timestamp", id="ts-text"),
        pytest.param(build(PAGE, timestamp="2024-13-01T00:00:00Z"), TSR, "timestamp", id="m13"),
        pytest.param(build(PAGE, timestamp="2024-06-01T11:00:00"), TSR, "time zone", id="ts-naive"),
        pytest.param(build(PAGE, timestamp="2024-06-01"), TSR, "time zone", id="ts-date-only"),
        pytest.param(build(PAGE, timestamp=1717236000), TSR, "timestamp", id="ts-number"),
        pytest.param(build(PAGE, timestamp=["x"]), TSR, "timestamp", id="ts-array"),
        # future_timestamp
        pytest.param(
            build(PAGE, timestamp="2024-06-02T12:00:01Z"),
            RejectReason.FUTURE_TIMESTAMP,
            "timestamp",
            id="ts-24h-and-1s",
        ),
        pytest.param(
            build(PAGE, timestamp="2024-06-03T00:00:00+02:00"),
            RejectReason.FUTURE_TIMESTAMP,
            "timestamp",
            id="ts-34h",
        ),
        # missing_identity
        pytest.param(
            build(PAGE, anonymousId=DROP),
            RejectReason.MISSING_IDENTITY,
            "userId",
            id="page-no-ids",
        ),
        pytest.param(
            build(PAGE, anonymousId="", userId=None),
            RejectReason.MISSING_IDENTITY,
            "anonymousId",
            id="page-empty-ids",
        ),
        pytest.param(
            build(ORDER_WEB, userId=DROP, anonymousId=DROP),
            RejectReason.MISSING_IDENTITY,
            "userId",
            id="web-order-no-ids",
        ),
        pytest.param(
            build(ADDED, anonymousId=DROP),
            RejectReason.MISSING_IDENTITY,
            "anonymousId",
            id="added-no-ids",
        ),
        pytest.param(
            build(CUSTOM, anonymousId=DROP),
            RejectReason.MISSING_IDENTITY,
            "userId",
            id="custom-no-ids",
        ),
    ],
)
def test_invalid_events_are_rejected_naming_the_field(
    doc: dict[str, Any], reason: RejectReason, field: str
) -> None:
    rejection = reject_one(orjson.dumps(doc))
    assert rejection.reason is reason
    assert field in rejection.message
