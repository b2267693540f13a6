"""EventParser.parse_record: the size limits of one event and of one record."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from models.json_fields import RejectReason
from models.parsing import EventParser
from tests.unit.parsing_support import NOW, PAGE, TS, build, reject_one

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
