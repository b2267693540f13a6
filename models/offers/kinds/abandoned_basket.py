"""Abandoned basket: items added online, no order in any channel within the delay.

Every online add arms (or re-arms) the person's basket timer. The cause is the
first add of the basket, so a later add moves the deadline and keeps the
trigger id. At the deadline the basket as it is *then* decides: an order that
covered it (a till sale included) makes it ``purchased``, an emptied basket
``no_longer_valid``, and a basket changed since gives way to the later timer.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.bought import bought_text, buying_order
from models.offers.decision import ONLINE, Candidate, Expired, PendingTrigger, Signals, Subject
from models.offers.kinds import Kind
from models.offers.rules import OfferRules, SuppressionReason, TriggerType
from models.offers.texts import MINUTE_MS, duration_text, time_text


class AbandonedBasket(Kind):
    trigger_type = TriggerType.ABANDONED_BASKET
    topic = "remarketing"

    def pending(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[PendingTrigger]:
        adds = [e for e in events if e.kind is EventKind.PRODUCT_ADDED and e.channel in ONLINE]
        if not adds:
            return []
        basket = subject.context.basket
        # An add already settled by an order (the till sale was folded first) still arms
        # the timer: at the deadline it becomes a visible `purchased` cancellation.
        added_ms = [e.event_time_ms for e in adds] + [i.added_ms for i in basket.items]
        # The latest add in the basket too: a late, older add must not bring the timer forward.
        latest = max(added_ms)
        products = (
            tuple(i.product_id for i in basket.items)
            if basket.items
            else tuple(dict.fromkeys(p.product_id for e in adds for p in e.products))
        )
        first = min(i.added_ms for i in basket.items) if basket.items else min(added_ms)
        return [
            PendingTrigger(
                type=self.trigger_type,
                person=subject.person,
                cause=f"basket:{first}",
                due_ms=latest + self.rule(rules).delay_ms,
                scheduled_ms=latest,
                product_ids=products,
                caused_by=tuple(e.message_id for e in adds),
                value=basket.value,
                visitor_id=subject.visitor_id,
            )
        ]

    def on_due(
        self, pending: PendingTrigger, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> Candidate | Expired:
        return _decide(pending, context, self.rule(rules).priority, now_ms, now_ms)

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        """The basket as a reminder at once, whatever the delay: on-site it is relevant now."""
        basket = subject.context.basket
        if not basket.items:
            return []
        latest = max(i.added_ms for i in basket.items)
        pending = PendingTrigger(
            type=self.trigger_type,
            person=subject.person,
            cause=f"basket:{min(i.added_ms for i in basket.items)}",  # the timer's cause
            due_ms=now_ms,
            scheduled_ms=latest,
            product_ids=tuple(i.product_id for i in basket.items),
            caused_by=(),
            value=basket.value,
            visitor_id=subject.visitor_id,
        )
        # The idle time in whole minutes reads better.
        idle_until = latest + max(0, now_ms - latest) // MINUTE_MS * MINUTE_MS
        priority = self.rule(rules).priority
        outcome = _decide(pending, subject.context, priority, idle_until, now_ms)
        return [outcome] if isinstance(outcome, Candidate) else []


def _decide(
    pending: PendingTrigger,
    context: CustomerContext,
    priority: float,
    idle_until_ms: int,
    decided_ms: int,
) -> Candidate | Expired:
    basket = context.basket
    if basket.items:
        latest = max(i.added_ms for i in basket.items)
        if latest > pending.scheduled_ms:
            # The rescheduled timer of this basket decides; this one was overtaken.
            detail = f"basket changed at {time_text(latest)}; a later reminder is due"
            return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)
        ids = tuple(i.product_id for i in basket.items)
        idle = duration_text(max(0, idle_until_ms - latest))
        text = (
            f"{len(ids)} item(s) ({', '.join(ids)}; {basket.value:.2f}) left in the "
            f"{basket.channel} basket since {time_text(latest)}, {idle} without an order "
            "in any channel"
        )
        return pending.candidate(ids, basket.value, priority, "basket_abandoned", text, decided_ms)
    order = buying_order(context, pending)
    if order is not None:
        detail = bought_text(order, pending.product_ids)
        return Expired(pending, SuppressionReason.PURCHASED, detail)
    detail = f"removed from the basket: {', '.join(pending.product_ids)}"
    return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)


KIND: Kind = AbandonedBasket()
