"""The API view of a context (PRODUCT.md "Context document"), derived at read time.

Lifecycle stage, RFM and decayed affinity depend on ``now_ms``, so they are
computed here and never stored: a customer ages into ``at_risk`` with no event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.context import consent
from models.context.interests import decayed
from models.context.limits import (
    DAY_MS,
    DEFAULT_LIMITS,
    DEFAULT_THRESHOLDS,
    ContextLimits,
    LifecycleThresholds,
)
from models.context.purchases import preferred_store
from models.context.state import CustomerContext
from models.events import CONSENT_CHANNELS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def lifecycle_stage(
    context: CustomerContext, now_ms: int, thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS
) -> str:
    if context.user_id is None:
        return "anonymous"
    if not context.orders_count or context.last_order_ms is None:
        return "identified"
    idle_ms = now_ms - context.last_order_ms
    if idle_ms > thresholds.lapsed_days * DAY_MS:
        return "lapsed"
    if idle_ms > thresholds.at_risk_days * DAY_MS:
        return "at_risk"
    if context.orders_count >= thresholds.loyal_orders:
        return "loyal"
    if context.orders_count >= 2:
        return "repeat_customer"
    return "new_customer"


def rfm(context: CustomerContext, now_ms: int) -> dict[str, Any]:
    recency = None
    if context.last_order_ms is not None:
        recency = round(max(0, now_ms - context.last_order_ms) / DAY_MS, 2)
    return {
        "recency_days": recency,
        "frequency": context.orders_count,
        "monetary": context.total_spent,
    }


def to_document(
    context: CustomerContext,
    now_ms: int,
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    limits: ContextLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Plain JSON types only; times are ISO-8601 UTC ending in ``Z``."""
    half_life = limits.half_life_ms
    return {
        "userId": context.user_id,
        "anonymousIds": list(context.anonymous_ids),
        "first_seen": iso(context.first_seen_ms),
        "last_seen": iso(context.last_seen_ms),
        "last_channel": context.last_channel,
        "lifecycle_stage": lifecycle_stage(context, now_ms, thresholds),
        "orders_count": context.orders_count,
        "total_spent": context.total_spent,
        "avg_order_value": context.avg_order_value,
        "first_order_at": iso(context.first_order_ms),
        "last_order_at": iso(context.last_order_ms),
        "last_order_channel": context.last_order_channel,
        "online_orders": context.online_orders,
        "store_orders": context.store_orders,
        "preferred_store": preferred_store(context),
        "basket": {
            "items": [
                {
                    "product_id": item.product_id,
                    "quantity": item.quantity,
                    "price": item.price,
                    "added_at": iso(item.added_ms),
                }
                for item in context.basket.items
            ],
            "value": context.basket.value,
            "updated_at": iso(context.basket.updated_ms),
            "channel": context.basket.channel,
        },
        "recent_products": [
            {
                "product_id": view.product_id,
                "category": view.category,
                "last_viewed_at": iso(view.last_viewed_ms),
                "views": view.views,
            }
            for view in context.recent_products
        ],
        "category_affinity": {
            category: round(decayed(affinity, now_ms, half_life), 4)
            for category, affinity in sorted(context.category_affinity.items())
        },
        "consent": {channel: context.consented(channel) for channel in CONSENT_CHANNELS},
        "consent_updated_at": iso(consent.updated_ms(context.consent)),
        # The customer's own zone (context.timezone); null: the rules' zone applies.
        "timezone": None if context.timezone is None else context.timezone.zone,
        "recent_searches": [
            {"query": entry.query, "searched_at": iso(entry.searched_ms)}
            for entry in context.recent_searches
        ],
        "recent_purchases": [
            {
                "product_id": entry.product_id,
                "category": entry.category,
                "bought_at": iso(entry.last_bought_ms),
            }
            for entry in context.recent_purchases
        ],
        "recent_orders": [
            {
                "order_id": record.order_id,
                "total": record.total_cents / 100,
                "at": iso(record.at_ms),
                "channel": record.channel,
                "store_id": record.store_id,
                "product_ids": list(record.product_ids),
            }
            for record in context.recent_orders
        ],
        "purchases_by_store": {
            store_id: {"orders": visits.orders, "last_order_at": iso(visits.last_order_ms)}
            for store_id, visits in sorted(context.purchases_by_store.items())
        },
        "rfm": rfm(context, now_ms),
        "events_total": context.events_total,
        "events_by_type": dict(context.events_by_type),
        "events_by_channel": dict(context.events_by_channel),
    }


def iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    moment = _EPOCH + timedelta(milliseconds=epoch_ms)
    return moment.isoformat().replace("+00:00", "Z")
