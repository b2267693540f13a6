"""Endpoints for operators and orchestrators, open without a token: liveness,
readiness, the Prometheus scrape and the API description."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from prometheus_client import generate_latest

from streams.web.dependencies import API_DEPS
from streams.web.responses import JSON, json_response

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"
# A stalled Redis (paused, swapping, half-open connection) answers nothing until the
# client's 10 s socket timeout; probes give up after about 1 s and must get an answer.
READY_PING_TIMEOUT_S = 0.5


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """200 when Redis answers, this worker has partitions and no batch has been failing
    for longer than BATCH_STALL_S, else 503 (a stall is described under ``stalled``).
    The API server has no partitions and no batches: Redis alone decides."""
    deps = request.app[API_DEPS]
    try:
        redis_ok = await asyncio.wait_for(deps.store.ping(), READY_PING_TIMEOUT_S)
    except Exception:  # TimeoutError included
        redis_ok = False
    consumer = deps.consumer()
    assigned = bool(consumer.assignment()) if consumer else False
    stalled = deps.retries.stall() if deps.retries is not None else None
    is_ready = redis_ok and (assigned or not deps.needs_partitions) and stalled is None
    body: dict[str, object] = {"ready": is_ready, "redis": redis_ok}
    if deps.needs_partitions:
        body["partitions_assigned"] = assigned
    if stalled is not None:
        body["stalled"] = stalled
    return json_response(body, 200 if is_ready else 503)


async def metrics(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    await deps.refresh_scrape_gauges()
    return web.Response(
        body=generate_latest(deps.metrics.registry), content_type=PROMETHEUS_CONTENT_TYPE
    )


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=OPENAPI_PATH.read_bytes(), content_type=JSON)
