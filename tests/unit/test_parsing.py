"""EventParser.parse_record: the input contract of PRODUCT.md, record by record."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from models.events import (
    CallType,
    Channel,
    Event,
    EventKind,
    Order,
    Product,
    StockLevel,
)
from models.identity import Identity, IdentityKind
from models.json_fields import RejectReason
from models.parsing import EventParser, ParsedRecord, Rejection

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TS = "2024-06-01T11:00:00Z"
PARSER = EventParser()
DROP = object()  # marks a key to delete in `build`


# --------------------------------------------------------------------------- helpers


def build(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with dotted paths set (``properties__price``) or dropped."""
    doc = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(leaf) if isinstance(target, list) else leaf
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value
    return doc


def envelope(call: str = "track", event: str | None = None, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "messageId": "m-1",
        "type": call,
        "anonymousId": "anon-1",
        "timestamp": TS,
        "context": {"channel": "web"},
        "properties": {},
    }
    if event is not None:
        doc["event"] = event
    doc.update(fields)
    return doc


def parse(doc: Any, parser: EventParser = PARSER) -> ParsedRecord:
    return parser.parse_record(orjson.dumps(doc), NOW)


def parse_one(doc: dict[str, Any]) -> Event:
    record = parse(doc)
    assert record.rejections == (), record.rejections
    assert len(record.events) == 1
    assert record.batch_indexes == (None,)
    return record.events[0]


def reject_one(raw: bytes, parser: EventParser = PARSER) -> Rejection:
    record = parser.parse_record(raw, NOW)
    assert record.events == ()
    assert len(record.rejections) == 1
    rejection = record.rejections[0]
    assert rejection.original == raw
    assert rejection.batch_index is None
    return rejection


PAGE = envelope("page", properties={"url": "https://shop.example/p/1", "title": "Shoes"})
SCREEN = envelope("screen", name="Home", context={"channel": "mobile"})
IDENTIFY = envelope("identify", userId="u-1", traits={"email": "a@example.com"})
PRODUCT_VIEWED = envelope(
    event="Product Viewed",
    properties={"product_id": "p-1", "category": "shoes", "name": "Runner", "price": 89.9},
)
SEARCHED = envelope(event="Products Searched", properties={"query": "red shoes"})
CONSENT = envelope(event="Consent Updated", userId="u-1", properties={"email": True, "sms": False})
ADDED = envelope(
    event="Product Added", properties={"product_id": "p-1", "price": 10.0, "quantity": 2}
)
REMOVED = envelope(event="Product Removed", properties={"product_id": "p-1"})
CART_VIEWED = envelope(event="Cart Viewed", properties={"products": [{"product_id": "p-1"}]})
CHECKOUT = envelope(
    event="Checkout Started", properties={"products": [{"product_id": "p-1", "price": 5}]}
)
ORDER_WEB = envelope(
    event="Order Completed",
    userId="u-1",
    properties={
        "order_id": "o-1",
        "total": 59.9,
        "currency": "EUR",
        "products": [
            {"product_id": "p-1", "category": "shoes", "price": 19.95, "quantity": 2},
            {"product_id": 42},
        ],
    },
)
ORDER_STORE = envelope(
    event="Order Completed",
    userId="u-1",
    context={"channel": "store"},
    properties={
        "order_id": "t-9",
        "store_id": "s-7",
        "total": 20,
        "currency": "EUR",
        "products": [{"product_id": "p-2", "price": 20}],
    },
)
TILL_ANONYMOUS = build(ORDER_STORE, userId=DROP, anonymousId=DROP)
STOCK = {
    "messageId": "stock-1",
    "type": "track",
    "event": "Stock Updated",
    "timestamp": TS,
    "context": {"channel": "store"},
    "properties": {"store_id": "s-7", "product_id": "p-2", "quantity": 3},
}
CUSTOM = envelope(event="Wishlist Shared", properties={"list": "xmas", "items": 3})


# --------------------------------------------------------------------------- valid events


@pytest.mark.parametrize(
    ("doc", "call", "kind", "channel"),
    [
        (PAGE, CallType.PAGE, EventKind.PAGE, Channel.WEB),
        (SCREEN, CallType.SCREEN, EventKind.SCREEN, Channel.MOBILE),
        (IDENTIFY, CallType.IDENTIFY, EventKind.IDENTIFY, Channel.WEB),
        (PRODUCT_VIEWED, CallType.TRACK, EventKind.PRODUCT_VIEWED, Channel.WEB),
        (SEARCHED, CallType.TRACK, EventKind.PRODUCTS_SEARCHED, Channel.WEB),
        (CONSENT, CallType.TRACK, EventKind.CONSENT_UPDATED, Channel.WEB),
        (ADDED, CallType.TRACK, EventKind.PRODUCT_ADDED, Channel.WEB),
        (REMOVED, CallType.TRACK, EventKind.PRODUCT_REMOVED, Channel.WEB),
        (CART_VIEWED, CallType.TRACK, EventKind.CART_VIEWED, Channel.WEB),
        (CHECKOUT, CallType.TRACK, EventKind.CHECKOUT_STARTED, Channel.WEB),
        (ORDER_WEB, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.WEB),
        (ORDER_STORE, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.STORE),
        (TILL_ANONYMOUS, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.STORE),
        (STOCK, CallType.TRACK, EventKind.STOCK_UPDATED, Channel.STORE),
        (CUSTOM, CallType.TRACK, EventKind.OTHER, Channel.WEB),
    ],
    ids=lambda v: v.value if isinstance(v, EventKind) else None,
)
def test_every_event_type_parses_to_its_kind(
    doc: dict[str, Any], call: CallType, kind: EventKind, channel: Channel
) -> None:
    event = parse_one(doc)
    assert (event.call, event.kind, event.channel) == (call, kind, channel)
    assert event.message_id == doc["messageId"]
    assert event.timestamp == datetime(2024, 6, 1, 11, 0, tzinfo=UTC)
    assert event.name == doc.get("event")
    assert event.properties == doc["properties"]


def test_page_and_screen_keep_url_and_name() -> None:
    assert parse_one(PAGE).properties["url"] == "https://shop.example/p/1"
    screen = parse_one(SCREEN)
    assert screen.name is None  # only track calls carry an event name
    assert screen.identity == Identity(IdentityKind.ANONYMOUS, "anon-1")


def test_identify_links_user_and_anonymous_ids() -> None:
    event = parse_one(IDENTIFY)
    assert (event.user_id, event.anonymous_id) == ("u-1", "anon-1")
    assert event.identity == Identity(IdentityKind.USER, "u-1")
    assert str(event.identity) == "user:u-1"


def test_product_viewed_has_one_typed_product() -> None:
    event = parse_one(PRODUCT_VIEWED)
    assert event.products == (
        Product(product_id="p-1", category="shoes", name="Runner", price=89.9, quantity=1),
    )
    assert event.order is None and event.stock is None


def test_product_added_and_removed_carry_their_product() -> None:
    assert parse_one(ADDED).products == (Product("p-1", price=10.0, quantity=2),)
    assert parse_one(REMOVED).products == (Product("p-1"),)


def test_cart_and_checkout_products_are_optional() -> None:
    assert parse_one(CHECKOUT).products == (Product("p-1", price=5.0),)
    assert parse_one(build(CART_VIEWED, properties={})).products == ()


def test_products_searched_keeps_the_query() -> None:
    assert parse_one(SEARCHED).query == "red shoes"


def test_consent_updated_booleans_become_a_consent_dict() -> None:
    event = parse_one(build(CONSENT, properties__push=True, properties__other="ignored"))
    assert event.consent == {"email": True, "sms": False, "push": True}
    assert all(isinstance(v, bool) for v in event.consent.values())


def test_online_order_has_order_and_products_with_defaults() -> None:
    event = parse_one(ORDER_WEB)
    assert event.order == Order(order_id="o-1", total=59.9, currency="EUR", store_id=None)
    assert event.products == (
        Product("p-1", category="shoes", price=19.95, quantity=2),
        Product("42", price=None, quantity=1),
    )


def test_order_total_defaults_to_the_sum_of_products() -> None:
    event = parse_one(build(ORDER_WEB, properties__total=DROP, properties__products__1__price=0.1))
    assert event.order is not None
    assert event.order.total == round(19.95 * 2 + 0.1, 2)


@pytest.mark.parametrize("store_id", ["s-7", 7])
def test_till_order_carries_its_store(store_id: object) -> None:
    event = parse_one(build(ORDER_STORE, properties__store_id=store_id))
    assert event.order == Order(order_id="t-9", total=20.0, currency="EUR", store_id=str(store_id))
    assert event.products == (Product("p-2", price=20.0),)
    assert event.identity == Identity(IdentityKind.USER, "u-1")


def test_anonymous_till_sale_is_valid_without_identity() -> None:
    event = parse_one(TILL_ANONYMOUS)
    assert event.user_id is None and event.anonymous_id is None
    assert event.identity is None
    assert event.order is not None and event.order.store_id == "s-7"


def test_stock_updated_needs_no_person() -> None:
    event = parse_one(build(STOCK, properties__product_id=123, properties__quantity=0))
    assert event.stock == StockLevel(store_id="s-7", product_id="123", quantity=0)
    assert event.identity is None


def test_unknown_track_event_is_other_and_keeps_properties() -> None:
    event = parse_one(CUSTOM)
    assert event.kind is EventKind.OTHER
    assert event.name == "Wishlist Shared"
    assert event.properties == {"list": "xmas", "items": 3}
    assert event.products == () and event.order is None


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (build(PRODUCT_VIEWED, properties__product_id=123), ("123",)),
        (build(ORDER_WEB, properties__products__0__product_id=7), ("7", "42")),
    ],
)
def test_integer_product_ids_become_strings(doc: dict[str, Any], expected: tuple[str]) -> None:
    assert tuple(p.product_id for p in parse_one(doc).products) == expected


def test_integer_order_id_becomes_a_string() -> None:
    event = parse_one(build(ORDER_WEB, properties__order_id=1001))
    assert event.order is not None and event.order.order_id == "1001"


@pytest.mark.parametrize(
    "timestamp",
    [
        "2024-06-01T14:00:00+02:00",
        "2024-06-01T07:00:00-05:00",
        "2024-06-01T12:00:00Z",
        "2024-06-01T12:00:00.000+00:00",
        "2024-06-01T17:30:00+05:30",
    ],
)
def test_timestamps_with_offsets_are_normalised_to_utc(timestamp: str) -> None:
    event = parse_one(build(PAGE, timestamp=timestamp))
    assert event.timestamp == NOW
    assert event.timestamp.utcoffset() == timedelta(0)
    assert event.timestamp.tzinfo is UTC


@pytest.mark.parametrize(
    ("user_id", "anonymous_id", "expected"),
    [
        ("u-1", "anon-1", Identity(IdentityKind.USER, "u-1")),
        ("u-1", DROP, Identity(IdentityKind.USER, "u-1")),
        (DROP, "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
        ("", "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
        (None, "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
    ],
)
def test_identity_prefers_user_id(
    user_id: object, anonymous_id: object, expected: Identity
) -> None:
    assert parse_one(build(PAGE, userId=user_id, anonymousId=anonymous_id)).identity == expected


@pytest.mark.parametrize(
    "timestamp",
    [
        "2024-06-02T11:00:00Z",  # 23 h ahead
        "2024-06-02T12:00:00Z",  # exactly 24 h ahead
        "2024-06-01T12:00:00Z",  # now
        "2015-03-01T08:00:00Z",  # backfill
        "1999-12-31T23:59:59.999+01:00",
    ],
)
def test_past_and_near_future_timestamps_are_valid(timestamp: str) -> None:
    event = parse_one(build(PAGE, timestamp=timestamp))
    assert event.timestamp == datetime.fromisoformat(timestamp).astimezone(UTC)


# --------------------------------------------------------------------------- rejections


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
        pytest.param(build(PAGE, userId="u" * 129), V, "userId", id="userId-129"),
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


def test_future_rejection_is_relative_to_the_given_now() -> None:
    raw = orjson.dumps(build(PAGE, timestamp="2030-01-01T00:00:00Z"))
    assert PARSER.parse_record(raw, NOW).rejections[0].reason is RejectReason.FUTURE_TIMESTAMP
    later = datetime(2029, 12, 31, 12, tzinfo=UTC)
    assert PARSER.parse_record(raw, later).events[0].timestamp == datetime(2030, 1, 1, tzinfo=UTC)


def test_max_future_is_configurable() -> None:
    raw = orjson.dumps(build(PAGE, timestamp="2024-06-01T13:00:00Z"))
    strict = EventParser(max_future=timedelta(minutes=30))
    assert reject_one(raw, strict).reason is RejectReason.FUTURE_TIMESTAMP
    assert PARSER.parse_record(raw, NOW).events


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("0001-01-01T00:00:00+14:00", id="before-year-1-in-utc"),
        pytest.param("9999-12-31T23:59:59-01:00", id="after-year-9999-in-utc"),
    ],
)
def test_timestamp_out_of_datetime_range_is_rejected_not_raised(timestamp: str) -> None:
    rejection = reject_one(orjson.dumps(build(PAGE, timestamp=timestamp)))
    assert rejection.reason is RejectReason.BAD_TIMESTAMP
    assert "timestamp" in rejection.message


# --------------------------------------------------------------------------- size limits

SMALL = EventParser(max_record_bytes=4096, max_event_bytes=512)


def padded(message_id: str, size: int) -> dict[str, Any]:
    return build(PAGE, messageId=message_id, properties__note="x" * size)


def test_single_event_over_max_event_bytes_is_too_large() -> None:
    raw = orjson.dumps(padded("m-big", 600))
    assert 512 < len(raw) < 4096
    rejection = reject_one(raw, SMALL)
    assert rejection.reason is RejectReason.TOO_LARGE
    assert "event" in rejection.message and "512" in rejection.message


def test_single_event_at_max_event_bytes_is_accepted() -> None:
    raw = orjson.dumps(padded("m-edge", 0))
    parser = EventParser(max_record_bytes=4096, max_event_bytes=len(raw))
    assert len(parser.parse_record(raw, NOW).events) == 1
    smaller = EventParser(max_record_bytes=4096, max_event_bytes=len(raw) - 1)
    assert reject_one(raw, smaller).reason is RejectReason.TOO_LARGE


@pytest.mark.parametrize("doc", [padded("m-huge", 5000), {"batch": [padded("b", 300)] * 20}])
def test_record_over_max_record_bytes_is_too_large(doc: dict[str, Any]) -> None:
    raw = orjson.dumps(doc)
    assert len(raw) > 4096
    rejection = reject_one(raw, SMALL)
    assert rejection.reason is RejectReason.TOO_LARGE
    assert "record" in rejection.message and "4096" in rejection.message


def test_too_large_record_is_checked_before_decoding() -> None:
    raw = b"\xff" * 5000
    assert reject_one(raw, SMALL).reason is RejectReason.TOO_LARGE


def test_batch_may_exceed_max_event_bytes_but_not_max_record_bytes() -> None:
    raw = orjson.dumps({"batch": [padded(f"m-{i}", 300) for i in range(3)], "sentAt": TS})
    assert 512 < len(raw) <= 4096
    record = SMALL.parse_record(raw, NOW)
    assert record.rejections == ()
    assert [e.message_id for e in record.events] == ["m-0", "m-1", "m-2"]


# --------------------------------------------------------------------------- batches


def test_batch_keeps_good_siblings_of_a_bad_event() -> None:
    bad = build(PRODUCT_VIEWED, messageId="m-bad", properties__price="cheap")
    doc = {
        "batch": [build(PAGE, messageId="m-0"), bad, build(SCREEN, messageId="m-2")],
        "sentAt": TS,
    }
    record = parse(doc)
    assert [e.message_id for e in record.events] == ["m-0", "m-2"]
    assert record.batch_indexes == (0, 2)
    (rejection,) = record.rejections
    assert rejection.reason is RejectReason.BAD_TYPE
    assert rejection.batch_index == 1
    assert rejection.message.startswith("batch[1]: ")
    assert "properties.price" in rejection.message
    assert rejection.original == orjson.dumps(bad)
    assert orjson.loads(rejection.original) == bad


def test_batch_indexes_line_up_with_events() -> None:
    items: list[Any] = [
        "not an object",
        build(PAGE, messageId="a"),
        build(PAGE, messageId=DROP),
        build(IDENTIFY, messageId="b"),
        None,
        build(ORDER_STORE, messageId="c"),
    ]
    record = parse({"batch": items})
    assert len(record.events) == len(record.batch_indexes)
    for event, index in zip(record.events, record.batch_indexes, strict=True):
        assert index is not None and items[index]["messageId"] == event.message_id
    assert [r.batch_index for r in record.rejections] == [0, 2, 4]
    assert [r.reason for r in record.rejections] == [
        RejectReason.NOT_OBJECT,
        RejectReason.MISSING_FIELD,
        RejectReason.NOT_OBJECT,
    ]
    assert record.rejections[0].original == b'"not an object"'
    assert record.rejections[2].original == b"null"


def test_batch_of_all_bad_events_has_no_events() -> None:
    record = parse({"batch": [1, 2]})
    assert record.events == () and record.batch_indexes == ()
    assert [r.batch_index for r in record.rejections] == [0, 1]


# --------------------------------------------------------------------------- never raises

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
CONTRACT_KEYS = st.sampled_from(
    [
        "messageId",
        "type",
        "event",
        "userId",
        "anonymousId",
        "timestamp",
        "context",
        "channel",
        "properties",
        "products",
        "product_id",
        "price",
        "quantity",
        "batch",
        "order_id",
    ]
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(CONTRACT_KEYS | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)


def check_record(record: ParsedRecord, raw: bytes) -> None:
    assert isinstance(record, ParsedRecord)
    assert len(record.events) == len(record.batch_indexes)
    assert all(isinstance(e, Event) for e in record.events)
    for rejection in record.rejections:
        assert isinstance(rejection.reason, RejectReason)
        assert rejection.message
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    batch = document.get("batch") if isinstance(document, dict) else None
    if isinstance(batch, list) and batch and len(raw) <= PARSER.max_record_bytes:
        assert len(record.events) + len(record.rejections) == len(batch)
        assert {r.batch_index for r in record.rejections}.isdisjoint(record.batch_indexes)
    else:
        assert len(record.events) + len(record.rejections) == 1
        assert all(r.original == raw for r in record.rejections)


@given(st.binary(max_size=200))
def test_parser_never_raises_on_random_bytes(raw: bytes) -> None:
    check_record(PARSER.parse_record(raw, NOW), raw)


@given(json_values)
def test_parser_never_raises_on_random_json(value: Any) -> None:
    raw = orjson.dumps(value)
    check_record(PARSER.parse_record(raw, NOW), raw)


@given(st.lists(json_values, min_size=1, max_size=4))
def test_parser_never_raises_on_random_batches(items: list[Any]) -> None:
    raw = orjson.dumps({"batch": items})
    record = PARSER.parse_record(raw, NOW)
    check_record(record, raw)
    assert sorted([*record.batch_indexes, *(r.batch_index for r in record.rejections)]) == list(
        range(len(items))
    )


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
timestamps = st.datetimes(timezones=offsets).map(datetime.isoformat)


@given(st.datetimes(timezones=offsets))
@example(datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))))
@example(datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))))
@example(datetime.min.replace(tzinfo=UTC))
def test_any_iso_timestamp_is_accepted_or_rejected_never_raised(at: datetime) -> None:
    record = parse(build(PAGE, timestamp=at.isoformat()))
    if record.events:
        (event,) = record.events
        assert event.timestamp == at
        assert event.timestamp.utcoffset() == timedelta(0)
        assert at - NOW <= PARSER.max_future
    else:
        (rejection,) = record.rejections
        assert rejection.reason in (RejectReason.BAD_TIMESTAMP, RejectReason.FUTURE_TIMESTAMP)
        assert "timestamp" in rejection.message


VALID_DOCS = [
    PAGE,
    SCREEN,
    IDENTIFY,
    PRODUCT_VIEWED,
    SEARCHED,
    CONSENT,
    ADDED,
    REMOVED,
    CART_VIEWED,
    CHECKOUT,
    ORDER_WEB,
    ORDER_STORE,
    TILL_ANONYMOUS,
    STOCK,
    CUSTOM,
]
MUTABLE_PATHS = [
    ("messageId",),
    ("type",),
    ("event",),
    ("userId",),
    ("anonymousId",),
    ("timestamp",),
    ("context",),
    ("context", "channel"),
    ("properties",),
    *(
        ("properties", key)
        for key in (
            "product_id",
            "price",
            "quantity",
            "order_id",
            "store_id",
            "total",
            "currency",
            "products",
            "query",
            "email",
            "sms",
        )
    ),
    ("properties", "products", 0),
    ("properties", "products", 0, "product_id"),
    ("properties", "products", 0, "price"),
    ("properties", "products", 0, "quantity"),
]
odd_values = st.sampled_from(["", " ", "x" * 129, -1, 0, 1.5, 2.0, True, [], {}, 2**63 - 1])
mutations = st.lists(
    st.tuples(
        st.sampled_from(MUTABLE_PATHS),
        st.one_of(json_values, timestamps, odd_values, st.just(DROP)),
    ),
    max_size=3,
)


def has(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def mutate(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set (or drop) ``path`` in ``doc`` when its parent exists; otherwise do nothing."""
    target: Any = doc
    for part in path[:-1]:
        if not has(target, part):
            return
        target = target[part]
    leaf = path[-1]
    if value is DROP and has(target, leaf):
        del target[leaf]
    elif value is not DROP and (
        has(target, leaf) or (isinstance(target, dict) and isinstance(leaf, str))
    ):
        # sampled_from hands out the same {} and [] objects: copy them, or a dict can end
        # up containing itself
        target[leaf] = copy.deepcopy(value)


@given(st.sampled_from(VALID_DOCS), mutations)
def test_parser_never_raises_on_mutated_valid_events(
    base: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]
) -> None:
    doc = copy.deepcopy(base)
    for path, value in changes:
        mutate(doc, path, value)
    raw = orjson.dumps(doc)
    record = PARSER.parse_record(raw, NOW)
    check_record(record, raw)
    if not changes:
        assert len(record.events) == 1
    for event in record.events:
        assert event.timestamp.utcoffset() == timedelta(0)
        assert event.timestamp - NOW <= PARSER.max_future
        assert 0 < len(event.message_id) <= 128
        assert event.identity is not None or event.kind in (
            EventKind.STOCK_UPDATED,
            EventKind.ORDER_COMPLETED,
        )
        assert all(p.quantity >= 1 and (p.price or 0) >= 0 for p in event.products)
