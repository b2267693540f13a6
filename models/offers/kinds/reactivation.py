"""Reactivation: a customer whose last order is older than the lapse shows up again.

Any event but an order is the customer coming back (buying is them coming back
by themselves, not a visit to answer). The cause is the lapsed order, so one
lapse period is one trigger id however many visits follow.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.context.limits import DAY_MS
from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.decision import Candidate, Signals, Subject
from models.offers.kinds import Kind
from models.offers.rules import OfferRules, TriggerRule, TriggerType
from models.offers.texts import day_text, duration_text


class Reactivation(Kind):
    trigger_type = TriggerType.REACTIVATION
    topic = "remarketing"
    rule_keys = ("lapse",)

    def candidates(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules, signals: Signals
    ) -> list[Candidate]:
        rule = self.rule(rules)
        found = []
        for event in events:
            if event.kind is EventKind.ORDER_COMPLETED:
                continue
            at = event.event_time_ms
            last = last_order_before(subject.context, at)
            if last is None or at - last <= rule.lapse_ms:
                continue
            text = lapse_text(subject.context, last, at, rule, f" on {event.channel.value}")
            found.append(_candidate(subject, rule, last, text, at, (event.message_id,)))
        return found

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        rule = self.rule(rules)
        last = last_order_before(subject.context, now_ms)
        if last is None or now_ms - last <= rule.lapse_ms:
            return []
        text = lapse_text(subject.context, last, now_ms, rule)
        return [_candidate(subject, rule, last, text, now_ms, ())]


def lapse_text(
    context: CustomerContext, last_order_ms: int, at_ms: int, rule: TriggerRule, how: str = ""
) -> str:
    """Why a lapsed customer is worth a word now: how long since which order."""
    record = next((r for r in context.recent_orders if r.at_ms == last_order_ms), None)
    where = ""
    if record is not None:
        where = f" in {record.store_id}" if record.store_id else f" on {record.channel}"
    return (
        f"Back{how} after {(at_ms - last_order_ms) // DAY_MS} days without an order "
        f"(last order {day_text(last_order_ms)}{where}; "
        f"lapse threshold {duration_text(rule.lapse_ms)})"
    )


def last_order_before(context: CustomerContext, at_ms: int) -> int | None:
    """The latest order strictly before ``at_ms``: an order later in the same batch
    must not hide the lapse that the visit before it ended."""
    last = context.last_order_ms
    if last is None or last < at_ms:
        return last
    return max((r.at_ms for r in context.recent_orders if r.at_ms < at_ms), default=None)


def _candidate(
    subject: Subject,
    rule: TriggerRule,
    last_order_ms: int,
    text: str,
    decided_ms: int,
    caused_by: tuple[str, ...],
) -> Candidate:
    return Candidate(
        type=TriggerType.REACTIVATION,
        person=subject.person,
        cause=f"lapse:{last_order_ms}",
        product_ids=(),
        store_id=None,
        value=subject.context.avg_order_value,
        priority=rule.priority,
        caused_by=caused_by,
        reason_code="lapsed_customer_returned",
        reason_text=text,
        decided_ms=decided_ms,
        visitor_id=subject.visitor_id,
    )


KIND: Kind = Reactivation()
