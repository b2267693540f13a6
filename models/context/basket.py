"""The basket: adds, removals, and settlement by orders from any channel.

Each item keeps the event time of its latest add. An order settles the items
it lists that were added at or before it, whichever arrives first: an add
that arrives late but happened before a remembered order is already bought,
and an add made after the order survives it. This is how a basket abandoned
online and bought at the till is never remarketed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from models.context.limits import bounded
from models.context.parts import Basket, BasketItem, OrderRecord
from models.events import Product


def add(
    basket: Basket,
    products: Iterable[Product],
    at_ms: int,
    channel: str,
    orders: tuple[OrderRecord, ...],
    cap: int,
) -> Basket:
    by_id = {item.product_id: item for item in basket.items}
    changed = False
    for product in products:
        added = BasketItem(product.product_id, product.quantity, product.price, at_ms, channel)
        if any(order.covers(added) for order in orders):
            continue
        known = by_id.get(product.product_id)
        by_id[product.product_id] = added if known is None else _combine(known, added)
        changed = True
    if not changed:
        return basket
    return _rebuild(basket, by_id.values(), at_ms, cap)


def remove(basket: Basket, product: Product, at_ms: int, quantity_given: bool) -> Basket:
    """Remove the product, or only ``product.quantity`` of it when the event said so."""
    items = list(basket.items)
    for index, item in enumerate(items):
        if item.product_id != product.product_id:
            continue
        # A removal older than the latest add is stale: the customer added it back.
        if item.added_ms > at_ms:
            return basket
        if quantity_given and product.quantity < item.quantity:
            items[index] = replace(item, quantity=item.quantity - product.quantity)
        else:
            del items[index]
        return Basket(tuple(items), _latest(basket.updated_ms, at_ms))
    return basket


def settle(basket: Basket, orders: Iterable[OrderRecord]) -> Basket:
    """Drop the items these orders bought."""
    orders = tuple(orders)
    kept = tuple(item for item in basket.items if not any(o.covers(item) for o in orders))
    if len(kept) == len(basket.items):
        return basket
    settled_at = max(o.at_ms for o in orders if any(o.covers(i) for i in basket.items))
    return Basket(kept, _latest(basket.updated_ms, settled_at))


def merge(ours: Basket, theirs: Basket, orders: tuple[OrderRecord, ...], cap: int) -> Basket:
    """Union of two baskets; for a product in both, the later-added entry wins."""
    by_id = {item.product_id: item for item in ours.items}
    for item in theirs.items:
        known = by_id.get(item.product_id)
        if known is None or (item.added_ms, item.channel) > (known.added_ms, known.channel):
            by_id[item.product_id] = item
    return settle(_rebuild(ours, by_id.values(), theirs.updated_ms, cap), orders)


def _combine(known: BasketItem, added: BasketItem) -> BasketItem:
    later, earlier = (added, known) if added.added_ms >= known.added_ms else (known, added)
    return BasketItem(
        product_id=known.product_id,
        quantity=bounded(known.quantity + added.quantity),
        price=later.price if later.price is not None else earlier.price,
        added_ms=later.added_ms,
        channel=later.channel,
    )


def _rebuild(basket: Basket, items: Iterable[BasketItem], at_ms: int | None, cap: int) -> Basket:
    ranked = sorted(items, key=lambda item: (-item.added_ms, item.product_id))
    return Basket(tuple(ranked[:cap]), _latest(basket.updated_ms, at_ms))


def _latest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else max(a, b)
