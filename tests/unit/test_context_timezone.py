"""The customer's own time zone: parsed from context.timezone, folded latest-wins,
kept in the stored context, and the local calendar day the daily cap counts."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import orjson
import pytest

from models.context import CustomerContext, merge, to_document
from models.context.stored import pack
from models.context.timezone import ZoneChoice
from models.timezones import NOT_TEXT, UNKNOWN_ZONE, local_day_ms, zone_problem
from tests.unit.parsing_support import parse_one
from tests.unit.test_context_support import at_ms, fold_all, iso


def page(message_id: str, minutes: float, zone: Any, anonymous_id: str = "anon-1") -> Any:
    return parse_one(
        {
            "messageId": message_id,
            "type": "page",
            "anonymousId": anonymous_id,
            "timestamp": iso(at_ms(minutes)),
            "context": {"channel": "web", "timezone": zone},
            "properties": {},
        }
    )


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_a_known_zone_is_kept_on_the_event() -> None:
    event = page("m1", 0, "America/New_York")
    assert (event.timezone, event.timezone_ignored) == ("America/New_York", None)


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("Mars/Olympus", UNKNOWN_ZONE),
        ("", UNKNOWN_ZONE),
        ("../../etc/passwd", UNKNOWN_ZONE),
        ("x" * 100, UNKNOWN_ZONE),
        ("localtime", UNKNOWN_ZONE),  # the worker's own zone: no customer's
        ("Factory", UNKNOWN_ZONE),
        ("Europe/Paris\n", UNKNOWN_ZONE),
        (5, NOT_TEXT),
        (["Europe/Paris"], NOT_TEXT),
    ],
)
def test_a_bad_zone_is_ignored_and_the_event_still_parses(zone: Any, reason: str) -> None:
    event = page("m1", 0, zone)
    assert (event.timezone, event.timezone_ignored) == (None, reason)
    assert zone_problem(zone) == reason
    assert fold_all([event]).events_total == 1
    assert fold_all([event]).timezone is None


def test_null_or_absent_zone_is_no_report() -> None:
    assert page("m1", 0, None).timezone_ignored is None


def test_the_latest_zone_by_event_time_wins_in_any_order_and_on_replay() -> None:
    events = [page("a", 5, "Asia/Tokyo"), page("b", 1, "Europe/London"), page("c", 3, "bad/zone")]
    for order in itertools.permutations(events):
        context = fold_all([*order, *order])  # a replay folds the same again
        assert context.timezone == ZoneChoice("Asia/Tokyo", at_ms(5))


def test_merge_keeps_the_newer_zone_of_either_side() -> None:
    customer = fold_all([page("a", 1, "Europe/London", anonymous_id="c")])
    visitor = fold_all([page("b", 2, "Asia/Tokyo", anonymous_id="v")])
    assert merge(customer, visitor, "v").timezone == ZoneChoice("Asia/Tokyo", at_ms(2))
    assert merge(visitor, customer, "c").timezone == ZoneChoice("Asia/Tokyo", at_ms(2))
    assert merge(customer, CustomerContext(), "v").timezone == customer.timezone


def test_zone_round_trips_and_shows_in_the_document() -> None:
    context = fold_all([page("a", 1, "Asia/Tokyo")])
    assert CustomerContext.from_json(context.to_stored()) == context
    assert orjson.loads(context.to_json())["timezone"] == ["Asia/Tokyo", at_ms(1)]
    assert to_document(context, at_ms(2))["timezone"] == "Asia/Tokyo"
    assert to_document(CustomerContext(), at_ms(2))["timezone"] is None


def test_a_context_stored_before_zones_still_loads() -> None:
    schema_3 = orjson.dumps({"schema": 3, "events_total": 2, "last_channel": "web"})
    for stored in (schema_3, pack(schema_3)):
        context = CustomerContext.from_json(stored)
        assert (context.events_total, context.timezone) == (2, None)


def test_local_day_is_midnight_to_midnight_in_the_zone() -> None:
    start, end = local_day_ms(ms("2026-06-10T23:30:00+00:00"), "America/New_York")
    assert (start, end) == (ms("2026-06-10T00:00:00-04:00"), ms("2026-06-11T00:00:00-04:00"))
    # The same instant is already the next day in Tokyo.
    start, _ = local_day_ms(ms("2026-06-10T23:30:00+00:00"), "Asia/Tokyo")
    assert start == ms("2026-06-11T00:00:00+09:00")


@pytest.mark.parametrize(
    ("zone", "instant", "hours"),
    [
        ("Europe/Paris", "2026-03-29T12:00:00+00:00", 23),  # spring forward at 02:00
        ("Europe/Paris", "2026-10-25T12:00:00+00:00", 25),  # fall back at 03:00
        ("America/Santiago", "2026-09-06T12:00:00+00:00", 23),  # midnight itself is skipped
        ("UTC", "2026-03-29T12:00:00+00:00", 24),
    ],
)
def test_local_day_lasts_23_or_25_hours_on_clock_changes(
    zone: str, instant: str, hours: int
) -> None:
    at = ms(instant)
    start, end = local_day_ms(at, zone)
    assert start <= at < end
    assert end - start == hours * 3_600_000
    # Midnight is the first instant of its date, and the instant before is the day before.
    assert local_day_ms(start, zone) == (start, end)
    assert local_day_ms(start - 1, zone)[1] == start
