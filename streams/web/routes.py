"""The API's routes, declared once: registration, the middlewares (which routes need
the token, what the metrics label says) and the OpenAPI test all read this table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from streams.web import customers, operations
from streams.web.rules import rules
from streams.web.trends import trends

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str  # upper case, as HTTP spells it
    path: str  # aiohttp template; also the OpenAPI path and the metrics `route` label
    handler: Handler
    protected: bool  # needs Authorization: Bearer $API_TOKEN


CUSTOMER = "/customers/{customer_id}"

ROUTES: tuple[Route, ...] = (
    Route("GET", f"{CUSTOMER}/context", customers.context, protected=True),
    Route("GET", f"{CUSTOMER}/next-best-offer", customers.next_best_offer, protected=True),
    Route("GET", f"{CUSTOMER}/export", customers.export, protected=True),
    Route("DELETE", CUSTOMER, customers.erase, protected=True),
    Route("GET", "/trends", trends, protected=True),
    Route("GET", "/rules", rules, protected=True),
    Route("GET", "/health", operations.health, protected=False),
    Route("GET", "/ready", operations.ready, protected=False),
    Route("GET", "/metrics", operations.metrics, protected=False),
    Route("GET", "/openapi.json", operations.openapi, protected=False),
)
