"""The engine and the Redis stores in this process, on a real Redis: no worker, no broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.identity import Identity
from streams.redis.contacts import read_contacts
from streams.redis.decisions import read_history
from streams.redis.keys import PersonKeys
from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=5)).timestamp() * 1000)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}


def _user() -> str:
    return f"loyalty-{uuid.uuid4().hex[:8]}"


def test_an_abandoned_basket_fires_at_its_deadline_and_becomes_a_contact(
    any_redis_url: str,
) -> None:
    user = _user()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Consent Updated", T0, user=user, email=True),
                event("Product Added", T0 + timedelta(minutes=1), user=user, **SHOES),
            ]
        )
        seen["early"] = await pipeline.fire_due()
        pipeline.wall_ms += 3_600_000
        seen["fired"] = await pipeline.fire_due()
        seen["contacts"] = await read_contacts(
            pipeline.gateway, Identity.user(user), sent_only=True
        )
        seen["again"] = await pipeline.fire_due()

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = pipeline.of_type(pipeline.topics.remarketing)
    assert (seen["early"], seen["fired"], seen["again"]) == (0, 1, 0)
    assert trigger["type"] == "abandoned_basket" and trigger["userId"] == user
    assert trigger["channel"] == "email" and trigger["offer"]["product_ids"] == ["SHO-1"]
    (contact,) = seen["contacts"]
    assert (contact.trigger_id, contact.type, contact.channel) == (
        trigger["trigger_id"],
        "abandoned_basket",
        "email",
    )


def test_a_till_sale_before_the_deadline_cancels_the_reminder(any_redis_url: str) -> None:
    user = _user()

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Consent Updated", T0, user=user, email=True),
                event("Product Added", T0 + timedelta(minutes=1), user=user, **SHOES),
            ]
        )
        await pipeline.process([till_order(user, "store-001", T0 + timedelta(minutes=10), [SHOES])])
        pipeline.wall_ms += 3_600_000
        await pipeline.fire_due()

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert pipeline.of_type(pipeline.topics.remarketing) == []
    reasons = {s["type"]: s["reason"]["code"] for s in pipeline.of_type(pipeline.topics.suppressed)}
    assert reasons["abandoned_basket"] == "purchased"


def test_a_redelivered_batch_decides_again_but_sends_once(any_redis_url: str) -> None:
    user = _user()
    batch = [
        event("Consent Updated", T0, user=user, email=True),
        till_order(user, "store-001", T0 + timedelta(minutes=1), [SHOES]),
    ]

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(batch)
        await pipeline.process(batch)

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert trigger["type"] == "cross_sell"
    assert pipeline.metrics.triggers_repeated.labels("cross_sell")._value.get() == 1
    assert pipeline.metrics.events_duplicate._value.get() == 2


def test_erasure_goes_before_the_engine_decides_for_its_batch(any_redis_url: str) -> None:
    user = _user()
    keys_left: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Consent Updated", T0, user=user, email=True),
                event("Product Added", T0 + timedelta(minutes=1), user=user, **SHOES),
                till_order(user, "store-001", T0 + timedelta(minutes=2), [SHOES]),
                event("Erasure Requested", T0 + timedelta(minutes=3), user=user),
            ]
        )
        pipeline.wall_ms += 3_600_000
        await pipeline.fire_due()
        keys_left.append(await pipeline.redis.exists(*PersonKeys.of(Identity.user(user)).all))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert pipeline.emitted == []  # no trigger, no suppression: nobody left to decide for
    assert keys_left == [0]
    assert pipeline.metrics.erasures._value.get() == 1
    assert pipeline.metrics.events_dropped.labels("erased")._value.get() == 4


def test_events_after_an_erasure_in_the_same_batch_start_a_fresh_context(
    any_redis_url: str,
) -> None:
    user = _user()
    contexts: list[Any] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                till_order(user, "store-001", T0 + timedelta(minutes=1), [SHOES]),
                event("Erasure Requested", T0 + timedelta(minutes=2), user=user),
                event("Product Viewed", T0 + timedelta(minutes=3), user=user, **SHOES),
            ]
        )
        contexts.append(await pipeline.store.get(Identity.user(user)))

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (context,) = contexts
    assert context.orders_count == 0 and context.events_total == 1


def test_every_decision_is_kept_once_in_the_persons_history(any_redis_url: str) -> None:
    user = _user()
    histories: list[list[dict[str, Any]]] = []
    first = [till_order(user, "store-001", T0, [SHOES])]  # no consent yet: suppressed
    second = [
        event("Consent Updated", T0 + timedelta(days=2), user=user, email=True),
        till_order(user, "store-001", T0 + timedelta(days=2, minutes=1), [SHOES]),
    ]

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(first)
        await pipeline.process(second)
        await pipeline.process(second)  # redelivered: decided again, recorded once
        histories.append(await read_history(pipeline.gateway, Identity.user(user)))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (history,) = histories
    (sent,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert [(h["outcome"], h["type"], h["reason"]["code"]) for h in history] == [
        ("sent", "cross_sell", "complements_purchase"),
        ("suppressed", "cross_sell", "no_consent"),
    ]
    assert history[0]["trigger_id"] == sent["trigger_id"]
    assert history[0]["channel"] == "email" and history[0]["at"] == sent["created_at"]
    assert history[1]["reason"]["text"] == "no consent for email, push, ads"


def test_the_history_keeps_the_newest_decisions_only(any_redis_url: str) -> None:
    user = _user()
    histories: list[list[dict[str, Any]]] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        for day in range(4):  # no consent: each order is a suppressed cross-sell
            await pipeline.process(
                [till_order(user, "store-001", T0 + timedelta(days=day), [SHOES])]
            )
        histories.append(await read_history(pipeline.gateway, Identity.user(user)))

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS, history_max=3)
    (history,) = histories
    assert len(history) == 3
    assert [h["at"][:10] for h in history] == ["2026-12-03", "2026-12-02", "2026-12-01"]


def test_a_future_dated_event_does_not_fire_other_peoples_timers_early(any_redis_url: str) -> None:
    shopper, stranger = _user(), _user()
    fired: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        now = datetime.fromtimestamp(pipeline.wall_ms / 1000, UTC)
        await pipeline.process(
            [
                event("Consent Updated", now - timedelta(minutes=2), user=shopper, email=True),
                event("Product Added", now - timedelta(minutes=1), user=shopper, **SHOES),
            ]
        )
        # Valid (under MAX_FUTURE_S), on the same partition, 23 h ahead.
        await pipeline.process([event("Cart Viewed", now + timedelta(hours=23), user=stranger)])
        fired.append(await pipeline.fire_due())
        pipeline.wall_ms += 31 * 60_000  # the basket's own 30 minutes pass
        fired.append(await pipeline.fire_due())

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert fired == [0, 1]
    (trigger,) = pipeline.of_type(pipeline.topics.remarketing)
    assert trigger["userId"] == shopper
