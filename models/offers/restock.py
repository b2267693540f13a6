"""Restocks: a product back in stock at a store, or online, is news for who wanted it there.

Stock is a store fact, recorded from every ``Stock Updated`` whoever sent it. A
reading that takes a (store, product) from 0 units, or from unknown, to more than 0
is a :class:`Restock`. The wiring keeps, per (store, product), the people whose
views qualified there (a :class:`RestockWatch` each); a restock reads the most
recent of them, as far back and as many as the rules allow (:class:`RestockReach`),
and the kinds decide again for each at the reading's event time, so a replay
decides the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.context.state import CustomerContext
from models.events import ONLINE_STOCK


@dataclass(frozen=True, slots=True)
class Restock:
    """A stock reading that took a product at a store from 0 (or unknown) to ``units``."""

    store_id: str
    product_id: str
    units: int
    at_ms: int  # the reading's event time: the decision time
    message_id: str


@dataclass(frozen=True, slots=True)
class RestockWatch:
    """A restock of this (store, product) should re-evaluate the person: their interest
    qualified at ``viewed_ms``."""

    store_id: str
    product_id: str
    viewed_ms: int


@dataclass(frozen=True, slots=True)
class RestockReach:
    """How far back a restock looks for watchers (event time), and how many it takes."""

    window_ms: int = 0
    max_people: int = 0

    @property
    def enabled(self) -> bool:
        return self.window_ms > 0 and self.max_people > 0

    def widest(self, other: RestockReach) -> RestockReach:
        return RestockReach(
            max(self.window_ms, other.window_ms), max(self.max_people, other.max_people)
        )


def scope(context: CustomerContext) -> frozenset[tuple[str, str]]:
    """Every (store, product) a person may be watching: the online shop and the stores
    they bought at, by the products they recently viewed or hold in their basket. What
    erasure clears, whatever their store was then."""
    products = _wanted(context)
    if not products:
        return frozenset()
    stores = (*context.purchases_by_store, ONLINE_STOCK)
    return frozenset((store, p) for store in stores for p in products)


def dropped(before: CustomerContext, after: CustomerContext) -> frozenset[tuple[str, str]]:
    """What a batch took out of the person's :func:`scope` (a product pushed out of their
    recent views or basket, a store out of their purchases): watches no erasure would
    find again."""
    if before.purchases_by_store.keys() == after.purchases_by_store.keys() and _wanted(
        before
    ) == _wanted(after):
        return frozenset()  # the common case, without building the products of stores
    return scope(before) - scope(after)


def _wanted(context: CustomerContext) -> set[str]:
    viewed = {view.product_id for view in context.recent_products}
    return viewed | {item.product_id for item in context.basket.items}
