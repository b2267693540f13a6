"""A trend window's totals, kept by difference as the window moves, and rankings of them.

A window sums its per-minute buckets: 60 for an hour, 1,440 for a day, each with a
counter per product, category and store seen in that minute. The engine asks for the
window ending at a batch's event time, in 5-second slots, and live traffic moves it
to a new slot every 5 s. Summing every bucket again at each move held the event loop
for a time that grew with the window (a day's window: 24 times an hour's), and when
event times spread over the window (a backfill, the demo generator) it happened at
nearly every batch. :meth:`WindowTotals.move_to` takes out the buckets that left the
window or were read anew, and adds the ones that came: a move by a minute costs two
buckets.

It relies on bucket dicts never being changed in place: a new reading or a noted
increment replaces a bucket with a new dict, so an unchanged bucket is the very
object the totals counted.
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.redis.trend_fields import KINDS, parse_trend_field

Bucket = Mapping[str, int]
# category -> product -> summed count of its views, adds and purchases
CategoryIndex = dict[str, dict[str, int]]


class WindowTotals:
    """The summed counters of a window's buckets, the buckets they were summed from
    (minute -> bucket), and the category-product counts indexed once, so a decision
    ranks its categories without parsing every field of the window again."""

    __slots__ = ("buckets", "by_category", "counts")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.by_category: CategoryIndex = {}
        self.buckets: dict[int, Bucket] = {}

    @classmethod
    def of(cls, buckets: Mapping[int, Bucket]) -> WindowTotals:
        totals = cls()
        totals.move_to(buckets)
        return totals

    def move_to(self, buckets: Mapping[int, Bucket]) -> None:
        """Become the totals of ``buckets``: a minute that left, or whose bucket is not
        the one counted, is taken out; a minute that came, or its new bucket, is added."""
        for minute, counted in list(self.buckets.items()):
            if buckets.get(minute) is not counted:
                self._count(counted, -1)
                del self.buckets[minute]
        for minute, bucket in buckets.items():
            if minute not in self.buckets:
                self._count(bucket, 1)
                self.buckets[minute] = bucket

    def note(
        self, minute: int, increments: Bucket, before: Bucket | None, after: Bucket | None
    ) -> None:
        """Counts noted in ``minute``, whose cached bucket went from ``before`` to
        ``after`` (``before`` + ``increments``; both None when it was not cached). Totals
        that counted another reading of the minute, or none, keep their own copy of it
        with the increments added."""
        counted = self.buckets.get(minute)
        if after is None or counted is not before:
            after = added(counted or {}, increments)
        self.buckets[minute] = after
        self._count(increments, 1)

    def _count(self, bucket: Bucket, sign: int) -> None:
        counts = self.counts
        for name, count in bucket.items():
            total = counts.get(name, 0) + sign * count
            if total:
                counts[name] = total
            else:
                counts.pop(name, None)
        _index_into(self.by_category, bucket, sign)


def added(bucket: Bucket, increments: Bucket) -> dict[str, int]:
    """A new bucket: ``bucket`` with ``increments`` added (``bucket`` is left as it is)."""
    result = dict(bucket)
    for name, count in increments.items():
        result[name] = result.get(name, 0) + count
    return result


def index_by_category(counts: Bucket) -> CategoryIndex:
    """Category -> product -> count, from the ``cp`` fields of summed trend counters."""
    index: CategoryIndex = {}
    _index_into(index, counts, 1)
    return index


def _index_into(index: CategoryIndex, counts: Bucket, sign: int) -> None:
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
            continue
        products.pop(product, None)
        if not products:
            del index[category]


def rank_by_category(counts: Bucket, categories: set[str]) -> dict[str, tuple[str, ...]]:
    """Products of each category, most viewed, added and bought first (ties by id)."""
    return rank_index(index_by_category(counts), categories)


def rank_index(index: CategoryIndex, categories: set[str]) -> dict[str, tuple[str, ...]]:
    """The ranking of ``categories`` from an index (see :func:`rank_by_category`)."""
    return {
        category: tuple(p for p, _n in sorted(products.items(), key=lambda kv: (-kv[1], kv[0])))
        for category in categories
        if (products := index.get(category))
    }


def top_products(
    counts: Bucket, *, store: str | None, category: str | None, limit: int
) -> list[dict[str, object]]:
    """The live top products: views, adds and purchases, optionally for a store or category.

    A store narrows to purchases at that store's tills (views are online, storeless).
    """
    tallies: dict[str, dict[str, int]] = {}
    for field, count in counts.items():
        parsed = parse_trend_field(field)
        if parsed is None:
            continue
        kind, scope, rest = parsed
        if store is not None:
            if scope != "sp" or rest[0] != store:
                continue
            product = rest[1]
        elif category is not None:
            if scope != "cp" or rest[0] != category:
                continue
            product = rest[1]
        elif scope == "p":
            product = rest[0]
        else:
            continue
        tally = tallies.setdefault(product, {"views": 0, "adds": 0, "purchases": 0})
        tally[KINDS[kind]] += count
    ranked = sorted(
        tallies.items(),
        key=lambda kv: (-(kv[1]["views"] + 3 * kv[1]["adds"] + 5 * kv[1]["purchases"]), kv[0]),
    )
    return [
        {
            "product_id": product,
            **tally,
            "score": tally["views"] + 3 * tally["adds"] + 5 * tally["purchases"],
        }
        for product, tally in ranked[:limit]
    ]
