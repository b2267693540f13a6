"""Endpoints for operators and orchestrators, open without a token: liveness,
readiness, the Prometheus scrape and the API description."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from prometheus_client import generate_latest

from streams.web.dependencies import API_DEPS
from streams.web.gauges import refresh_scrape_gauges
from streams.web.responses import JSON, json_response

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"
# A stalled Redis (paused, swapping, half-open connection) answers nothing until the
# client's 10 s socket timeout; probes give up after about 1 s and must get an answer.
READY_PING_TIMEOUT_S = 0.5


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """200 when Redis answers and this worker has partitions, else 503."""
    deps = request.app[API_DEPS]
    try:
        redis_ok = await asyncio.wait_for(deps.store.ping(), READY_PING_TIMEOUT_S)
    except Exception:  # TimeoutError included
        redis_ok = False
    consumer = deps.consumer()
    assigned = bool(consumer.assignment()) if consumer else False
    is_ready = redis_ok and assigned
    body = {"ready": is_ready, "redis": redis_ok, "partitions_assigned": assigned}
    return json_response(body, 200 if is_ready else 503)


async def metrics(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    await refresh_scrape_gauges(
        deps.consumer(), deps.input_topics, deps.store.gateway, deps.metrics
    )
    return web.Response(
        body=generate_latest(deps.metrics.registry), content_type=PROMETHEUS_CONTENT_TYPE
    )


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=OPENAPI_PATH.read_bytes(), content_type=JSON)
