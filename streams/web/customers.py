"""Endpoints about one customer: their context, the best offer now, export and erasure.

Each handler reads from the stores, calls the pure core and renders JSON. ``{customer_id}``
is a userId, else an anonymousId; ``?kind=user|anonymous`` forces one.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

from models.context import CustomerContext, to_document
from models.identity import Identity, IdentityKind
from models.offers.best_offer import Assessed, best_offer_now
from models.offers.decision import Signals
from models.offers.decisions import signals_needed_now
from models.offers.pressure import Contact, contact_documents
from models.offers.triggers import trigger_document
from streams.redis import privacy
from streams.redis.contacts import queue_contacts
from streams.web.dependencies import API_DEPS, ApiDeps
from streams.web.responses import ApiError, json_response

KINDS = {"user": IdentityKind.USER, "anonymous": IdentityKind.ANONYMOUS}


async def context(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    # The triggers the person actually got, from the contact history (the one home).
    _owner, found, contacts = await _customer(deps, request, contacts="sent")
    store = deps.store
    document = to_document(found, deps.now_ms(), store.thresholds, store.limits)
    document["contacts"] = contact_documents(contacts)
    return json_response(document)


async def next_best_offer(request: web.Request) -> web.Response:
    """What the engine would send now, and why; reserves nothing and emits nothing."""
    deps = request.app[API_DEPS]
    owner, found, contacts = await _customer(deps, request)
    now = deps.now_ms()
    signals = await _signals(deps, found, now)
    result = best_offer_now(found, owner, deps.rules, signals, contacts, now)
    best = None
    if result.best is not None:
        candidate = result.best.candidate
        rule = deps.rules.triggers[candidate.type]
        thresholds = deps.store.thresholds
        best = trigger_document(
            candidate, result.best.channel, found, rule, now, thresholds, deps.rules.version
        )
    considered = [_assessed(item) for item in result.considered]
    return json_response(
        {
            "best": best,
            "considered": considered,
            "reserved": False,
            "rules_version": deps.rules.version,
        }
    )


async def export(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    owner, _found, _contacts = await _customer(deps, request, contacts="none")
    document = await privacy.export(deps.store, owner, deps.now_ms())
    if document is None:
        raise _not_found()
    return json_response(document)


async def erase(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    owner, _found, _contacts = await _customer(deps, request, contacts="none")
    await privacy.erase(deps.store, owner, deps.now_ms())
    deps.metrics.erasures.inc()
    return json_response({"erased": True})


async def _customer(
    deps: ApiDeps,
    request: web.Request,
    *,
    contacts: Literal["all", "sent", "none"] = "all",
) -> tuple[Identity, CustomerContext, list[Contact]]:
    """The identity holding the context of ``{customer_id}``, that context and the
    person's contacts (``"sent"``: see :func:`queue_contacts`; ``"none"``: not read,
    an empty list), read in one round trip once the id is resolved (a userId needs
    no resolving)."""
    customer_id = request.match_info["customer_id"]
    kind = request.query.get("kind", "")
    if kind and kind not in KINDS:
        raise ApiError(400, "bad_kind", "kind must be user or anonymous")
    candidates = [KINDS[kind]] if kind else [IdentityKind.USER, IdentityKind.ANONYMOUS]
    for identity_kind in candidates:
        owner = await deps.store.resolve(Identity(identity_kind, customer_id))
        trip = deps.store.gateway.round_trip()
        context = deps.store.queue_get(trip, owner)
        read_contacts = None
        if contacts != "none":
            read_contacts = queue_contacts(trip, owner, sent_only=contacts == "sent")
        with deps.metrics.redis_seconds.labels("context_read").time():
            await trip.send()
        found = context()
        if found is not None:
            return owner, found, [] if read_contacts is None else read_contacts()
    raise _not_found()


async def _signals(deps: ApiDeps, found: CustomerContext, now: int) -> Signals:
    """What the kinds read to judge the customer now: stock at their store, trends."""
    return await deps.signals.read(signals_needed_now(found, deps.rules, now))


def _not_found() -> ApiError:
    return ApiError(404, "customer_not_found", "no context is stored for this id")


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
