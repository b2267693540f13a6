"""The API's aiohttp middlewares, outermost first: latency metric, error rendering, the
per-client rate limit, auth.

They act on the routes of the table only, recognised by their handler; anything else
the server answers (an unknown path, a 405) passes through untouched. Logs and metric
labels name the route template, never the concrete path: it holds a customer id.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from streams.metrics import Metrics
from streams.web.rate_limit import ClientRateLimiter
from streams.web.responses import INTERNAL_ERROR, ApiError, error_response
from streams.web.routes import Route

log = logging.getLogger(__name__)


def api_middlewares(
    routes: Iterable[Route],
    token: str,
    metrics: Metrics,
    limiter: ClientRateLimiter | None = None,
) -> list[Middleware]:
    by_handler = {route.handler: route for route in routes}
    # aiohttp decodes header bytes as UTF-8 with surrogateescape; encoding the same way
    # gives back the bytes sent, so any header (non-ASCII, not UTF-8) is just compared.
    expected = token.encode("utf-8", "surrogateescape")

    def route_of(request: web.Request) -> Route | None:
        return by_handler.get(request.match_info.handler)

    @web.middleware
    async def observe_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        if route is None:
            return await handler(request)
        started = time.perf_counter()
        response = await handler(request)
        metrics.api_seconds.labels(route.path, route.method, str(response.status)).observe(
            time.perf_counter() - started
        )
        return response

    @web.middleware
    async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        if route is None:
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as refused:
            return error_response(refused)
        except Exception:
            log.exception("%s %s failed", route.method, route.path)
            return error_response(INTERNAL_ERROR)

    @web.middleware
    async def limit_rate(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Before the token check: guessing tokens is limited too.
        route = route_of(request)
        if limiter is not None and route is not None and route.protected:
            _check_rate(limiter, request.remote or "")
        return await handler(request)

    @web.middleware
    async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        if route is not None and route.protected:
            _check_bearer(request.headers.get("Authorization", ""), expected)
        return await handler(request)

    return [observe_latency, render_errors, limit_rate, authorize]


def _check_rate(limiter: ClientRateLimiter, client: str) -> None:
    wait_s = limiter.wait_s(client)
    if wait_s > 0:
        raise ApiError(
            429,
            "rate_limited",
            "too many requests from this client; retry after the Retry-After delay",
            {"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


def _check_bearer(header: str, expected: bytes) -> None:
    if not expected:
        raise ApiError(401, "api_disabled", "the API is disabled: the worker has no API_TOKEN")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "missing_token", "send Authorization: Bearer <API_TOKEN>")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
        raise ApiError(401, "invalid_token", "the bearer token is not valid")
