"""Trends over a 24 h window (the longest the rules accept), on a real Redis: every bucket
of the window is counted, each is read once while fresh, none outlives its use by much,
and a cross-sell order decides with them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from models.offers.decision import SignalRequest
from models.offers.rules_file import DEFAULT_RULES_PATH, load_rules
from streams.local.services import free_port
from streams.redis.gateway import RedisGateway, RoundTrip
from streams.redis.keys import trends_key
from streams.redis.signals import (
    BUCKET_TTL_S,
    LONGEST_BUCKET_TTL_S,
    MINUTE_MS,
    SETTLED_BUCKET_TTL_S,
    SignalReader,
    queue_observe,
)
from tests.integration.in_process import InProcessPipeline, event, till_order
from tests.unit.test_context_support import PARSER

pytestmark = pytest.mark.integration

DAY_MS = 86_400_000
RULES = replace(load_rules(DEFAULT_RULES_PATH), trend_window_ms=DAY_MS)


class CountingGateway(RedisGateway):
    """Counts the trend buckets read (HGETALL), whatever round trip they ride on."""

    buckets_read = 0

    def round_trip(self) -> RoundTrip:
        gateway = self

        class Counting(RoundTrip):
            def call(self, *args: Any, **kwargs: Any) -> Any:
                if args[0] == "HGETALL":
                    gateway.buckets_read += 1
                return super().call(*args, **kwargs)

        return Counting(self)


def viewed(product: str, category: str, at_ms: int) -> Any:
    doc = event(
        "Product Viewed",
        datetime.fromtimestamp(at_ms / 1000, UTC),
        user=f"u-{uuid.uuid4().hex[:8]}",
        product_id=product,
        category=category,
    )
    return PARSER.parse_event(doc, datetime.now(UTC))


def distant_past_ms(year: int) -> int:
    """A moment of the first day of ``year``: no other test counts trends in its minutes."""
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000) + uuid.uuid4().int % DAY_MS


async def count_trends(gateway: RedisGateway, views: list[Any], window_ms: int) -> Any:
    trip = gateway.round_trip()
    increments = queue_observe(trip, views, window_ms)
    await trip.send()
    return increments


def test_a_24h_window_counts_every_bucket_and_reads_each_once_while_fresh(redis_url: str) -> None:
    category = f"cat-{uuid.uuid4().hex[:8]}"
    at_ms = distant_past_ms(2001)
    views = [viewed(f"p-{hours}h", category, at_ms - hours * 3_600_000) for hours in range(24)]
    clock = [1000.0]

    async def scenario() -> tuple[Any, Any, int, int, list[int]]:
        redis = Redis.from_url(redis_url)
        try:
            gateway = CountingGateway(redis)
            await count_trends(gateway, views, RULES.trend_window_ms)
            ttls = [await redis.ttl(trends_key(v.event_time_ms // MINUTE_MS)) for v in views]
            reader = SignalReader(gateway, RULES, clock=lambda: clock[0])
            ask = SignalRequest(trend_categories=frozenset({category}), trends_at_ms=at_ms)
            first = await reader.read(ask)
            read_first, gateway.buckets_read = gateway.buckets_read, 0
            clock[0] += 5.0  # the next cache slot, while the buckets are still fresh
            later = replace(ask, trends_at_ms=at_ms + 5_000)
            second = await reader.read(later)
            read_second, gateway.buckets_read = gateway.buckets_read, 0
            clock[0] += BUCKET_TTL_S  # the newest minutes are stale, the settled ones not
            await reader.read(replace(ask, trends_at_ms=at_ms + 15_000))
            read_recent, gateway.buckets_read = gateway.buckets_read, 0
            clock[0] += SETTLED_BUCKET_TTL_S  # the settled ones kept 60 and 75 s are stale
            await reader.read(replace(ask, trends_at_ms=at_ms + 20_000))
            read_half, gateway.buckets_read = gateway.buckets_read, 0
            clock[0] += LONGEST_BUCKET_TTL_S
            await reader.read(replace(ask, trends_at_ms=at_ms + 25_000))
            read_all = gateway.buckets_read
            reads = (read_second, read_recent, read_half, read_all)
            return first, second, read_first, reads, ttls
        finally:
            await redis.aclose()

    first, second, read_first, reads, ttls = asyncio.run(scenario())
    read_second, read_recent, read_half, read_all = reads
    window_minutes = DAY_MS // MINUTE_MS
    assert window_minutes <= read_first <= window_minutes + 1
    expected = tuple(sorted(f"p-{hours}h" for hours in range(24)))
    assert tuple(sorted(first.trending[category])) == expected
    assert tuple(sorted(second.trending[category])) == expected
    assert read_second <= 2  # only the minutes the window moved onto
    assert 2 <= read_recent <= 3  # the window's newest two, and one it moved onto
    # Settled buckets go stale in four steps, not all at once; all of them in time.
    assert window_minutes // 2 - 2 <= read_half <= window_minutes // 2 + 3
    assert window_minutes <= read_all <= window_minutes + 1
    assert min(ttls) > DAY_MS // 1000  # a bucket lives as long as a window can use it


def test_a_cross_sell_order_decides_with_a_24h_window(redis_url: str) -> None:
    complement = f"socks-{uuid.uuid4().hex[:6]}"
    rules = replace(RULES, cross_sell={"shoes": (complement,)})
    now = datetime.now(UTC)
    views = [
        event(
            "Product Viewed",
            now - timedelta(hours=20),
            user=f"v-{uuid.uuid4().hex[:6]}",
            product_id=f"sock-{complement}",
            category=complement,
        )
    ]
    buyer = f"buyer-{uuid.uuid4().hex[:6]}"
    consent = event("Consent Updated", now - timedelta(minutes=5), user=buyer, email=True)
    shoes = [{"product_id": "SHO-1", "category": "shoes", "price": 90.0}]
    order = till_order(buyer, "store-1", now - timedelta(minutes=1), shoes)

    async def scenario() -> InProcessPipeline:
        pipeline = InProcessPipeline(redis_url, rules, wall_ms=int(now.timestamp() * 1000))
        try:
            await pipeline.gateway.load_scripts()
            await pipeline.process([*views, consent])
            await pipeline.process([order])
            await pipeline.fire_due()
        finally:
            await pipeline.close()
        return pipeline

    pipeline = asyncio.run(scenario())
    assert pipeline.deadletters == []
    (sent,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert sent["offer"]["product_ids"] == [f"sock-{complement}"]


def test_totals_moved_slot_by_slot_equal_a_fresh_readers(redis_url: str) -> None:
    """An hour's window moved 5 s at a time for 3 minutes, and back a slot, sums what a
    reader with nothing cached sums at each step: with this worker's own counts noted on
    the way, and another worker's read once every bucket is stale."""
    rules = replace(RULES, trend_window_ms=3_600_000)
    category = f"cat-{uuid.uuid4().hex[:8]}"
    start_ms = distant_past_ms(1999)
    history = [viewed(f"p-{m % 7}", category, start_ms - m * MINUTE_MS) for m in range(75)]
    clock = [1000.0]

    async def scenario() -> list[tuple[dict[str, int], dict[str, int]]]:
        redis = Redis.from_url(redis_url)
        try:
            gateway = RedisGateway(redis)
            await count_trends(gateway, history, rules.trend_window_ms)
            reader = SignalReader(gateway, rules, clock=lambda: clock[0])
            compared = []
            for step in range(36):
                at_ms = start_ms + step * 5_000
                fresh_views = [viewed(f"p-{step % 5}", category, at_ms)]
                increments = await count_trends(gateway, fresh_views, rules.trend_window_ms)
                reader.note_observed(increments)
                clock[0] += 1.0
                if step % 9 == 8:  # another worker's counts, then every bucket is stale
                    others = [viewed("p-other", category, at_ms - m * MINUTE_MS) for m in (0, 30)]
                    await count_trends(gateway, others, rules.trend_window_ms)
                    clock[0] += LONGEST_BUCKET_TTL_S
                for asked_ms in (at_ms, at_ms - 5_000):  # and back to the slot before
                    moved = dict(await reader.trend_counts(asked_ms))
                    afresh = await SignalReader(gateway, rules).trend_counts(asked_ms)
                    compared.append((ours(moved, category), ours(afresh, category)))
            return compared
        finally:
            await redis.aclose()

    compared = asyncio.run(scenario())
    assert all(moved == afresh for moved, afresh in compared)
    assert all(moved for moved, _afresh in compared)
    assert compared[0][0] != compared[-1][0]  # the window did move


def ours(counts: Any, category: str) -> dict[str, int]:
    fields = (name for name in counts if f"|{category}|" in name or name.endswith(f"|{category}"))
    return {name: counts[name] for name in fields}


def test_requests_at_once_for_a_window_not_summed_read_its_buckets_once(redis_url: str) -> None:
    category = f"cat-{uuid.uuid4().hex[:8]}"
    at_ms = distant_past_ms(2002)
    views = [viewed(f"p-{hours}h", category, at_ms - hours * 3_600_000) for hours in range(24)]

    async def scenario() -> tuple[list[Any], int, int]:
        redis = Redis.from_url(redis_url)
        try:
            gateway = CountingGateway(redis)
            await count_trends(gateway, views, RULES.trend_window_ms)
            reader = SignalReader(gateway, RULES)
            ask = SignalRequest(trend_categories=frozenset({category}), trends_at_ms=at_ms)
            answers = await asyncio.gather(*(reader.read(ask) for _ in range(4)))
            read_together, gateway.buckets_read = gateway.buckets_read, 0
            # In the background, ahead of the next slot: a read there waits for nothing.
            await reader.warm(at_ms + 5_000)
            gateway.buckets_read = 0
            await reader.read(replace(ask, trends_at_ms=at_ms + 5_000))
            read_after_warm = gateway.buckets_read
            return answers, read_together, read_after_warm
        finally:
            await redis.aclose()

    answers, read_together, read_after_warm = asyncio.run(scenario())
    window_minutes = DAY_MS // MINUTE_MS
    assert window_minutes <= read_together <= window_minutes + 1  # once, not four times
    assert all(a.trending[category] == answers[0].trending[category] for a in answers)
    assert len(answers[0].trending[category]) == 24
    assert read_after_warm == 0


def test_warming_with_redis_down_logs_and_returns(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        redis = Redis(host="127.0.0.1", port=free_port(), retry=Retry(NoBackoff(), 0))
        try:
            await SignalReader(RedisGateway(redis), RULES).warm(0)
        finally:
            await redis.aclose()

    asyncio.run(scenario())
    assert "could not read the trend window ahead" in caplog.text


def test_warming_past_a_bucket_that_does_not_parse_logs_and_returns(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    at_ms = distant_past_ms(2003)

    async def scenario() -> None:
        redis = Redis.from_url(redis_url)
        try:
            await redis.hset(trends_key(at_ms // MINUTE_MS), "v|p|p-1", "not a count")
            await SignalReader(RedisGateway(redis), RULES).warm(at_ms)
        finally:
            await redis.aclose()

    asyncio.run(scenario())
    assert "could not read the trend window ahead" in caplog.text
    assert "not a count" in caplog.text
