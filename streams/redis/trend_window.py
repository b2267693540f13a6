"""A trend window's totals: its minute buckets summed, and its category index.

A batch's event time picks the window (the minutes before it). In real time the
window moves once per cache slot and its totals are summed once per slot; while
a backlog drains, event time runs minutes ahead with every batch, and summing
the window's buckets afresh each time (an hour of them) was 5 % of the worker's
CPU. :func:`slide` builds a window from the last one instead: it takes away the
buckets that left or changed and adds those that came, which gives exactly the
fresh sum (integers, and zeros dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.redis.trend_fields import parse_trend_field

# category -> product -> summed count of its views, adds and purchases
CategoryIndex = dict[str, dict[str, int]]
# minute -> the bucket's counters, as read (or as noted since)
Buckets = dict[int, dict[str, int]]


@dataclass(slots=True)
class WindowTotals:
    """A trend window's summed counters, and its category-product counts indexed once, so
    a decision ranks its categories without parsing every field of the window again.

    ``parts`` holds the very bucket objects summed (None: unknown, never slid from), and
    ``noted`` what was added since: the counters are always their sum."""

    counts: dict[str, int]
    by_category: CategoryIndex
    parts: Buckets | None = None
    noted: list[Mapping[str, int]] = field(default_factory=list)

    def add(self, counts: Mapping[str, int]) -> None:
        _add_into(self.counts, self.by_category, counts, 1)
        self.noted.append(counts)


def summed(buckets: Buckets) -> WindowTotals:
    counts: dict[str, int] = {}
    for bucket in buckets.values():
        for name, count in bucket.items():
            counts[name] = counts.get(name, 0) + count
    return WindowTotals(counts, index_by_category(counts), dict(buckets))


def slide(last: WindowTotals | None, buckets: Buckets) -> WindowTotals:
    """The totals of ``buckets``: from ``last`` when fewer buckets differ than there are,
    else summed afresh. ``last`` is not changed (its slot may still be read)."""
    if last is None or last.parts is None:
        return summed(buckets)
    parts = last.parts
    leaving = [bucket for minute, bucket in parts.items() if buckets.get(minute) is not bucket]
    entering = [bucket for minute, bucket in buckets.items() if parts.get(minute) is not bucket]
    if len(leaving) + len(entering) + len(last.noted) >= len(buckets):
        return summed(buckets)
    counts = dict(last.counts)
    index = {category: dict(products) for category, products in last.by_category.items()}
    # What was noted since is in the buckets' newer objects (entering) or gone with them.
    for bucket in [*last.noted, *leaving]:
        _add_into(counts, index, bucket, -1)
    for bucket in entering:
        _add_into(counts, index, bucket, 1)
    return WindowTotals(counts, index, dict(buckets))


def index_by_category(counts: Mapping[str, int]) -> CategoryIndex:
    """Category -> product -> count, from the ``cp`` fields of summed trend counters."""
    index: CategoryIndex = {}
    _index_into(index, counts, 1)
    return index


def _add_into(
    counts: dict[str, int], index: CategoryIndex, bucket: Mapping[str, int], sign: int
) -> None:
    for name, count in bucket.items():
        total = counts.get(name, 0) + sign * count
        if total:
            counts[name] = total
        else:
            counts.pop(name, None)
    _index_into(index, bucket, sign)


def _index_into(index: CategoryIndex, counts: Mapping[str, int], sign: int) -> None:
    for name, count in counts.items():
        if name[1:5] != "|cp|":  # a one-letter kind, then the scope: most fields are not cp
            continue
        parsed = parse_trend_field(name)
        if parsed is None or parsed.scope != "cp":
            continue
        category, product = parsed.parts
        products = index.setdefault(category, {})
        total = products.get(product, 0) + sign * count
        if total:
            products[product] = total
        else:
            products.pop(product, None)
            if not products:
                del index[category]
