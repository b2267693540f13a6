"""Folding events into a context: the one place where an event changes what is known.

Deduplication by messageId happens here for a batch (:func:`fold_new_events`);
the store supplies the messageIds it has already applied.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from models.context import basket, consent, copies, interests, purchases, timezone
from models.context.activity import touched
from models.context.limits import (
    ADD_WEIGHT,
    DEFAULT_LIMITS,
    PURCHASE_WEIGHT,
    VIEW_WEIGHT,
    ContextLimits,
)
from models.context.state import CustomerContext, evolve
from models.events import Event, EventKind


def fold(
    context: CustomerContext, event: Event, limits: ContextLimits = DEFAULT_LIMITS
) -> CustomerContext:
    """The context after ``event``. Deduplication by messageId is the caller's job."""
    changes = touched(context, event, limits)
    at = event.event_time_ms
    if event.timezone is not None:
        changes["timezone"] = timezone.update(context.timezone, event.timezone, at)
    if event.kind is EventKind.ORDER_COMPLETED:
        return _order_completed(evolve(context, **changes), event, limits)
    changes.update(_changes_of(context, event, limits))
    return evolve(context, **changes)


def _changes_of(context: CustomerContext, event: Event, limits: ContextLimits) -> dict[str, Any]:
    """What an event other than an order changes besides activity (:func:`touched`).
    Those fields are disjoint from the activity's, so both read the same ``context``."""
    at = event.event_time_ms
    half_life = limits.half_life_ms
    kind = event.kind
    if kind is EventKind.PRODUCT_VIEWED:
        return {
            "recent_products": interests.view_products(
                context.recent_products, event.products, at, limits.recent_products
            ),
            "category_affinity": interests.add_interest(
                context.category_affinity,
                event.products,
                VIEW_WEIGHT,
                at,
                half_life,
                limits.categories,
            ),
        }
    if kind is EventKind.PRODUCTS_SEARCHED and event.query:
        return {
            "recent_searches": interests.search(
                context.recent_searches, event.query, at, limits.recent_searches
            )
        }
    if kind is EventKind.CONSENT_UPDATED:
        return {"consent": consent.update(context.consent, event.consent, at)}
    if kind is EventKind.PRODUCT_ADDED:
        return {
            "basket": basket.add(
                context.basket,
                event.products,
                at,
                event.channel.value,
                context.recent_orders,
                limits.basket_items,
            ),
            "category_affinity": interests.add_interest(
                context.category_affinity,
                event.products,
                ADD_WEIGHT,
                at,
                half_life,
                limits.categories,
            ),
        }
    if kind is EventKind.PRODUCT_REMOVED:
        updated = context.basket
        for index, product in enumerate(event.products):
            updated = basket.remove(updated, product, at, _quantity_given(event, index))
        return {"basket": updated}
    # identify links ids in touched(); page, screen, cart and custom events are activity only.
    return {}


def _order_completed(
    context: CustomerContext, event: Event, limits: ContextLimits
) -> CustomerContext:
    record = purchases.order_record(event)
    if record is None:
        return context
    at = event.event_time_ms
    known = purchases.known_record(context, record.order_id)
    if known is not None:  # another copy of a counted order: it may describe it better
        bought = purchases.purchased(event.products, at)
        return copies.prefer(context, known, record, bought, limits)
    context = purchases.record_order(context, record, event.products, limits)
    return evolve(
        context,
        basket=basket.settle(context.basket, (record,)),
        category_affinity=interests.add_interest(
            context.category_affinity,
            event.products,
            PURCHASE_WEIGHT,
            at,
            limits.half_life_ms,
            limits.categories,
        ),
    )


def _quantity_given(event: Event, index: int) -> bool:
    """Whether the producer sent a quantity: the parser defaults a missing one to 1.

    Mirrors :func:`models.payloads.products`: a non-empty ``products`` list wins
    over top-level product fields.
    """
    listed = event.properties.get("products")
    if isinstance(listed, list) and listed:
        entry = listed[index] if index < len(listed) else None
        return isinstance(entry, dict) and entry.get("quantity") is not None
    return event.properties.get("quantity") is not None


@dataclass(frozen=True, slots=True)
class FoldOutcome:
    """What folding a batch into one context did."""

    context: CustomerContext
    applied: tuple[Event, ...]
    duplicates: int
    failed: tuple[tuple[Event, Exception], ...]


def fold_new_events(
    context: CustomerContext,
    events: list[Event],
    already_seen: set[str],
    limits: ContextLimits = DEFAULT_LIMITS,
) -> FoldOutcome:
    """Fold the events not seen before, each messageId once, in event-time order.

    An event whose fold raises is reported in ``failed`` and left out, so one
    poisoned event never blocks the rest of its person's batch.
    """
    # ``fold`` is looked up here, at call time, so tests can swap it for a
    # two-argument stand-in; default limits are therefore not passed on.
    step = fold if limits == DEFAULT_LIMITS else functools.partial(fold, limits=limits)
    seen = set(already_seen)
    applied: list[Event] = []
    failed: list[tuple[Event, Exception]] = []
    duplicates = 0
    for event in sorted(events, key=attrgetter("order_key")):  # linear when already sorted
        if event.message_id in seen:
            duplicates += 1
            continue
        seen.add(event.message_id)
        try:
            context = step(context, event)
        except Exception as exc:  # a bug on odd input must not stop the batch
            failed.append((event, exc))
            continue
        applied.append(event)
    return FoldOutcome(context, tuple(applied), duplicates, tuple(failed))
