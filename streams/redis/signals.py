"""Live signals the decisions read: stock at stores and trending products per category."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from models.offers.decision import SignalRequest, Signals
from models.offers.rules import OfferRules
from streams.redis.offers import MINUTE_MS, OfferStore

TREND_CACHE_MS = 5_000
BUCKET_TTL_S = 10.0
MAX_CACHED_BUCKETS = 600


class SignalReader:
    """Reads signals for decisions.

    A trend window sums an hour of per-minute buckets. Buckets are cached for a
    few seconds (a past minute changes only with late events) and window totals
    for five seconds of event time, so a decision or an API call rarely costs
    Redis more than the newest minute.
    """

    def __init__(
        self, offers: OfferStore, rules: OfferRules, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._offers = offers
        self._rules = rules
        self._clock = clock
        self._buckets: OrderedDict[int, tuple[float, dict[str, int]]] = OrderedDict()
        self._totals: OrderedDict[int, dict[str, int]] = OrderedDict()

    async def trend_counts(self, at_ms: int) -> dict[str, int]:
        """Summed counters of the minutes in the trend window ending at ``at_ms``."""
        slot = at_ms // TREND_CACHE_MS
        totals = self._totals.get(slot)
        if totals is None:
            window_end = (slot + 1) * TREND_CACHE_MS - 1
            last = window_end // MINUTE_MS
            first = (window_end - self._rules.trend_window_ms) // MINUTE_MS + 1
            totals = {}
            for bucket in await self._minutes(list(range(first, last + 1))):
                for field, count in bucket.items():
                    totals[field] = totals.get(field, 0) + count
            self._totals[slot] = totals
            while len(self._totals) > 16:
                self._totals.popitem(last=False)
        return totals

    async def _minutes(self, minutes: list[int]) -> list[dict[str, int]]:
        now = self._clock()
        stale = [
            m for m in minutes if now - self._buckets.get(m, (-BUCKET_TTL_S, {}))[0] >= BUCKET_TTL_S
        ]
        if stale:
            for minute, bucket in zip(stale, await self._offers.trend_buckets(stale), strict=True):
                self._buckets[minute] = (now, bucket)
                self._buckets.move_to_end(minute)
            while len(self._buckets) > MAX_CACHED_BUCKETS:
                self._buckets.popitem(last=False)
        return [self._buckets[m][1] for m in minutes]

    async def read(self, request: SignalRequest) -> Signals:
        """Stock for the requested ``(store, product)`` pairs; trending products of the
        requested categories, over the trend window ending at ``request.trends_at_ms``."""
        stock = await self._offers.stock(request.stock_pairs) if request.stock_pairs else {}
        trending: dict[str, tuple[str, ...]] = {}
        if request.trend_categories:
            counts = await self.trend_counts(request.trends_at_ms)
            trending = rank_by_category(counts, set(request.trend_categories))
        return Signals(stock=stock, trending=trending)


def rank_by_category(counts: dict[str, int], categories: set[str]) -> dict[str, tuple[str, ...]]:
    """Products of each category, most viewed, added and bought first (ties by id)."""
    scores: dict[str, dict[str, int]] = {category: {} for category in categories}
    for field, count in counts.items():
        _kind, scope, *rest = field.split("|")
        if scope == "cp" and rest[0] in scores:
            products = scores[rest[0]]
            products[rest[1]] = products.get(rest[1], 0) + count
    return {
        category: tuple(p for p, _n in sorted(products.items(), key=lambda kv: (-kv[1], kv[0])))
        for category, products in scores.items()
        if products
    }


def top_products(
    counts: dict[str, int], *, store: str | None, category: str | None, limit: int
) -> list[dict[str, object]]:
    """The live top products: views, adds and purchases, optionally for a store or category.

    A store narrows to purchases at that store's tills (views are online, storeless).
    """
    tallies: dict[str, dict[str, int]] = {}
    kinds = {"v": "views", "a": "adds", "b": "purchases"}
    for field, count in counts.items():
        kind, scope, *rest = field.split("|")
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
        tally[kinds[kind]] += count
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
