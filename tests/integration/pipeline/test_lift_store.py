"""The lift record on a real Redis: each decision and each conversion counted once, even
when a crash re-sends a decision or two agents convert it at the same moment."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from models.events import Event
from models.identity import Identity
from models.offers.conversions import MeasuredDecision, PlacedOrder
from models.offers.holdout import Group, Holdout
from models.offers.rules import TriggerType
from streams.metrics import Metrics
from streams.pipeline.lift import LiftMeter
from streams.redis.gateway import RedisGateway
from streams.redis.keys import PersonKeys
from streams.redis.lift import export_measured, queue_read
from tests.unit.offers.support import offer_rules, plain_candidate, trigger_rule
from tests.unit.test_context_support import ordered

pytestmark = pytest.mark.integration

T0 = 1_764_000_000_000
DAY = 86_400_000
HOLDOUT = Holdout(basis_points=5_000, conversion_window_ms=7 * DAY)
# (offer_rules' cross_sell argument is the category map: the rule goes in by hand)
RULES = offer_rules()
RULES.triggers[TriggerType.CROSS_SELL] = trigger_rule(TriggerType.CROSS_SELL, holdout=HOLDOUT)


def measured(person: Identity, group: Group, cause: str) -> MeasuredDecision:
    candidate = plain_candidate(TriggerType.CROSS_SELL, person, cause, T0)
    return MeasuredDecision.of(candidate, group, HOLDOUT)


def counted(metrics: Metrics, metric: str, group: Group) -> float:
    value = metrics.registry.get_sample_value(
        f"omni_lift_{metric}_total", {"type": "cross_sell", "group": group.value}
    )
    assert value is not None
    return value


async def _scenario(redis_url: str) -> tuple[Metrics, Identity, RedisGateway, Redis]:
    redis = Redis.from_url(redis_url)
    return Metrics(), Identity.user(f"lift-{uuid.uuid4().hex}"), RedisGateway(redis), redis


def test_a_decision_sent_again_after_a_crash_counts_once_and_converts_once(
    redis_url: str,
) -> None:
    async def run() -> None:
        metrics, person, gateway, redis = await _scenario(redis_url)
        meter = LiftMeter(RULES, metrics)
        decision = measured(person, Group.HOLDOUT, "order:o-1")
        # Its context already holds the causing order and one placed a minute after it.
        orders = [PlacedOrder("o-1", T0, 80.0), PlacedOrder("o-2", T0 + 60_000, 20.0)]
        try:
            for _ in range(2):  # the first send, then the re-send of the same trigger id
                trip = gateway.round_trip()
                meter.queue_remember(trip, [(person, decision, orders)])
                await trip.send()
            assert counted(metrics, "decisions", Group.HOLDOUT) == 1
            assert counted(metrics, "decisions", Group.SENT) == 0
            assert counted(metrics, "conversions", Group.HOLDOUT) == 1
            assert counted(metrics, "conversion_revenue", Group.HOLDOUT) == 20.0
            assert 0 < await redis.pttl(PersonKeys.of(person).lift) <= 8 * DAY
        finally:
            await redis.aclose()

    asyncio.run(run())


def test_two_agents_converting_one_decision_at_once_count_it_once(redis_url: str) -> None:
    async def run() -> None:
        metrics, person, gateway, redis = await _scenario(redis_url)
        meter = LiftMeter(RULES, metrics)
        try:
            trip = gateway.round_trip()
            meter.queue_remember(trip, [(person, measured(person, Group.SENT, "order:o-1"), [])])
            await trip.send()
            # The web copy and the till copy of one order, read by two agents before
            # either writes: both find the decision open.
            web, till = PlacedOrder("o-2", T0 + 60_000, 30.0), PlacedOrder("o-2", T0 + 61_000, 30.0)
            trip = gateway.round_trip()
            reads = [meter.queue_reads(trip, {person: [e]}) for e in (_order(web), _order(till))]
            await trip.send()
            await asyncio.gather(*(meter.convert(gateway, read) for read in reads))
            assert counted(metrics, "conversions", Group.SENT) == 1
            assert counted(metrics, "conversion_revenue", Group.SENT) == 30.0
            trip = gateway.round_trip()
            stored = queue_read(trip, person)
            await trip.send()
            [exported] = export_measured(*stored.value)  # what the person's export lists
            assert (exported["group"], exported["converted"]) == ("sent", True)
            # A week later another order converts nothing, and the closed window is dropped.
            trip = gateway.round_trip()
            late = meter.queue_reads(
                trip, {person: [_order(PlacedOrder("o-3", T0 + 8 * DAY, 5.0))]}
            )
            await trip.send()
            await meter.convert(gateway, late)
            assert counted(metrics, "conversions", Group.SENT) == 1
            assert await redis.hlen(PersonKeys.of(person).lift) == 0
        finally:
            await redis.aclose()

    asyncio.run(run())


def _order(order: PlacedOrder) -> Event:
    message_id = f"m-{order.order_id}-{order.at_ms}"
    return ordered(
        message_id,
        0,
        order.order_id,
        order.total,
        user_id="u",
        anonymous_id=None,
        time_ms=order.at_ms,
    )
