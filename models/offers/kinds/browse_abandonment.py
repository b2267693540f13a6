"""Browse abandonment: one product viewed again and again, never added nor bought.

The ``min_views``-th view within ``window`` arms a timer per product; its cause
is the oldest view still in the window, so further views move the deadline and
keep the trigger id. At the deadline a purchase of the product (any channel)
makes it ``purchased`` and an add to the basket ``no_longer_valid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.bought import bought_text, buying_order
from models.offers.decision import Candidate, Expired, PendingTrigger, Signals, Subject
from models.offers.kinds import Kind
from models.offers.rules import OfferRules, SuppressionReason, TriggerType
from models.offers.texts import duration_text, time_text
from models.offers.views import view_count, viewed_enough, views_within


class BrowseAbandonment(Kind):
    trigger_type = TriggerType.BROWSE_ABANDONMENT
    topic = "remarketing"
    rule_keys = ("min_views", "window")

    def pending(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[PendingTrigger]:
        context, rule = subject.context, self.rule(rules)
        held = _held(context)
        browsed: list[PendingTrigger] = []
        for event in events:
            if event.kind is not EventKind.PRODUCT_VIEWED:
                continue
            at = event.event_time_ms
            for product in event.products:
                pid = product.product_id
                views = view_count(context, pid, at, rule.window_ms)
                if pid in held or views < max(rule.min_views, 1):
                    continue
                # The oldest view still remembered in the window: fixed while views go on.
                times = views_within(context, pid, at, rule.window_ms) or (at,)
                browsed.append(
                    PendingTrigger(
                        type=self.trigger_type,
                        person=subject.person,
                        cause=f"browse:{pid}:{min(times)}",
                        due_ms=at + rule.delay_ms,
                        scheduled_ms=at,
                        product_ids=(pid,),
                        caused_by=(event.message_id,),
                        value=product.price or 0.0,
                        visitor_id=subject.visitor_id,
                    )
                )
        return _latest_per_cause(browsed)

    def slot(self, pending: PendingTrigger) -> str:
        """One timer per product: browsing another product does not replace it."""
        product = pending.product_ids[0] if pending.product_ids else ""
        return f"{pending.person.key}|{pending.type.value}|{product}"

    def on_due(
        self, pending: PendingTrigger, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> Candidate | Expired:
        pid = pending.product_ids[0] if pending.product_ids else ""
        if any(p.product_id == pid for p in context.recent_purchases):
            order = buying_order(context, pending)
            detail = bought_text(order, (pid,)) if order is not None else f"{pid} bought since"
            return Expired(pending, SuppressionReason.PURCHASED, detail)
        added = next((i for i in context.basket.items if i.product_id == pid), None)
        if added is not None:
            detail = f"{pid} added to the basket at {time_text(added.added_ms)}"
            return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)
        rule = self.rule(rules)
        views = view_count(context, pid, pending.scheduled_ms, rule.window_ms)
        span = f" within {duration_text(rule.window_ms)}" if rule.window_ms > 0 else ""
        text = (
            f"Viewed {pid} {views} times{span} (last {time_text(pending.scheduled_ms)}), "
            "never added to the basket nor bought"
        )
        code = "viewed_not_bought"
        return pending.candidate((pid,), pending.value, rule.priority, code, text, now_ms)

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        """Each product browsed enough, as a reminder at once whatever the delay."""
        context, rule = subject.context, self.rule(rules)
        found = []
        for view in viewed_enough(context, rule, now_ms, _held(context)):
            times = views_within(context, view.product_id, now_ms, rule.window_ms)
            times = times or (view.last_viewed_ms,)
            pending = PendingTrigger(
                type=self.trigger_type,
                person=subject.person,
                # The oldest view in the window, as the timer's cause.
                cause=f"browse:{view.product_id}:{min(times)}",
                due_ms=now_ms,
                scheduled_ms=max(times),
                product_ids=(view.product_id,),
                caused_by=(),
                visitor_id=subject.visitor_id,
            )
            outcome = self.on_due(pending, context, rules, now_ms)
            if isinstance(outcome, Candidate):
                found.append(outcome)
        return found


def _held(context: CustomerContext) -> set[str]:
    """Products in the basket or bought: not abandoned."""
    held = {i.product_id for i in context.basket.items}
    return held | {p.product_id for p in context.recent_purchases}


def _latest_per_cause(pendings: list[PendingTrigger]) -> list[PendingTrigger]:
    """One timer per cause: due after the latest view, carrying every view's messageId."""
    by_cause: dict[str, list[PendingTrigger]] = {}
    for pending in pendings:
        by_cause.setdefault(pending.cause, []).append(pending)
    result = []
    for cause in sorted(by_cause):
        group = by_cause[cause]
        ids = tuple(dict.fromkeys(mid for p in group for mid in p.caused_by))
        result.append(replace(group[-1], caused_by=ids, value=max(p.value for p in group)))
    return result


KIND: Kind = BrowseAbandonment()
