"""EventParser.parse_record: timestamps normalised to UTC, the future bounded by ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from models.json_fields import RejectReason
from models.parsing import EventParser
from tests.unit.parsing_support import NOW, PAGE, PARSER, build, parse_one, reject_one


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
