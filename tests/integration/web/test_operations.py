"""The operator endpoints in process: liveness, readiness, the scrape, the API document."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from faust.types import TP

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
