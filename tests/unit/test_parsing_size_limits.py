"""EventParser.parse_record: the size limits of one event (alone or in a batch), of one
record, and of the texts and product lists an event carries."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from models.bounds import MAX_CATEGORY_CHARS, MAX_PRODUCTS, MAX_TEXT_CHARS
from models.json_fields import RejectReason
from models.parsing import EventParser
from tests.unit.parsing_support import (
    NOW,
    ORDER_WEB,
    PAGE,
    PARSER,
    PRODUCT_VIEWED,
    SEARCHED,
    TS,
    build,
    parse_one,
    reject_one,
)

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


def test_a_batch_member_over_max_event_bytes_is_too_large_and_its_siblings_pass() -> None:
    members = [padded("m-0", 10), padded("m-big", 600), padded("m-2", 10)]
    raw = orjson.dumps({"batch": members, "sentAt": TS})
    assert len(raw) <= 4096
    record = SMALL.parse_record(raw, NOW)
    assert [e.message_id for e in record.events] == ["m-0", "m-2"]
    assert record.batch_indexes == (0, 2)
    (rejection,) = record.rejections
    assert (rejection.reason, rejection.batch_index) == (RejectReason.TOO_LARGE, 1)
    assert rejection.original == orjson.dumps(members[1])
    assert rejection.message.startswith("batch[1]: event is") and "512" in rejection.message


def test_the_default_limits_refuse_a_450_kb_event_inside_a_batch() -> None:
    members = [padded("m-0", 10), padded("m-big", 450 * 1024)]
    record = PARSER.parse_record(orjson.dumps({"batch": members}), NOW)
    assert [e.message_id for e in record.events] == ["m-0"]
    assert [(r.reason, r.batch_index) for r in record.rejections] == [(RejectReason.TOO_LARGE, 1)]


def test_a_batch_member_of_exactly_max_event_bytes_is_accepted() -> None:
    member = padded("m-edge", 100)
    size = len(orjson.dumps(member))
    raw = orjson.dumps({"batch": [member]})
    exact = EventParser(max_record_bytes=4096, max_event_bytes=size)
    assert len(exact.parse_record(raw, NOW).events) == 1
    smaller = EventParser(max_record_bytes=4096, max_event_bytes=size - 1)
    (rejection,) = smaller.parse_record(raw, NOW).rejections
    assert rejection.reason is RejectReason.TOO_LARGE


def test_a_member_nested_too_deep_to_re_encode_is_too_large_and_carries_the_record() -> None:
    # orjson decodes 1024 levels but encodes only 254: the member cannot be re-encoded.
    deep = b"[" * 300 + b"]" * 300
    raw = b'{"batch": [' + orjson.dumps(padded("m-0", 0)) + b", " + deep + b"]}"
    record = PARSER.parse_record(raw, NOW)
    assert [e.message_id for e in record.events] == ["m-0"]
    (rejection,) = record.rejections
    assert (rejection.reason, rejection.batch_index) == (RejectReason.TOO_LARGE, 1)
    assert rejection.original == raw
    assert "nested" in rejection.message


def test_a_single_event_nested_deep_is_parsed_from_its_own_bytes() -> None:
    raw = orjson.dumps(build(PAGE, properties={"url": "/"})).replace(
        b'"url"', b'"deep":' + b"[" * 300 + b"]" * 300 + b',"url"'
    )
    assert len(PARSER.parse_record(raw, NOW).events) == 1


TEXTS = [
    (PRODUCT_VIEWED, "properties__category", MAX_CATEGORY_CHARS, "properties.category"),
    (PRODUCT_VIEWED, "properties__name", MAX_TEXT_CHARS, "properties.name"),
    (ORDER_WEB, "properties__products__0__brand", MAX_TEXT_CHARS, "properties.products[0].brand"),
    (ORDER_WEB, "properties__currency", MAX_TEXT_CHARS, "properties.currency"),
    (SEARCHED, "properties__query", MAX_TEXT_CHARS, "properties.query"),
]


@pytest.mark.parametrize(("base", "path", "limit", "field"), TEXTS, ids=[t[3] for t in TEXTS])
def test_a_text_past_its_limit_is_too_large_and_at_it_accepted(
    base: dict[str, Any], path: str, limit: int, field: str
) -> None:
    parse_one(build(base, **{path: "x" * limit}))
    rejection = reject_one(orjson.dumps(build(base, **{path: "x" * (limit + 1)})))
    assert rejection.reason is RejectReason.TOO_LARGE
    assert field in rejection.message and str(limit) in rejection.message


def test_a_product_list_past_its_limit_is_too_large_and_at_it_accepted() -> None:
    listed = [{"product_id": f"p{i}", "price": 1} for i in range(MAX_PRODUCTS + 1)]
    order = parse_one(build(ORDER_WEB, properties__products=listed[:MAX_PRODUCTS]))
    assert len(order.products) == MAX_PRODUCTS
    rejection = reject_one(orjson.dumps(build(ORDER_WEB, properties__products=listed)))
    assert rejection.reason is RejectReason.TOO_LARGE
    assert "properties.products" in rejection.message
