"""EventParser.parse_record: a batch keeps its good events and rejects the bad ones by index."""

from __future__ import annotations

from typing import Any

import orjson

from models.json_fields import RejectReason
from tests.unit.parsing_support import (
    DROP,
    IDENTIFY,
    ORDER_STORE,
    PAGE,
    PRODUCT_VIEWED,
    SCREEN,
    TS,
    build,
    parse,
)


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
