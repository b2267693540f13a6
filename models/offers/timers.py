"""Timed triggers: scheduled when the condition starts to hold, re-checked when due.

A timer is a promise to look again, not a decision: when it falls due,
:func:`on_due` asks the context as it is *then* whether the trigger still holds,
so a basket bought at the till meanwhile is never remarketed. Due times derive
from event times only, so a replay schedules exactly what live traffic did.

The cause is fixed when the condition starts (the first add of the basket, the
first view of the window), so rescheduling keeps the trigger id while the due
time moves; :attr:`PendingTrigger.slot` names what a new timer replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from operator import attrgetter

from models.context.parts import OrderRecord
from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.identity import Identity
from models.offers.decision import ONLINE, Candidate, Expired, PendingTrigger, latest_visitor
from models.offers.rules import OfferRules, SuppressionReason, TriggerType
from models.offers.texts import duration_text, time_text
from models.offers.views import view_count, views_within


def pending_triggers(
    context: CustomerContext, events: Sequence[Event], person: Identity, rules: OfferRules
) -> list[PendingTrigger]:
    ordered = sorted(events, key=attrgetter("order_key"))
    visitor = latest_visitor(person, ordered)
    found: list[PendingTrigger] = []
    rule = rules.rule(TriggerType.ABANDONED_BASKET)
    adds = [e for e in ordered if e.kind is EventKind.PRODUCT_ADDED and e.channel in ONLINE]
    items = context.basket.items
    if rule is not None and adds:
        # An add already settled by an order (the till sale was folded first) still arms
        # the timer: at the deadline it becomes a visible `purchased` cancellation.
        added_ms = [e.event_time_ms for e in adds] + [i.added_ms for i in items]
        # The latest add in the basket too: a late, older add must not bring the timer forward.
        latest = max(added_ms)
        products = (
            tuple(i.product_id for i in items)
            if items
            else tuple(dict.fromkeys(p.product_id for e in adds for p in e.products))
        )
        found.append(
            PendingTrigger(
                type=TriggerType.ABANDONED_BASKET,
                person=person,
                cause=f"basket:{min(added_ms) if not items else min(i.added_ms for i in items)}",
                due_ms=latest + rule.delay_ms,
                scheduled_ms=latest,
                product_ids=products,
                caused_by=tuple(e.message_id for e in adds),
                value=context.basket.value,
                visitor_id=visitor,
            )
        )
    rule = rules.rule(TriggerType.BROWSE_ABANDONMENT)
    if rule is None:
        return found
    in_basket = {i.product_id for i in items}
    bought = {p.product_id for p in context.recent_purchases}
    browsed: list[PendingTrigger] = []
    for event in ordered:
        if event.kind is not EventKind.PRODUCT_VIEWED:
            continue
        at = event.event_time_ms
        for product in event.products:
            pid = product.product_id
            views = view_count(context, pid, at, rule.window_ms)
            if pid in in_basket or pid in bought or views < max(rule.min_views, 1):
                continue
            # The oldest view still remembered in the window: fixed while views go on.
            times = views_within(context, pid, at, rule.window_ms) or (at,)
            browsed.append(
                PendingTrigger(
                    type=TriggerType.BROWSE_ABANDONMENT,
                    person=person,
                    cause=f"browse:{pid}:{min(times)}",
                    due_ms=at + rule.delay_ms,
                    scheduled_ms=at,
                    product_ids=(pid,),
                    caused_by=(event.message_id,),
                    value=product.price or 0.0,
                    visitor_id=visitor,
                )
            )
    return found + _latest_per_cause(browsed)


def on_due(
    pending: PendingTrigger, context: CustomerContext, rules: OfferRules, now_ms: int
) -> Candidate | Expired:
    rule = rules.rule(pending.type)
    if rule is None:
        return Expired(pending, SuppressionReason.NO_LONGER_VALID, "rule disabled since scheduled")
    if pending.type is TriggerType.ABANDONED_BASKET:
        return _basket_due(pending, context, rule.priority, now_ms)
    return _browse_due(pending, context, rule.priority, rule.window_ms, now_ms)


def _basket_due(
    pending: PendingTrigger, context: CustomerContext, priority: float, now_ms: int
) -> Candidate | Expired:
    basket = context.basket
    if basket.items:
        latest = max(i.added_ms for i in basket.items)
        if latest > pending.scheduled_ms:
            # The rescheduled timer of this basket decides; this one was overtaken.
            detail = f"basket changed at {time_text(latest)}; a later reminder is due"
            return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)
        ids = tuple(i.product_id for i in basket.items)
        idle = duration_text(max(0, now_ms - latest))
        text = (
            f"{len(ids)} item(s) ({', '.join(ids)}; {basket.value:.2f}) left in the "
            f"{basket.channel} basket since {time_text(latest)}, {idle} without an order "
            "in any channel"
        )
        return pending.candidate(ids, basket.value, priority, "basket_abandoned", text, now_ms)
    order = _buying_order(context, pending)
    if order is not None:
        return Expired(
            pending, SuppressionReason.PURCHASED, _bought_text(order, pending.product_ids)
        )
    detail = f"removed from the basket: {', '.join(pending.product_ids)}"
    return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)


def _browse_due(
    pending: PendingTrigger, context: CustomerContext, priority: float, window_ms: int, now_ms: int
) -> Candidate | Expired:
    pid = pending.product_ids[0] if pending.product_ids else ""
    if any(p.product_id == pid for p in context.recent_purchases):
        order = _buying_order(context, pending)
        detail = _bought_text(order, (pid,)) if order is not None else f"{pid} bought since"
        return Expired(pending, SuppressionReason.PURCHASED, detail)
    added = next((i for i in context.basket.items if i.product_id == pid), None)
    if added is not None:
        detail = f"{pid} added to the basket at {time_text(added.added_ms)}"
        return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)
    views = view_count(context, pid, pending.scheduled_ms, window_ms)
    span = f" within {duration_text(window_ms)}" if window_ms > 0 else ""
    text = (
        f"Viewed {pid} {views} times{span} (last {time_text(pending.scheduled_ms)}), "
        "never added to the basket nor bought"
    )
    return pending.candidate((pid,), pending.value, priority, "viewed_not_bought", text, now_ms)


def _buying_order(context: CustomerContext, pending: PendingTrigger) -> OrderRecord | None:
    """The earliest order since scheduling that bought one of the products (no list: all)."""
    wanted = set(pending.product_ids)
    bought = [
        r
        for r in context.recent_orders
        if r.at_ms >= pending.scheduled_ms and (not r.product_ids or wanted & set(r.product_ids))
    ]
    return min(bought, key=lambda r: (r.at_ms, r.order_id), default=None)


def _bought_text(order: OrderRecord, product_ids: tuple[str, ...]) -> str:
    where = f"at the till in {order.store_id}" if order.store_id else f"online ({order.channel})"
    listed = [p for p in product_ids if p in order.product_ids] or list(product_ids)
    return (
        f"bought {where} at {time_text(order.at_ms)} (order {order.order_id}): {', '.join(listed)}"
    )


def _latest_per_cause(pendings: list[PendingTrigger]) -> list[PendingTrigger]:
    """One timer per cause: due after the latest view, carrying every view's messageId."""
    by_cause: dict[str, list[PendingTrigger]] = {}
    for pending in pendings:
        by_cause.setdefault(pending.cause, []).append(pending)
    result = []
    for cause in sorted(by_cause):
        group = by_cause[cause]
        ids = tuple(dict.fromkeys(mid for p in group for mid in p.caused_by))
        last = group[-1]
        result.append(replace(last, caused_by=ids, value=max(p.value for p in group)))
    return result
