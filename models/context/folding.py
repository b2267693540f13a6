"""Folding events into a context: the one place where an event changes what is known.

Deduplication by messageId happens here for a batch (:func:`fold_new_events`);
the store supplies the messageIds it has already applied.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from operator import attrgetter

from models.context import basket, consent, copies, interests, purchases, timezone
from models.context.activity import touch
from models.context.limits import (
    ADD_WEIGHT,
    DEFAULT_LIMITS,
    PURCHASE_WEIGHT,
    VIEW_WEIGHT,
    ContextLimits,
)
from models.context.state import CustomerContext
from models.events import Event, EventKind


def fold(
    context: CustomerContext, event: Event, limits: ContextLimits = DEFAULT_LIMITS
) -> CustomerContext:
    """The context after ``event``. Deduplication by messageId is the caller's job."""
    context = touch(context, event, limits)
    at = event.event_time_ms
    if event.timezone is not None:
        context = replace(context, timezone=timezone.update(context.timezone, event.timezone, at))
    half_life = limits.half_life_ms
    kind = event.kind
    if kind is EventKind.PRODUCT_VIEWED:
        return replace(
            context,
            recent_products=interests.view_products(
                context.recent_products, event.products, at, limits.recent_products
            ),
            category_affinity=interests.add_interest(
                context.category_affinity,
                event.products,
                VIEW_WEIGHT,
                at,
                half_life,
                limits.categories,
            ),
        )
    if kind is EventKind.PRODUCTS_SEARCHED and event.query:
        return replace(
            context,
            recent_searches=interests.search(
                context.recent_searches, event.query, at, limits.recent_searches
            ),
        )
    if kind is EventKind.CONSENT_UPDATED:
        return replace(context, consent=consent.update(context.consent, event.consent, at))
    if kind is EventKind.PRODUCT_ADDED:
        return replace(
            context,
            basket=basket.add(
                context.basket,
                event.products,
                at,
                event.channel.value,
                context.recent_orders,
                limits.basket_items,
            ),
            category_affinity=interests.add_interest(
                context.category_affinity,
                event.products,
                ADD_WEIGHT,
                at,
                half_life,
                limits.categories,
            ),
        )
    if kind is EventKind.PRODUCT_REMOVED:
        updated = context.basket
        for index, product in enumerate(event.products):
            updated = basket.remove(updated, product, at, _quantity_given(event, index))
        return replace(context, basket=updated)
    if kind is EventKind.ORDER_COMPLETED:
        record = purchases.order_record(event)
        if record is None:
            return context
        known = purchases.known_record(context, record.order_id)
        if known is not None:  # another copy of a counted order: it may describe it better
            bought = purchases.purchased(event.products, at)
            return copies.prefer(context, known, record, bought, limits)
        context = purchases.record_order(context, record, event.products, limits)
        return replace(
            context,
            basket=basket.settle(context.basket, (record,)),
            category_affinity=interests.add_interest(
                context.category_affinity,
                event.products,
                PURCHASE_WEIGHT,
                at,
                half_life,
                limits.categories,
            ),
        )
    # identify links ids in touch(); page, screen, cart and custom events are activity only.
    return context


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
