"""A timer tick that runs in the middle of a person's commit loses nothing.

A commit's commands go in one pipeline, not one transaction: another client's
commands may run between them, which a paused or sleeping Redis makes likely
(the faults suite found held cross-sells lost that way). Here the commit is sent
one command at a time, with a timer tick after the first, on a real Redis.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from streams.redis.gateway import RoundTrip
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
