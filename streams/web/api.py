"""The touchpoint HTTP API, served by every worker (the context lives in Redis,
so any worker answers for any customer).

Every endpoint but ``/health``, ``/ready``, ``/metrics`` and ``/openapi.json``
needs ``Authorization: Bearer $API_TOKEN``. Errors are JSON
``{"error": {"code", "message"}}`` with stable codes; exceptions are logged,
never returned.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from models.context import CustomerContext, to_document
from models.identity import Identity, IdentityKind
from models.offers.best_offer import Assessed, best_offer_now
from models.offers.decisions import signals_needed_now
from models.offers.pressure import contact_documents
from models.offers.rules import OfferRules
from models.offers.triggers import trigger_document
from streams.kafka.transport import App
from streams.metrics import Metrics
from streams.redis.contexts import RedisContextStore
from streams.redis.keys import identity_tag
from streams.redis.offers import OfferStore
from streams.redis.privacy import erase, export
from streams.redis.signals import SignalReader, top_products

log = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"
Handler = Callable[..., Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class ApiDeps:
    app: App
    store: RedisContextStore
    offers: OfferStore
    rules: OfferRules
    metrics: Metrics
    token: str
    input_topics: frozenset[str]


def _now_ms() -> int:
    return int(time.time() * 1000)


ROUTES: tuple[tuple[str, str], ...] = (
    ("/customers/{customer_id}/context", "get"),
    ("/customers/{customer_id}/next-best-offer", "get"),
    ("/customers/{customer_id}/export", "get"),
    ("/customers/{customer_id}", "delete"),
    ("/trends", "get"),
    ("/health", "get"),
    ("/ready", "get"),
    ("/metrics", "get"),
    ("/openapi.json", "get"),
)


def add_api(deps: ApiDeps) -> None:
    """Register every route of :data:`ROUTES` (the OpenAPI document lists the same)."""
    api = _Api(deps)
    routes: dict[str, dict[str, tuple[Handler, bool]]] = {
        "/customers/{customer_id}/context": {"get": (api.context, True)},
        "/customers/{customer_id}/next-best-offer": {"get": (api.next_best_offer, True)},
        "/customers/{customer_id}/export": {"get": (api.export, True)},
        "/customers/{customer_id}": {"delete": (api.erase, True)},
        "/trends": {"get": (api.trends, True)},
        "/health": {"get": (api.health, False)},
        "/ready": {"get": (api.ready, False)},
        "/metrics": {"get": (api.metrics, False)},
        "/openapi.json": {"get": (api.openapi, False)},
    }
    assert {(p, m) for p, ms in routes.items() for m in ms} == set(ROUTES)
    for path, methods in routes.items():
        deps.app.page(path)(_view(deps, path, methods))


def _view(deps: ApiDeps, route: str, methods: dict[str, tuple[Handler, bool]]) -> type[View]:
    async def handle(view: View, method: str, request: Request, **params: Any) -> Response:
        started = time.perf_counter()
        handler, protected = methods[method]
        try:
            if protected:
                _authorize(request, deps.token)
            response = await handler(view, request, **params)
        except ApiError as exc:
            response = _error(view, exc.status, exc.code, exc.message)
        except Exception:
            log.exception("%s %s failed", method.upper(), route)
            response = _error(view, 500, "internal_error", "the request could not be served")
        deps.metrics.api_seconds.labels(route, method.upper(), str(response.status)).observe(
            time.perf_counter() - started
        )
        return response

    attributes: dict[str, Any] = {}
    for method in methods:

        async def endpoint(
            self: View, request: Request, _method: str = method, **params: Any
        ) -> Response:
            return await handle(self, _method, request, **params)

        attributes[method] = endpoint
    return type(f"View{abs(hash(route))}", (View,), attributes)


def _authorize(request: Request, token: str) -> None:
    if not token:
        raise ApiError(401, "api_disabled", "the API is disabled: the worker has no API_TOKEN")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "missing_token", "send Authorization: Bearer <API_TOKEN>")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise ApiError(401, "invalid_token", "the bearer token is not valid")


def _error(view: View, status: int, code: str, message: str) -> Response:
    return _json(view, {"error": {"code": code, "message": message}}, status)


def _json(view: View, body: Any, status: int = 200) -> Response:
    return view.bytes(orjson.dumps(body), content_type="application/json", status=status)


class _Api:
    def __init__(self, deps: ApiDeps) -> None:
        self.deps = deps
        self.signals = SignalReader(deps.offers, deps.rules)

    async def _owner(self, request: Request, customer_id: str) -> tuple[Identity, CustomerContext]:
        """A userId, else an anonymousId (``?kind=anonymous`` forces the latter)."""
        kind = request.query.get("kind", "")
        if kind not in ("", "user", "anonymous"):
            raise ApiError(400, "bad_kind", "kind must be user or anonymous")
        candidates = [IdentityKind.USER, IdentityKind.ANONYMOUS]
        if kind:
            candidates = [IdentityKind.USER if kind == "user" else IdentityKind.ANONYMOUS]
        for identity_kind in candidates:
            owner = await self.deps.store.resolve(Identity(identity_kind, customer_id))
            with self.deps.metrics.redis_seconds.labels("context_read").time():
                context = await self.deps.store.get(owner)
            if context is not None:
                return owner, context
        raise ApiError(404, "customer_not_found", "no context is stored for this id")

    async def context(self, view: View, request: Request, customer_id: str) -> Response:
        owner, context = await self._owner(request, customer_id)
        document = to_document(
            context, _now_ms(), self.deps.store.thresholds, self.deps.store.limits
        )
        # Recent contacts live in Redis, beside the caps they count against.
        contacts = await self.deps.offers.contact_history(identity_tag(owner))
        document["contacts"] = contact_documents(contacts)
        return _json(view, document)

    async def next_best_offer(self, view: View, request: Request, customer_id: str) -> Response:
        owner, context = await self._owner(request, customer_id)
        now = _now_ms()
        signals = await self.signals.read(signals_needed_now(context, self.deps.rules, now))
        contacts = await self.deps.offers.contact_history(identity_tag(owner))
        result = best_offer_now(context, owner, self.deps.rules, signals, contacts, now)
        best = None
        if result.best is not None:
            rule = self.deps.rules.triggers[result.best.candidate.type]
            best = trigger_document(
                result.best.candidate,
                result.best.channel,
                context,
                rule,
                now,
                self.deps.store.thresholds,
            )
        return _json(
            view,
            {
                "best": best,
                "considered": [_assessed(item) for item in result.considered],
                "reserved": False,
            },
        )

    async def export(self, view: View, request: Request, customer_id: str) -> Response:
        owner, _context = await self._owner(request, customer_id)
        document = await export(self.deps.store, owner, _now_ms())
        if document is None:
            raise ApiError(404, "customer_not_found", "no context is stored for this id")
        return _json(view, document)

    async def erase(self, view: View, request: Request, customer_id: str) -> Response:
        owner, _context = await self._owner(request, customer_id)
        await erase(self.deps.store, owner)
        self.deps.metrics.erasures.inc()
        return _json(view, {"erased": True})

    async def trends(self, view: View, request: Request) -> Response:
        try:
            limit = int(request.query.get("limit", "10"))
        except ValueError:
            raise ApiError(400, "bad_limit", "limit must be a whole number") from None
        if not 1 <= limit <= 100:
            raise ApiError(400, "bad_limit", "limit must be between 1 and 100")
        store, category = request.query.get("store"), request.query.get("category")
        now = _now_ms()
        window = self.deps.rules.trend_window_ms
        counts = await self.signals.trend_counts(now)
        products = top_products(counts, store=store, category=category, limit=limit)
        return _json(
            view,
            {
                "window_seconds": window // 1000,
                "store": store,
                "category": category,
                "products": products,
            },
        )

    async def health(self, view: View, request: Request) -> Response:
        return _json(view, {"status": "ok"})

    async def ready(self, view: View, request: Request) -> Response:
        try:
            redis_ok = await self.deps.store.ping()
        except Exception:
            redis_ok = False
        consumer = self.deps.app.consumer
        assigned = bool(consumer.assignment()) if consumer else False
        ready = redis_ok and assigned
        body = {"ready": ready, "redis": redis_ok, "partitions_assigned": assigned}
        return _json(view, body, 200 if ready else 503)

    async def metrics(self, view: View, request: Request) -> Response:
        await self._refresh_gauges()
        return view.bytes(
            generate_latest(self.deps.metrics.registry), content_type=PROMETHEUS_CONTENT_TYPE
        )

    async def openapi(self, view: View, request: Request) -> Response:
        return view.bytes(OPENAPI_PATH.read_bytes(), content_type="application/json")

    async def _refresh_gauges(self) -> None:
        """Lag from the fetch high watermark, and pending timers, as of this scrape."""
        consumer = self.deps.app.consumer
        if consumer is None:
            return
        assigned = [tp for tp in consumer.assignment() if tp.topic in self.deps.input_topics]
        read_offsets = getattr(consumer, "_read_offset", {})
        self.deps.metrics.consumer_lag.clear()
        for tp in assigned:
            try:
                highwater = consumer.highwater(tp)
            except Exception:
                highwater = None
            read = read_offsets.get(tp)
            if highwater is None:
                continue
            lag = highwater - (read + 1 if read is not None else 0)
            self.deps.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(lag, 0))
        try:
            pending = await self.deps.offers.timers_pending(
                (tp.topic, tp.partition) for tp in assigned
            )
            self.deps.metrics.timers_pending.set(pending)
        except Exception:
            log.warning("could not count pending timers", exc_info=True)


def _assessed(item: Assessed) -> dict[str, Any]:
    candidate = item.candidate
    return {
        "trigger_id": candidate.trigger_id,
        "type": candidate.type.value,
        "score": candidate.score,
        "product_ids": list(candidate.product_ids),
        "store_id": candidate.store_id,
        "channel": item.channel.channel.value if item.channel.channel else None,
        "verdict": item.verdict.value if item.verdict else "best",
        "detail": item.detail,
        "reason": {"code": candidate.reason_code, "text": candidate.reason_text},
    }


__all__ = ["ApiDeps", "add_api"]
