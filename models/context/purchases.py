"""Purchases in every channel, each order counted once per order_id.

Dedupe works on ``recent_orders``, capped at ``ContextLimits.recent_orders``:
an order resent after it fell out of that window counts twice. Counters and
totals are kept apart from the window, so the cap never loses money. Which
copy of a counted order describes it is the rule of :mod:`.copies`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from models.context.activity import is_later
from models.context.limits import ContextLimits, bounded
from models.context.parts import OrderRecord, PurchasedProduct, StoreVisits
from models.context.state import CustomerContext, evolve
from models.events import Channel, Event, Product

STORE = Channel.STORE.value


def order_record(event: Event) -> OrderRecord | None:
    order = event.order
    if order is None:
        return None
    return OrderRecord(
        order_id=order.order_id,
        total_cents=round(order.total * 100),
        at_ms=event.event_time_ms,
        channel=event.channel.value,
        store_id=order.store_id,
        product_ids=tuple(sorted({p.product_id for p in event.products})),
        categories=tuple(sorted(p.category for p in event.products if p.category)),
    )


def known_record(context: CustomerContext, order_id: str) -> OrderRecord | None:
    return next((r for r in context.recent_orders if r.order_id == order_id), None)


def purchased(products: Iterable[Product], at_ms: int) -> tuple[PurchasedProduct, ...]:
    return tuple(PurchasedProduct(p.product_id, p.category, at_ms) for p in products)


def record_order(
    context: CustomerContext,
    record: OrderRecord,
    products: Iterable[Product],
    limits: ContextLimits,
) -> CustomerContext:
    """Count a new order. The caller checks :func:`known_record` first."""
    bought = purchased(products, record.at_ms)
    latest = is_later(
        record.at_ms, record.channel, context.last_order_ms, context.last_order_channel
    )
    return evolve(
        context,
        orders_count=bounded(context.orders_count + 1),
        total_spent_cents=bounded(context.total_spent_cents + record.total_cents),
        first_order_ms=_earliest(context.first_order_ms, record.at_ms),
        last_order_ms=record.at_ms if latest else context.last_order_ms,
        last_order_channel=record.channel if latest else context.last_order_channel,
        online_orders=bounded(context.online_orders + (record.channel != STORE)),
        store_orders=bounded(context.store_orders + (record.channel == STORE)),
        recent_orders=orders_window((*context.recent_orders, record), limits.recent_orders),
        recent_purchases=merge_purchased(context.recent_purchases, bought, limits.recent_purchases),
        purchases_by_store=count_store(context.purchases_by_store, record, 1, limits.stores),
    )


def shared_orders(customer: CustomerContext, anonymous: CustomerContext) -> list[OrderRecord]:
    """The visitor's orders the customer has counted already (the same order_id)."""
    known = {record.order_id for record in customer.recent_orders}
    return [record for record in anonymous.recent_orders if record.order_id in known]


def merge_orders(
    customer: CustomerContext, anonymous: CustomerContext, limits: ContextLimits
) -> CustomerContext:
    """The customer's purchase facts with the visitor's added, shared orders once."""
    shared = shared_orders(customer, anonymous)
    fresh = [record for record in anonymous.recent_orders if record not in shared]
    shared_in_store = sum(record.channel == STORE for record in shared)
    by_store = dict(customer.purchases_by_store)
    for store_id, visits in anonymous.purchases_by_store.items():
        mine = by_store.get(store_id)
        if mine is not None:
            last = max(mine.last_order_ms, visits.last_order_ms)
            visits = StoreVisits(bounded(mine.orders + visits.orders), last)
        by_store[store_id] = visits
    for record in shared:
        by_store = count_store(by_store, record, -1, len(by_store))
    last_ms, last_channel = customer.last_order_ms, customer.last_order_channel
    theirs_ms, theirs_channel = anonymous.last_order_ms, anonymous.last_order_channel
    if theirs_ms is not None and is_later(theirs_ms, theirs_channel or "", last_ms, last_channel):
        last_ms, last_channel = theirs_ms, theirs_channel
    first_ms = customer.first_order_ms
    if anonymous.first_order_ms is not None:
        first_ms = _earliest(first_ms, anonymous.first_order_ms)
    return replace(
        customer,
        orders_count=bounded(customer.orders_count + anonymous.orders_count - len(shared)),
        total_spent_cents=bounded(
            customer.total_spent_cents
            + anonymous.total_spent_cents
            - sum(record.total_cents for record in shared)
        ),
        first_order_ms=first_ms,
        last_order_ms=last_ms,
        last_order_channel=last_channel,
        online_orders=bounded(
            customer.online_orders + anonymous.online_orders - (len(shared) - shared_in_store)
        ),
        store_orders=bounded(customer.store_orders + anonymous.store_orders - shared_in_store),
        recent_orders=orders_window((*customer.recent_orders, *fresh), limits.recent_orders),
        recent_purchases=merge_purchased(
            customer.recent_purchases, anonymous.recent_purchases, limits.recent_purchases
        ),
        purchases_by_store=_top_stores(by_store, limits.stores),
    )


def preferred_store(context: CustomerContext) -> str | None:
    """The store with the most till purchases, ties broken by the most recent one."""
    if not context.purchases_by_store:
        return None
    return max(
        context.purchases_by_store.items(),
        key=lambda kv: (kv[1].orders, kv[1].last_order_ms, kv[0]),
    )[0]


def merge_purchased(
    ours: tuple[PurchasedProduct, ...], theirs: Iterable[PurchasedProduct], cap: int
) -> tuple[PurchasedProduct, ...]:
    by_id = {entry.product_id: entry for entry in ours}
    for entry in theirs:
        known = by_id.get(entry.product_id)
        if known is None:
            by_id[entry.product_id] = entry
            continue
        later, earlier = (entry, known)
        if known.last_bought_ms > entry.last_bought_ms:
            later, earlier = known, entry
        by_id[entry.product_id] = replace(later, category=later.category or earlier.category)
    ranked = sorted(by_id.values(), key=lambda e: (-e.last_bought_ms, e.product_id))
    return tuple(ranked[:cap])


def orders_window(records: Iterable[OrderRecord], cap: int) -> tuple[OrderRecord, ...]:
    ranked = sorted(records, key=lambda r: (-r.at_ms, r.order_id))
    return tuple(ranked[:cap])


def count_store(
    by_store: dict[str, StoreVisits], record: OrderRecord, delta: int, cap: int
) -> dict[str, StoreVisits]:
    """Only till purchases make a store the customer's own."""
    if record.channel != STORE or record.store_id is None:
        return by_store
    updated = dict(by_store)
    known = updated.get(record.store_id)
    if known is None:
        updated[record.store_id] = StoreVisits(delta, record.at_ms)
    else:
        updated[record.store_id] = StoreVisits(
            bounded(known.orders + delta), max(known.last_order_ms, record.at_ms)
        )
    if updated[record.store_id].orders <= 0:
        del updated[record.store_id]
    return _top_stores(updated, cap)


def _top_stores(by_store: dict[str, StoreVisits], cap: int) -> dict[str, StoreVisits]:
    if len(by_store) <= cap:
        return by_store
    ranked = sorted(by_store.items(), key=lambda kv: (-kv[1].orders, -kv[1].last_order_ms, kv[0]))
    return dict(ranked[:cap])


def _earliest(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)
