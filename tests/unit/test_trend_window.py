"""A trend window's totals kept by difference equal the totals summed afresh, however
the window moves, buckets are read anew, or increments are noted."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.redis.trend_fields import trend_field
from streams.redis.trend_window import WindowTotals, added, index_by_category

FIELDS = [
    *(trend_field(k, "cp", c, p) for k in "vab" for c in ("socks", "hats") for p in ("p-1", "p|2")),
    trend_field("v", "p", "p-1"),
    trend_field("b", "sp", "s-1", "p-1"),
    "v|cp|socks|forged|extra",
]
buckets = st.dictionaries(st.sampled_from(FIELDS), st.integers(1, 5), max_size=6)


def summed(window: Mapping[int, Mapping[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for bucket in window.values():
        for name, count in bucket.items():
            totals[name] = totals.get(name, 0) + count
    return totals


def assert_sums_its_buckets(totals: WindowTotals) -> None:
    expected = summed(totals.buckets)
    assert totals.counts == expected
    assert totals.by_category == index_by_category(expected)


@settings(max_examples=300)
@given(st.data())
def test_moved_and_noted_totals_equal_totals_summed_afresh(data: st.DataObject) -> None:
    readings: dict[int, Mapping[str, int]] = {}  # each minute's bucket as cached now
    totals = WindowTotals()
    for step in data.draw(st.lists(st.sampled_from(["move", "reread", "note"]), max_size=25)):
        minute = data.draw(st.integers(0, 5))
        if step == "move":
            width = data.draw(st.integers(0, 4))
            window = {
                m: readings.get(m) or readings.setdefault(m, data.draw(buckets))
                for m in range(minute, minute + width)
            }
            totals.move_to(window)
            assert totals.buckets.keys() == window.keys()
            assert all(totals.buckets[m] is window[m] for m in window)
            assert totals.counts == summed(window)
        elif step == "reread":  # a new reading: a new object, whether or not it differs
            readings[minute] = dict(data.draw(buckets))
        else:
            increments = data.draw(buckets.filter(bool))
            before = readings.get(minute)
            after = None if before is None else added(before, increments)
            if after is not None:
                readings[minute] = after
            if minute in totals.buckets or data.draw(st.booleans()):
                totals.note(minute, increments, before, after)
        assert_sums_its_buckets(totals)


WALKED: set[int] = set()


class Watched(dict[str, int]):
    """A bucket that notes each minute whose counts were walked."""

    def __init__(self, minute: int, counts: dict[str, int]) -> None:
        super().__init__(counts)
        self.minute = minute

    def items(self):  # type: ignore[override]
        WALKED.add(self.minute)
        return super().items()


def test_a_window_moving_by_a_minute_walks_only_the_minutes_that_changed() -> None:
    hour = {m: Watched(m, {trend_field("v", "cp", "socks", f"p-{m}"): 1}) for m in range(61)}
    totals = WindowTotals.of({m: hour[m] for m in range(60)})
    WALKED.clear()
    totals.move_to({m: hour[m] for m in range(1, 61)})
    assert {0, 60} == WALKED
    assert totals.by_category["socks"] == {f"p-{m}": 1 for m in range(1, 61)}


def test_counts_that_fall_to_zero_leave_no_entry() -> None:
    socks = {trend_field("v", "cp", "socks", "p-1"): 2}
    hats = {trend_field("v", "cp", "hats", "h-1"): 1}
    totals = WindowTotals.of({0: socks, 1: hats})
    totals.move_to({1: hats})
    assert totals.counts == hats
    assert totals.by_category == {"hats": {"h-1": 1}}
