"""The gateway's round trips on one server: one deadline per round trip, errors kept in
their place, and a connection interrupted mid-way never handed back to the pool."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from streams.redis.gateway import RedisGateway
from streams.transient import is_transient

pytestmark = pytest.mark.integration


def test_a_round_trip_past_its_deadline_fails_transiently_and_the_next_reads_its_own_replies(
    redis_url: str,
) -> None:
    key = f"gateway-{uuid.uuid4().hex}"

    async def scenario() -> None:
        # One connection in the pool: had the timed-out one been handed back with the
        # blocked reply still to come, the next round trip would read that reply first.
        redis = Redis.from_url(redis_url, socket_timeout=1.0, max_connections=1)
        gateway = RedisGateway(redis)
        try:
            blocked = gateway.round_trip()
            blocked.call("BLPOP", f"{key}:empty", 3)  # blocks this connection for 3 s
            with pytest.raises(TimeoutError) as raised:
                await blocked.send()
            assert is_transient(raised.value)

            after = gateway.round_trip()
            pushed = after.call("RPUSH", f"{key}:list", "a", "b")
            read = after.call("LRANGE", f"{key}:list", 0, -1)
            await after.send()
            assert (pushed.value, read.value) == (2, [b"a", b"b"])
            await asyncio.sleep(3.2)  # past the BLPOP's own timeout: nothing arrives late
            again = gateway.round_trip()
            length = again.call("LLEN", f"{key}:list")
            await again.send()
            assert length.value == 2
        finally:
            await redis.delete(f"{key}:list")
            await redis.aclose()

    asyncio.run(scenario())


def test_an_isolated_command_keeps_its_error_and_the_others_their_replies(
    redis_url: str,
) -> None:
    key = f"gateway-{uuid.uuid4().hex}"

    async def scenario() -> None:
        redis = Redis.from_url(redis_url, socket_timeout=5)
        gateway = RedisGateway(redis)
        try:
            trip = gateway.round_trip()
            written = trip.call("SET", f"{key}:text", "1")
            wrong = trip.call("LPUSH", f"{key}:text", "x", isolated=True)  # WRONGTYPE
            read = trip.call("GET", f"{key}:text")
            await trip.send()
            assert written.value is True  # redis-py's reply callbacks still apply
            assert read.value == b"1"
            with pytest.raises(ResponseError, match="WRONGTYPE"):
                _ = wrong.value

            failing = gateway.round_trip()
            failing.call("LPUSH", f"{key}:text", "x")  # not isolated: the round trip raises
            with pytest.raises(ResponseError, match="WRONGTYPE"):
                await failing.send()
        finally:
            await redis.delete(f"{key}:text")
            await redis.aclose()

    asyncio.run(scenario())
