"""The customer-context store as configured: one definition for the worker and the
API server, so both read and write contexts with the same limits, caps and salt."""

from __future__ import annotations

from config import Settings
from models.context import ContextLimits, LifecycleThresholds
from models.offers.rules import ContactCaps
from streams.redis.context_cache import DecodedContexts
from streams.redis.contexts import RedisContextStore
from streams.redis.erasures import ErasureMemory
from streams.redis.gateway import RedisGateway
from streams.redis.privacy import erase


def context_store(
    settings: Settings, gateway: RedisGateway, caps: ContactCaps
) -> RedisContextStore:
    store = RedisContextStore(
        gateway,
        dedupe_ttl_s=settings.dedupe_ttl_s,
        dedupe_max_ids=settings.dedupe_max_ids,
        anonymous_ttl_s=settings.anonymous_ttl_s,
        limits=ContextLimits(affinity_half_life_days=settings.affinity_half_life_days),
        thresholds=LifecycleThresholds(
            loyal_orders=settings.loyal_orders,
            at_risk_days=settings.at_risk_days,
            lapsed_days=settings.lapsed_days,
        ),
        caps=caps,
        erasures=ErasureMemory(
            settings.require_erasure_salt(), int(settings.erasure_memory_days * 86_400)
        ),
        erase=lambda identity, at_ms: erase(store, identity, at_ms),
        decisions_max=settings.decision_history_max,
        decoded=DecodedContexts(settings.context_cache_size),
    )
    return store
