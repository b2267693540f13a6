"""Live signals the decisions read: stock at stores and trending products per category.

Stock readings are written by :mod:`.restock`; trends are counted here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext

from models.events import Event, EventKind
from models.offers.decision import SignalRequest, Signals
from models.offers.rules import OfferRules
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.keys import pairs, stock_key, text, trends_key
from streams.redis.trend_fields import trend_field
from streams.redis.trend_window import WindowTotals, added, rank_index
from streams.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
# A bucket outlives the window that reads it by this much, for a backfill's late reads.
TREND_BUCKET_MARGIN_S = 2 * 3600
TREND_CACHE_MS = 5_000
# A bucket read is kept this long: the newest minutes of a window still take counts.
BUCKET_TTL_S = 10.0
# A minute that ended more than a minute before the window does changes only with late
# events (a backfill, a slow producer): kept longer. An API server, which writes no
# counts, re-read all 60 buckets of an hour's window every 10 s, 10-33 ms each time
# with the event loop held; now mostly the newest two. Settled buckets read together
# (at start-up) would go stale together: each is kept 60-105 s, by its minute, so a
# quarter of them at most is read again at once.
SETTLED_BUCKET_TTL_S = 60.0
SETTLED_TTL_STEP_S, SETTLED_TTL_STEPS = 15.0, 4
LONGEST_BUCKET_TTL_S = SETTLED_BUCKET_TTL_S + SETTLED_TTL_STEP_S * (SETTLED_TTL_STEPS - 1)
# How often a worker and an API server read the window ending now in the background
# (:meth:`SignalReader.warm`), so a request or a batch rarely waits for bucket reads:
# half the cache slot, so most slots are summed before anyone asks for them.
WARM_INTERVAL_S = 2.5
# Window totals kept: the API's (now) and the engine's (a batch's event time), as they
# move from one cache slot to the next.
MAX_CACHED_TOTALS = 4
_TREND_KINDS = {
    EventKind.PRODUCT_VIEWED: "v",
    EventKind.PRODUCT_ADDED: "a",
    EventKind.ORDER_COMPLETED: "b",
}


def queue_observe(
    trip: RoundTrip, events: Sequence[Event], window_ms: int
) -> dict[int, dict[str, int]]:
    """Per-minute trend counts from freshly applied events, kept as long as a trend window
    of ``window_ms`` can read them.

    Returns the trend increments, for :meth:`SignalReader.note_observed`.
    """
    buckets: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event in events:
        kind = _TREND_KINDS.get(event.kind)
        if kind is None:
            continue
        bucket = buckets[event.event_time_ms // MINUTE_MS]
        store = event.order.store_id if event.order is not None else None
        for product in event.products:
            bucket[trend_field(kind, "p", product.product_id)] += 1
            if product.category:
                bucket[trend_field(kind, "c", product.category)] += 1
                bucket[trend_field(kind, "cp", product.category, product.product_id)] += 1
            if store:
                bucket[trend_field(kind, "sp", store, product.product_id)] += 1
                bucket[trend_field(kind, "s", store)] += 1
    ttl_s = window_ms // 1000 + TREND_BUCKET_MARGIN_S
    for minute, counts in buckets.items():
        increments = [part for field_count in counts.items() for part in field_count]
        trip.script("count_trends", [trends_key(minute)], [*increments, ttl_s])
    return buckets


class SignalReader:
    """Reads live signals for decisions: stock at stores, trending products per category.

    A trend window sums its per-minute buckets (60 for an hour, 1440 for the longest,
    a day). Buckets are cached for 10 s, and for 60-105 s once settled (a past minute
    changes only with late events), and window totals for five seconds of event time,
    so a decision or an API call rarely costs Redis more than the newest minutes, and
    stock and buckets share one round trip. A window's totals move with it to the next
    slot by difference (:mod:`.trend_window`). The cache holds the buckets of two windows,
    least recently used out first: a window never evicts its own buckets, however long
    it is, and memory is bounded by the window the rules set.
    """

    def __init__(
        self,
        gateway: RedisGateway,
        rules: OfferRules,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gateway = gateway
        self._rules = rules
        self._clock = clock
        self._buckets: OrderedDict[int, tuple[float, dict[str, int]]] = OrderedDict()
        self._totals: OrderedDict[int, WindowTotals] = OrderedDict()
        # Two windows: the API's, as of now, and the engine's, as of a batch's event
        # time, which a backfill puts anywhere. Each spans its minutes, plus one.
        self._max_buckets = 2 * (rules.trend_window_ms // MINUTE_MS + 2)
        # Held while a window not yet summed is read and summed: requests that ask for
        # it meanwhile wait and find it cached, instead of each reading every bucket
        # (four requests at once on a cold API server: 70-93 ms each).
        self._summing = asyncio.Lock()
        self._warm_failures = ThrottledLog()

    def use_rules(self, rules: OfferRules) -> None:
        """Live rules: a new trend window sizes the cache anew, and totals summed over
        the old window are forgotten."""
        if rules.trend_window_ms != self._rules.trend_window_ms:
            self._totals.clear()
            self._max_buckets = 2 * (rules.trend_window_ms // MINUTE_MS + 2)
        self._rules = rules

    async def read(self, request: SignalRequest) -> Signals:
        """Stock for the requested ``(store, product)`` pairs; trending products of the
        requested categories over the window ending at ``request.trends_at_ms``. One round
        trip at most (none when the cache answers)."""
        wanted = set(request.trend_categories)
        async with self._one_summing(request.trends_at_ms if wanted else None):
            trip = self._gateway.round_trip()
            pairs = sorted(request.stock_pairs)
            stock = [trip.call("HGET", stock_key(store), product) for store, product in pairs]
            fetch = self._queue_window(trip, request.trends_at_ms) if wanted else None
            await trip.send()
            trending = rank_index(fetch().by_category, wanted) if fetch is not None else {}
        levels = {
            pair: int(text(reply.value).split("|", 1)[0])
            for pair, reply in zip(pairs, stock, strict=True)
            if reply.value is not None
        }
        return Signals(stock=levels, trending=trending)

    async def trend_counts(self, at_ms: int) -> Mapping[str, int]:
        """Summed counters of the minutes in the trend window ending at ``at_ms``: the
        cache's own, which change as windows move, so read them before the next await."""
        async with self._one_summing(at_ms):
            trip = self._gateway.round_trip()
            fetch = self._queue_window(trip, at_ms)
            await trip.send()
            return fetch().counts

    async def warm(self, now_ms: int) -> None:
        """Read and sum the window ending ``now_ms`` unless it is cached: a background
        task's call, so requests and batches find it summed and its buckets fresh. A
        failure (Redis away, a bucket that does not parse) is logged at most once per
        10 s and left to the next call: the background task must not die of it."""
        try:
            await self.trend_counts(now_ms)
        except Exception as exc:
            self._warm_failures.warning(log, "could not read the trend window ahead: %r", exc)

    def _one_summing(self, at_ms: int | None) -> AbstractAsyncContextManager[object]:
        """The lock, for a window not summed yet; nothing to wait for otherwise."""
        if at_ms is None or at_ms // TREND_CACHE_MS in self._totals:
            return nullcontext()
        return self._summing

    def _queue_window(self, trip: RoundTrip, at_ms: int) -> Callable[[], WindowTotals]:
        """Queue reads of the stale buckets of the window; returns its totals once sent."""
        slot = at_ms // TREND_CACHE_MS
        cached = self._totals.get(slot)
        if cached is not None:
            return lambda: cached
        first, last = self._window(slot)
        minutes = list(range(first, last + 1))
        now = self._clock()
        fresh = {m: self._buckets[m][1] for m in minutes if self._is_fresh(m, last, now)}
        for minute in fresh:  # used again: the last to go
            self._buckets.move_to_end(minute)
        replies: dict[int, Reply] = {
            m: trip.call("HGETALL", trends_key(m)) for m in minutes if m not in fresh
        }

        def totals() -> WindowTotals:
            # From what was read and kept here, never re-read from the bounded cache,
            # which a long window may overflow.
            buckets = dict(fresh)
            for minute, reply in replies.items():
                bucket = {text(k): int(v) for k, v in pairs(reply.value)}
                kept = self._buckets.get(minute)
                if kept is not None and kept[1] == bucket:
                    bucket = kept[1]  # unchanged: the same object, which totals skip
                buckets[minute] = bucket
                self._remember(minute, now, bucket)
            window = self._take_closest_totals(first, last) or WindowTotals()
            window.move_to(buckets)
            self._totals[slot] = window
            while len(self._totals) > MAX_CACHED_TOTALS:
                self._totals.popitem(last=False)
            return window

        return totals

    def _take_closest_totals(self, first: int, last: int) -> WindowTotals | None:
        """The cached totals whose window shares the most minutes with ``first..last``,
        out of the cache, to be moved there; None if none shares half of them (summing
        afresh then costs no more than moving)."""
        closest, shared = None, (last - first + 1) / 2
        for slot in self._totals:
            slot_first, slot_last = self._window(slot)
            overlap = min(last, slot_last) - max(first, slot_first) + 1
            if overlap >= shared:
                closest, shared = slot, overlap
        return None if closest is None else self._totals.pop(closest)

    def _window(self, slot: int) -> tuple[int, int]:
        """First and last minute of the trend window of a cache slot."""
        window_end = (slot + 1) * TREND_CACHE_MS - 1
        first = (window_end - self._rules.trend_window_ms) // MINUTE_MS + 1
        return first, window_end // MINUTE_MS

    def note_observed(self, increments: dict[int, dict[str, int]]) -> None:
        """This worker's own trend writes, added to what it has cached, so its next
        decision or API answer counts them without waiting for the cache to expire."""
        for minute, counts in increments.items():
            cached = self._buckets.get(minute)
            before = after = None
            if cached is not None:
                before, after = cached[1], added(cached[1], counts)
                self._buckets[minute] = (cached[0], after)
            for slot, totals in self._totals.items():
                first, last = self._window(slot)
                if first <= minute <= last:
                    totals.note(minute, counts, before, after)

    def _is_fresh(self, minute: int, last: int, now: float) -> bool:
        """Whether the bucket of ``minute``, in a window ending with minute ``last``, was
        read recently enough."""
        cached = self._buckets.get(minute)
        if minute < last - 1:
            ttl_s = SETTLED_BUCKET_TTL_S + SETTLED_TTL_STEP_S * (minute % SETTLED_TTL_STEPS)
        else:
            ttl_s = BUCKET_TTL_S
        return cached is not None and now - cached[0] < ttl_s

    def _remember(self, minute: int, now: float, bucket: dict[str, int]) -> None:
        self._buckets[minute] = (now, bucket)
        self._buckets.move_to_end(minute)
        while len(self._buckets) > self._max_buckets:
            self._buckets.popitem(last=False)
