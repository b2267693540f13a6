"""A timer tick that runs amid a person's commit loses nothing, on a real Redis.

A round trip's commands go in one pipeline, not one transaction: other clients'
commands may run between them, which a paused or sleeping Redis makes likely
(the faults suite found held cross-sells lost that way). A timer is armed only
once the commit writing its pending trigger has gone through.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.identity import Identity
from streams.redis.gateway import RoundTrip
from streams.redis.keys import PersonKeys, timers_key
from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=1)).timestamp() * 1000)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}


def test_a_tick_in_the_middle_of_a_commit_does_not_drop_its_timer(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = f"race-{uuid.uuid4().hex[:8]}"
    ticks: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([event("Consent Updated", T0, user=user, email=True)])
        # The partition's clock is past the order's grace by the time it is committed.
        pipeline.wall_ms += 10 * 60_000
        commit_sha = pipeline.gateway.shas["commit_person"]
        send_alone = RoundTrip._execute

        async def interleaved(trip: RoundTrip, commands: list[tuple[Any, ...]]) -> list[Any]:
            if ticks or not any(c[:2] == ("EVALSHA", commit_sha) for c in commands):
                return await send_alone(trip, commands)
            replies = []
            for index, command in enumerate(commands):
                replies += await send_alone(trip, [command])
                if index == 0:
                    ticks.append(await pipeline.fire_due())
            return replies

        monkeypatch.setattr(RoundTrip, "_execute", interleaved)
        await pipeline.process([till_order(user, "store-001", T0 + timedelta(minutes=1), [SHOES])])
        monkeypatch.undo()
        pipeline.wall_ms += 60_000  # the order moved the clock to its own time: let it pass
        ticks.append(await pipeline.fire_due())

    pipeline = run_in_process(redis_url, scenario, wall_ms=WALL_MS, grace_ms=2000)
    (trigger,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert (trigger["type"], trigger["userId"]) == ("cross_sell", user)
    assert ticks == [0, 1]


def test_a_refused_commit_arms_no_timer_for_a_tick_to_drop(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A timer armed by a commit that lost its compare-and-set race has no trigger: a tick
    # that read it then, and released it after the retried commit armed it again, dropped
    # the retried one (same member, same deadline). Nothing may be armed until a commit
    # has gone through.
    user = f"race-{uuid.uuid4().hex[:8]}"
    after_refusal: list[Any] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([event("Consent Updated", T0, user=user, email=True)])
        pipeline.wall_ms += 10 * 60_000
        keys = PersonKeys.of(Identity.user(user))
        timers = timers_key(pipeline.input_topic, 0)
        commit_sha = pipeline.gateway.shas["commit_person"]
        send_alone = RoundTrip._execute

        async def refused_once(trip: RoundTrip, commands: list[tuple[Any, ...]]) -> list[Any]:
            if after_refusal or not any(c[:2] == ("EVALSHA", commit_sha) for c in commands):
                return await send_alone(trip, commands)
            await pipeline.redis.hincrby(keys.context, "v", 1)  # another writer, first
            replies = await send_alone(trip, commands)
            after_refusal.append(await pipeline.redis.zrange(timers, 0, -1))
            return replies

        monkeypatch.setattr(RoundTrip, "_execute", refused_once)
        await pipeline.process([till_order(user, "store-001", T0 + timedelta(minutes=1), [SHOES])])
        monkeypatch.undo()
        pipeline.wall_ms += 60_000
        assert await pipeline.fire_due() == 1

    pipeline = run_in_process(redis_url, scenario, wall_ms=WALL_MS, grace_ms=2000)
    assert after_refusal == [[]]
    assert pipeline.metrics.registry.get_sample_value("omni_context_cas_retries_total") == 1
    (trigger,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert trigger["userId"] == user
