"""A retrying batch: back-off, the stall it reports, and the shutdown that cuts it short."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from streams.pipeline.retries import Retries, ShutdownRequested


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_batch_that_keeps_failing_is_reported_stalled_after_the_threshold() -> None:
    clock = Clock()
    retries = Retries(max_delay_s=0, stall_after_s=60, first_delay_s=0, clock=clock)
    seen: list[tuple[float, bool, object]] = []
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        seen.append((retries.longest_s(), retries.stalled(), retries.stall()))
        if attempts < 4:
            clock.now += 30
            raise RedisConnectionError("down")
        return "done"

    assert asyncio.run(retries.run("clickstream", 7, attempt)) == "done"
    assert [(s, stalled) for s, stalled, _ in seen] == [
        (0.0, False),
        (30.0, False),
        (60.0, True),
        (90.0, True),
    ]
    assert seen[2][2] == {
        "topic": "clickstream",
        "records": 7,
        "in_progress_s": 60.0,
        "failed_attempts": 2,
        "error": "ConnectionError: down",
    }
    assert (retries.longest_s(), retries.stalled(), retries.stall()) == (0.0, False, None)


def test_a_batch_hung_in_its_first_attempt_is_reported_stalled_too() -> None:
    clock = Clock()
    retries = Retries(max_delay_s=0, stall_after_s=60, first_delay_s=0, clock=clock)
    seen: list[object] = []

    async def attempt() -> None:
        clock.now += 61  # e.g. a Redis paused, the call waiting for its socket timeout
        seen.append(retries.stall())

    asyncio.run(retries.run("inventory", 3, attempt))
    assert seen == [
        {
            "topic": "inventory",
            "records": 3,
            "in_progress_s": 61.0,
            "failed_attempts": 0,
            "error": "",
        }
    ]


class Failing:
    """An attempt that always fails with ``exc``, counting its calls."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.calls = 0
        self.failed = asyncio.Event()

    async def __call__(self) -> None:
        self.calls += 1
        self.failed.set()
        raise self.exc


def test_a_failure_retrying_cannot_fix_propagates_at_once() -> None:
    retries = Retries(max_delay_s=0, stall_after_s=60, first_delay_s=0)
    attempt = Failing(KeyError("products"))
    with pytest.raises(KeyError):
        asyncio.run(retries.run("basket", 1, attempt))
    assert attempt.calls == 1
    assert retries.longest() is None


def test_stopping_cuts_a_back_off_short_and_gives_the_batch_up() -> None:
    retries = Retries(max_delay_s=60, stall_after_s=60, first_delay_s=60)
    attempt = Failing(RedisConnectionError("down"))

    async def main() -> float:
        task = asyncio.create_task(retries.run("basket", 1, attempt))
        await asyncio.wait_for(attempt.failed.wait(), 5)  # then it backs off for 60 s
        started = time.monotonic()
        retries.stop()
        with pytest.raises(ShutdownRequested):
            await asyncio.wait_for(task, 5)
        return time.monotonic() - started

    assert asyncio.run(main()) < 1.0
    assert attempt.calls == 1
    assert retries.longest() is None


def test_after_stopping_a_failing_batch_is_given_up_without_waiting() -> None:
    retries = Retries(max_delay_s=60, stall_after_s=60, first_delay_s=60)
    retries.stop()

    async def succeed() -> str:
        return "done"

    with pytest.raises(ShutdownRequested):
        failing = Failing(RedisConnectionError("down"))
        asyncio.run(asyncio.wait_for(retries.run("basket", 1, failing), 5))
    # A batch that does not fail is finished normally, stopping or not.
    assert asyncio.run(retries.run("basket", 1, succeed)) == "done"
