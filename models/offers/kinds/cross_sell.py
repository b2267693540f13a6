"""Cross-sell: a purchase in one category, in any channel, offers the complementary ones.

The rules' ``[cross_sell]`` map names the complements of each category; the
offer carries the products trending in them right now (a live signal read
from Redis), in turn per category so one cannot fill the offer. A till
purchase names its store, so a store associate can follow up there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from models.context.parts import OrderRecord
from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.decision import NO_SIGNALS, Candidate, SignalRequest, Signals, Subject
from models.offers.kinds import Kind
from models.offers.rules import OfferRules, TriggerType
from models.offers.texts import day_text, place_text

CROSS_SELL_PRODUCTS = 3


class CrossSell(Kind):
    trigger_type = TriggerType.CROSS_SELL
    topic = "cross_sell"

    def candidates(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules, signals: Signals
    ) -> list[Candidate]:
        found = []
        for event in events:
            order = event.order
            if event.kind is not EventKind.ORDER_COMPLETED or order is None:
                continue
            currency = f" {order.currency}" if order.currency else ""
            purchase = _Purchase(
                order_id=order.order_id,
                total=order.total,
                store_id=order.store_id,
                categories=tuple(p.category for p in event.products),
                product_ids=tuple(p.product_id for p in event.products),
                where=place_text(order.store_id, event.channel.value),
                facts=f"(order {order.order_id}, {order.total:.2f}{currency})",
            )
            caused_by = (event.message_id,)
            candidate = self._offer(
                subject, rules, signals, purchase, event.event_time_ms, caused_by
            )
            if candidate is not None:
                found.append(candidate)
        return found

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        order = latest_order(subject.context)
        if order is None:
            return []
        total = order.total_cents / 100
        purchase = _Purchase(
            order_id=order.order_id,
            total=total,
            store_id=order.store_id,
            categories=order.categories,
            product_ids=order.product_ids,
            where=place_text(order.store_id, order.channel),
            facts=f"(order {order.order_id}, {total:.2f}) on {day_text(order.at_ms)}",
        )
        # No event caused a read: caused_by is empty.
        candidate = self._offer(subject, rules, signals, purchase, now_ms, ())
        return [candidate] if candidate is not None else []

    def signals_needed(
        self, context: CustomerContext, events: Sequence[Event], rules: OfferRules
    ) -> SignalRequest:
        orders = [e for e in events if e.kind is EventKind.ORDER_COMPLETED and e.order is not None]
        if not orders:
            return NO_SIGNALS
        bought = (p.category for e in orders for p in e.products)
        wanted = complements(_mapped(bought, rules), rules.cross_sell)
        # As of the latest purchase, whichever it is: one window for the whole batch.
        return SignalRequest(
            trend_categories=frozenset(wanted),
            trends_at_ms=max(e.event_time_ms for e in orders),
        )

    def signals_needed_now(
        self, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> SignalRequest:
        order = latest_order(context)
        if order is None:
            return NO_SIGNALS
        wanted = complements(_mapped(order.categories, rules), rules.cross_sell)
        return SignalRequest(trend_categories=frozenset(wanted), trends_at_ms=now_ms)

    def _offer(
        self,
        subject: Subject,
        rules: OfferRules,
        signals: Signals,
        purchase: _Purchase,
        decided_ms: int,
        caused_by: tuple[str, ...],
    ) -> Candidate | None:
        bought = _mapped(purchase.categories, rules)
        if not bought:
            return None
        wanted = complements(bought, rules.cross_sell)
        trending = [signals.trending.get(c, ()) for c in wanted]
        picks = round_robin(trending, set(purchase.product_ids), CROSS_SELL_PRODUCTS)
        offer = "no trending product in them right now"
        if picks:
            offer = f"trending now: {', '.join(picks)}"
        text = (
            f"Bought {', '.join(bought)} {purchase.where} {purchase.facts}; "
            f"complementary: {', '.join(wanted)}; {offer}"
        )
        return Candidate(
            type=self.trigger_type,
            person=subject.person,
            cause=f"order:{purchase.order_id}",
            product_ids=tuple(picks),
            # The store of a till purchase, so a store associate can follow up there.
            store_id=purchase.store_id,
            value=purchase.total,
            priority=self.rule(rules).priority,
            caused_by=caused_by,
            reason_code="complements_purchase",
            reason_text=text,
            decided_ms=decided_ms,
            visitor_id=subject.visitor_id,
        )


@dataclass(frozen=True, slots=True)
class _Purchase:
    """An order as cross-sell reads it, from its event or from the context's record."""

    order_id: str
    total: float
    store_id: str | None
    categories: tuple[str | None, ...]
    product_ids: tuple[str, ...]  # bought already: never offered again
    where: str
    facts: str  # "(order o-1, 80.00 EUR)", as the reason text names the order


def _mapped(categories: Iterable[str | None], rules: OfferRules) -> list[str]:
    """The categories bought that the map links to others, in order, each once."""
    return list(dict.fromkeys(c for c in categories if c is not None and c in rules.cross_sell))


def latest_order(context: CustomerContext) -> OrderRecord | None:
    """The latest order, however old: a touchpoint asks about this customer as they are."""
    return max(context.recent_orders, key=lambda r: (r.at_ms, r.order_id), default=None)


def complements(categories: Iterable[str], mapping: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The complementary categories of those bought, in the map's order, each once."""
    return list(dict.fromkeys(c for category in categories for c in mapping.get(category, ())))


def round_robin(ranked: list[tuple[str, ...]], excluded: set[str], limit: int) -> list[str]:
    """The top trending product of each category in turn, so one category cannot fill the offer."""
    offered = [[p for p in products if p not in excluded] for products in ranked]
    picks: list[str] = []
    for index in range(max((len(o) for o in offered), default=0)):
        for products in offered:
            if index < len(products) and products[index] not in picks:
                picks.append(products[index])
    return picks[:limit]


KIND: Kind = CrossSell()
