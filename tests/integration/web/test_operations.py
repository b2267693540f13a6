"""The operator endpoints in process: liveness, readiness, the scrape, the API document."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from faust.types import TP
from redis.asyncio import Redis

from streams.local.services import start_redis
from streams.web.operations import OPENAPI_PATH
from tests.integration.web.api_support import FakeConsumer, serve

pytestmark = pytest.mark.integration


async def answer(client: Any, path: str) -> tuple[int, str, bytes]:
    response = await client.get(path)
    return response.status, response.headers["Content-Type"], await response.read()


def test_health_and_the_openapi_document_need_no_token(redis_url: str) -> None:
    async def scenario(client: Any, _deps: Any) -> list[tuple[int, str, bytes]]:
        return [await answer(client, "/health"), await answer(client, "/openapi.json")]

    health, document = serve(redis_url, scenario)
    assert health == (200, "application/json", b'{"status":"ok"}')
    assert document == (200, "application/json", OPENAPI_PATH.read_bytes())


def test_ready_needs_redis_and_assigned_partitions(redis_url: str) -> None:
    async def scenario(client: Any, _deps: Any) -> tuple[int, Any]:
        status, _kind, body = await answer(client, "/ready")
        return status, orjson.loads(body)

    assigned = FakeConsumer({TP("clickstream", 0): 0})
    assert serve(redis_url, scenario, consumer=assigned) == (
        200,
        {"ready": True, "redis": True, "partitions_assigned": True},
    )
    assert serve(redis_url, scenario, consumer=FakeConsumer({})) == (
        503,
        {"ready": False, "redis": True, "partitions_assigned": False},
    )
    assert serve(redis_url, scenario) == (
        503,
        {"ready": False, "redis": True, "partitions_assigned": False},
    )


@pytest.fixture
def own_redis_url(log_dir: Path) -> Iterator[str]:
    """A Redis of this test alone: pausing the session's would stall the other tests."""
    directory = log_dir / "redis-paused"
    directory.mkdir(parents=True, exist_ok=True)
    service = start_redis(directory)
    try:
        yield f"redis://127.0.0.1:{service.port}/0"
    finally:
        service.stop()


def test_ready_answers_503_within_a_second_while_redis_is_stalled(own_redis_url: str) -> None:
    pause_ms = 2_000

    async def scenario(client: Any, _deps: Any) -> list[tuple[int, Any, float]]:
        async def probe() -> tuple[int, Any, float]:
            started = time.monotonic()
            response = await client.get("/ready")
            return response.status, await response.json(), time.monotonic() - started

        answers = [await probe()]  # the API's Redis connection is open before the pause
        pauser = Redis.from_url(own_redis_url)
        # Redis accepts connections but runs no command, any client's, until it ends.
        await pauser.execute_command("CLIENT", "PAUSE", str(pause_ms), "ALL")
        answers.append(await probe())
        # Once the pause ends, the next probes find Redis again: the timed-out ping left
        # no broken connection behind.
        deadline = time.monotonic() + pause_ms / 1000 + 5
        while (answer := await probe())[0] != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        answers.append(answer)
        await pauser.aclose()
        return answers

    before, stalled, after = serve(
        own_redis_url, scenario, consumer=FakeConsumer({TP("clickstream", 0): 0})
    )
    assert before[:2] == (200, {"ready": True, "redis": True, "partitions_assigned": True})
    status, body, elapsed = stalled
    assert (status, body) == (503, {"ready": False, "redis": False, "partitions_assigned": True})
    assert elapsed < 1.0
    assert after[:2] == before[:2]


def test_metrics_are_the_prometheus_text_format(redis_url: str) -> None:
    async def scenario(client: Any, deps: Any) -> tuple[int, str, bytes]:
        deps.metrics.up.set(1)
        await client.get("/health")
        return await answer(client, "/metrics")

    status, content_type, body = serve(redis_url, scenario)
    assert (status, content_type) == (200, "text/plain; version=0.0.4")
    text = body.decode()
    assert "\nomni_worker_up 1.0\n" in text
    assert 'omni_api_request_seconds_count{method="GET",route="/health",status="200"} 1.0' in text
