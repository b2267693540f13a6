"""A slid trend window holds exactly what summing its buckets afresh gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.redis.trend_fields import trend_field
from streams.redis.trend_window import Buckets, WindowTotals, slide, summed

FIELDS = [
    trend_field(kind, "cp", category, product)
    for kind in ("v", "a", "b")
    for category in ("socks", "hats")
    for product in ("p-1", "p-2", "p|3")
] + [trend_field("v", "p", "p-1"), trend_field("b", "sp", "s-1", "p-2")]

counters = st.dictionaries(st.sampled_from(FIELDS), st.integers(1, 50), min_size=1, max_size=6)


@st.composite
def windows(draw: st.DrawFn) -> tuple[Buckets, list[tuple[int, dict[str, int]]], Buckets]:
    """A window's buckets, what was noted into it since, and the next window's buckets:
    moved on by some minutes, some buckets re-read, the noted minutes as newer objects."""
    first = draw(st.integers(0, 5))
    old: Buckets = {m: draw(counters) for m in range(first, first + 8)}
    noted = draw(st.lists(st.tuples(st.sampled_from(sorted(old)), counters), max_size=3))
    start = first + draw(st.sampled_from([0, 0, 1, 1, 2, 3, 9]))  # mostly a small move
    new: Buckets = {}
    for minute in range(start, start + 8):
        bucket = old.get(minute)
        if bucket is None or draw(st.integers(0, 5)) == 0:  # unknown before, or read again
            bucket = draw(counters)
        new[minute] = bucket
    for minute, counts in noted:  # noting replaces the cached bucket with a new object
        if minute in new:
            grown = dict(new[minute])
            for name, count in counts.items():
                grown[name] = grown.get(name, 0) + count
            new[minute] = grown
    return old, noted, new


def _as_summed(window: WindowTotals) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    return window.counts, window.by_category


@given(windows())
def test_sliding_gives_the_fresh_sum(
    case: tuple[Buckets, list[tuple[int, dict[str, int]]], Buckets],
) -> None:
    old, noted, new = case
    last = summed(old)
    for _minute, counts in noted:
        last.add(counts)
    before = (dict(last.counts), {c: dict(p) for c, p in last.by_category.items()})
    assert _as_summed(slide(last, new)) == _as_summed(summed(new))
    assert _as_summed(last) == before  # the last window may still be read for its slot


def test_nothing_to_slide_from_sums_afresh() -> None:
    buckets: Buckets = {1: {FIELDS[0]: 2}, 2: {FIELDS[0]: 3, FIELDS[-1]: 1}}
    window = slide(None, buckets)
    assert window.counts == {FIELDS[0]: 5, FIELDS[-1]: 1}
    assert window.by_category == {"socks": {"p-1": 5}}
    assert slide(WindowTotals({}, {}), buckets).counts == window.counts  # no parts known
