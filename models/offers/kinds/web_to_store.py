"""Web-to-store: a product viewed online by a customer whose own store has it in stock.

The customer's store is the most frequent store of their till purchases; the
stock is a live signal read from Redis. The trigger names that store, so a
store associate can follow up there. Anonymous visitors have no store.

A product out of stock when it was viewed is watched at the customer's store:
when it comes back (:mod:`models.offers.restock`), the customers whose views
qualified within ``restock_window`` get the offer then. The cause is the same
``product@store`` as from a view, so one product at one store is offered once.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.context import preferred_store
from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.decision import (
    NO_SIGNALS,
    ONLINE,
    Candidate,
    SignalRequest,
    Signals,
    Subject,
)
from models.offers.kinds import Kind
from models.offers.restock import Restock, RestockReach, RestockWatch
from models.offers.rules import OfferRules, TriggerRule, TriggerType
from models.offers.texts import duration_text, product_label, time_text
from models.offers.views import latest_qualifying_view, view_count, viewed_enough


class WebToStore(Kind):
    trigger_type = TriggerType.WEB_TO_STORE
    topic = "web_to_store"
    rule_keys = ("min_views", "window", "restock_window", "restock_max_people")

    def candidates(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules, signals: Signals
    ) -> list[Candidate]:
        store, rule = _their_store(subject), self.rule(rules)
        if store is None:
            return []
        found = []
        for event in filter(_online_view, events):
            at = event.event_time_ms
            for product in event.products:
                views = view_count(subject.context, product.product_id, at, rule.window_ms)
                units = signals.stock.get((store, product.product_id), 0)
                if views < rule.min_views or units <= 0:
                    continue
                seen = f"{product_label(product)} {views} times on {event.channel.value}"
                text = _reason(subject, rule, seen, units, store)
                pid, value, caused_by = (
                    product.product_id,
                    product.price or 0.0,
                    (event.message_id,),
                )
                found.append(_candidate(subject, rule, pid, store, value, text, at, caused_by))
        return found

    def signals_needed(
        self, context: CustomerContext, events: Sequence[Event], rules: OfferRules
    ) -> SignalRequest:
        store = preferred_store(context)
        if store is None:
            return NO_SIGNALS
        pairs = frozenset(
            (store, p.product_id) for e in events if _online_view(e) for p in e.products
        )
        return SignalRequest(stock_pairs=pairs)

    def signals_needed_now(
        self, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> SignalRequest:
        store = preferred_store(context)
        if store is None:
            return NO_SIGNALS
        pairs = frozenset((store, v.product_id) for v in context.recent_products)
        return SignalRequest(stock_pairs=pairs)

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        """Prices of viewed products are not in the context: valued at 0."""
        store, rule = _their_store(subject), self.rule(rules)
        if store is None:
            return []
        found = []
        for view in viewed_enough(subject.context, rule, now_ms, set()):
            pid = view.product_id
            units = signals.stock.get((store, pid), 0)
            if units <= 0:
                continue
            seen = f"{pid} {view_count(subject.context, pid, now_ms, rule.window_ms)} times"
            text = _reason(subject, rule, seen, units, store)
            found.append(_candidate(subject, rule, pid, store, 0.0, text, now_ms, ()))
        return found

    def restock_watches(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[RestockWatch]:
        """Products whose views reached ``min_views`` in the window, at the customer's
        store, whatever its stock: a restock decides again, and a trigger already sent
        for the same product and store stays silent (same trigger id)."""
        store, rule = _their_store(subject), self.rule(rules)
        if store is None:
            return []
        latest: dict[str, int] = {}
        for event in filter(_online_view, events):
            at = event.event_time_ms
            for product in event.products:
                pid = product.product_id
                if view_count(subject.context, pid, at, rule.window_ms) >= max(rule.min_views, 1):
                    latest[pid] = max(latest.get(pid, at), at)
        return [RestockWatch(store, pid, at) for pid, at in sorted(latest.items())]

    def restock_reach(self, rule: TriggerRule) -> RestockReach:
        return RestockReach(rule.restock_window_ms, rule.restock_max_people)

    def on_restock(self, subject: Subject, restock: Restock, rules: OfferRules) -> Candidate | None:
        """Back in stock at the customer's store, after views that qualified (``min_views``
        within ``window``) at most ``restock_window`` before the reading."""
        store, rule = _their_store(subject), self.rule(rules)
        if store != restock.store_id or restock.units <= 0:
            return None
        pid, at = restock.product_id, restock.at_ms
        viewed_ms = latest_qualifying_view(subject.context, pid, rule, at, rule.restock_window_ms)
        if viewed_ms is None:
            return None
        views = view_count(subject.context, pid, viewed_ms, rule.window_ms)
        span = f" within {duration_text(rule.window_ms)}" if rule.window_ms > 0 else ""
        visits = subject.context.purchases_by_store[store].orders
        text = (
            f"Viewed {pid} {views} times{span}, last at {time_text(viewed_ms)}; back in stock "
            f"at {store} ({restock.units} units), their store ({visits} till purchases)"
        )
        caused_by = (restock.message_id,)
        return _candidate(subject, rule, pid, store, 0.0, text, at, caused_by, "back_in_stock")


def _online_view(event: Event) -> bool:
    return event.kind is EventKind.PRODUCT_VIEWED and event.channel in ONLINE


def _their_store(subject: Subject) -> str | None:
    return None if subject.person.is_anonymous else preferred_store(subject.context)


def _reason(subject: Subject, rule: TriggerRule, seen: str, units: int, store: str) -> str:
    span = f" in the last {duration_text(rule.window_ms)}" if rule.window_ms > 0 else ""
    visits = subject.context.purchases_by_store[store].orders
    return (
        f"Viewed {seen}{span}; {units} in stock at {store}, their store ({visits} till purchases)"
    )


def _candidate(
    subject: Subject,
    rule: TriggerRule,
    product_id: str,
    store: str,
    value: float,
    text: str,
    decided_ms: int,
    caused_by: tuple[str, ...],
    code: str = "in_stock_nearby",
) -> Candidate:
    return Candidate(
        type=TriggerType.WEB_TO_STORE,
        person=subject.person,
        cause=f"{product_id}@{store}",
        product_ids=(product_id,),
        store_id=store,
        value=value,
        priority=rule.priority,
        caused_by=caused_by,
        reason_code=code,
        reason_text=text,
        decided_ms=decided_ms,
        visitor_id=subject.visitor_id,
    )


KIND: Kind = WebToStore()
