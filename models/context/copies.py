"""Copies of one order: which copy describes the sale, whichever arrived first.

One sale can be published twice under two messageIds, typically by the web
site or app and by the till a second apart. It counts once (by order_id), and
the copy that describes it is chosen by a rule, not by arrival: the till's
copy is the system of record for a store sale, so a till copy beats an online
one; between two copies of the same kind the earliest wins (a late resend
never moves an order), then the lowest store id. When a better copy of a
counted order arrives, the order is moved onto it: its channel, store, time,
total and products, and everything derived from them. An identity merge that
finds one order on both sides applies the same rule.

What a worse copy folded first leaves behind: its effect on the basket (the
items it settled stay bought, so an item added between the two copies' times
may differ, and the basket's update time keeps its time), and the last time
of a store or product whose other orders are past the ``recent_orders``
window. Affinity is moved by taking the weight back and adding it again:
equal to folding the better copy alone, up to float rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from models.context import basket, interests
from models.context.limits import PURCHASE_WEIGHT, ContextLimits, bounded
from models.context.parts import OrderRecord, PurchasedProduct, StoreVisits
from models.context.purchases import STORE, count_store, merge_purchased, orders_window
from models.context.state import CustomerContext

Rank = tuple[bool, int, str, str, int, tuple[str, ...], tuple[str, ...]]


def rank(record: OrderRecord) -> Rank:
    """Lower is better. The fields after the store id only make any two copies comparable."""
    return (
        record.channel != STORE,
        record.at_ms,
        record.store_id or "",
        record.channel,
        record.total_cents,
        record.product_ids,
        record.categories,
    )


def prefer(
    context: CustomerContext,
    known: OrderRecord,
    copy: OrderRecord,
    bought: Iterable[PurchasedProduct],
    limits: ContextLimits,
) -> CustomerContext:
    """The context with the order described by the better of ``known`` (counted) and ``copy``.

    ``bought`` are the copy's products as purchases, for the caller that has not
    merged them yet (a fold has not; an identity merge has).
    """
    if rank(copy) >= rank(known):
        return context
    others = (r for r in context.recent_orders if r.order_id != known.order_id)
    by_store = count_store(context.purchases_by_store, known, -1, limits.stores)
    context = replace(
        context,
        total_spent_cents=bounded(context.total_spent_cents - known.total_cents + copy.total_cents),
        online_orders=bounded(
            context.online_orders - (known.channel != STORE) + (copy.channel != STORE)
        ),
        store_orders=bounded(
            context.store_orders - (known.channel == STORE) + (copy.channel == STORE)
        ),
        recent_orders=orders_window((*others, copy), limits.recent_orders),
        recent_purchases=merge_purchased(context.recent_purchases, bought, limits.recent_purchases),
        purchases_by_store=count_store(by_store, copy, 1, limits.stores),
    )
    context = forget(context, known)
    affinity = context.category_affinity
    if (known.at_ms, known.categories) != (copy.at_ms, copy.categories):
        half_life = limits.half_life_ms
        affinity = interests.take_back(
            affinity, known.categories, PURCHASE_WEIGHT, known.at_ms, half_life
        )
        affinity = interests.add_categories(
            affinity, copy.categories, PURCHASE_WEIGHT, copy.at_ms, half_life, limits.categories
        )
    return replace(
        context, category_affinity=affinity, basket=basket.settle(context.basket, (copy,))
    )


def settle_merged(
    context: CustomerContext, ours: OrderRecord, theirs: OrderRecord, limits: ContextLimits
) -> CustomerContext:
    """An order counted on both sides of an identity merge, which kept ``ours`` and took
    back the count, total and affinity of ``theirs`` but not the times it gave."""
    if ours == theirs:
        return context
    if rank(theirs) < rank(ours):
        return prefer(context, ours, theirs, (), limits)
    return forget(context, theirs)


def forget(context: CustomerContext, stale: OrderRecord) -> CustomerContext:
    """The order times that only ``stale``, a copy that no longer describes its order, gave:
    first and last order, its store's last visit, its products' last purchase."""
    window = context.recent_orders
    times = [r.at_ms for r in window]
    # Orders past the window are older than every order in it, so only the first
    # order can be among them; the latest is always in the window.
    if context.orders_count > len(window) and context.first_order_ms is not None:
        times.append(context.first_order_ms)
    latest = max(window, key=lambda r: (r.at_ms, r.channel), default=None)
    if latest is None:
        return context
    return replace(
        context,
        first_order_ms=min(times),
        last_order_ms=latest.at_ms,
        last_order_channel=latest.channel,
        recent_purchases=_unbuy(context.recent_purchases, stale, window),
        purchases_by_store=_restamp_store(context.purchases_by_store, stale, window),
    )


def _restamp_store(
    by_store: dict[str, StoreVisits], stale: OrderRecord, window: tuple[OrderRecord, ...]
) -> dict[str, StoreVisits]:
    """The store of ``stale`` keeps the time of its latest order in the window."""
    store = stale.store_id
    visits = by_store.get(store) if stale.channel == STORE and store is not None else None
    if store is None or visits is None or visits.last_order_ms != stale.at_ms:
        return by_store
    times = [r.at_ms for r in window if r.channel == STORE and r.store_id == store]
    if not times:
        return by_store  # its other orders are past the window: their time is unknown
    return {**by_store, store: StoreVisits(visits.orders, max(times))}


def _unbuy(
    recent: tuple[PurchasedProduct, ...], stale: OrderRecord, window: tuple[OrderRecord, ...]
) -> tuple[PurchasedProduct, ...]:
    """Purchases whose latest time was ``stale``'s, back to their latest order in the window."""
    by_id = {entry.product_id: entry for entry in recent}
    for product_id in stale.product_ids:
        entry = by_id.get(product_id)
        if entry is None or entry.last_bought_ms != stale.at_ms:
            continue
        times = [r.at_ms for r in window if product_id in r.product_ids]
        if times:
            by_id[product_id] = replace(entry, last_bought_ms=max(times))
        else:
            del by_id[product_id]
    return tuple(sorted(by_id.values(), key=lambda e: (-e.last_bought_ms, e.product_id)))
