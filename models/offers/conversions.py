"""Conversions of measured decisions: which order, if any, converts a sent or held-out one.

A decision of a type with a holdout (sent, or held out though it would have been sent)
is remembered for its type's ``conversion_window``. The first order the person places
after it, in any channel (online ``Order Completed`` or a till sale), within the window,
converts it, once:

- "after" is strictly later in event time, and the order that caused the decision (a
  cross-sell's purchase, under any of its copies) never converts it;
- a decision converts once: later orders, a replay of the order, or its web and till
  copies (one ``order_id``) find it converted already;
- among the orders of one batch, the earliest converts (then the lowest ``order_id``);
- an order already in the context the decision was taken on (folded before the decision
  was recorded: a timer firing a moment after an order on another topic) converts it
  when it is recorded.

Decisions and their conversions are counted per type and group, so the conversion rates
of the two groups, and their ratio (the lift), are a query away (the dashboard's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.offers.decision import Candidate
from models.offers.holdout import Group, Holdout


def cause_tag(cause: str) -> str:
    """A decision's cause as remembered: 64 bits of BLAKE2b, no input kept in Redis."""
    return hashlib.blake2b(cause.encode(), digest_size=8).hexdigest()


def order_cause(order_id: str) -> str:
    """The cause of a decision an order took (cross-sell's): that order cannot convert it."""
    return f"order:{order_id}"


@dataclass(frozen=True, slots=True)
class MeasuredDecision:
    """A sent or held-out decision waiting for an order, as its person's record keeps it."""

    trigger_id: str
    type: str
    group: Group
    decided_ms: int
    until_ms: int
    cause: str  # cause_tag of the decision's cause

    @classmethod
    def of(cls, candidate: Candidate, group: Group, holdout: Holdout) -> MeasuredDecision:
        return cls(
            trigger_id=candidate.trigger_id,
            type=candidate.type.value,
            group=group,
            decided_ms=candidate.decided_ms,
            until_ms=candidate.decided_ms + holdout.conversion_window_ms,
            cause=cause_tag(candidate.cause),
        )

    def encode(self) -> str:
        # Types, groups, times and digests only: nothing from input, so "|" cannot be forged.
        return f"{self.type}|{self.group.value}|{self.decided_ms}|{self.until_ms}|{self.cause}"

    @classmethod
    def decode(cls, trigger_id: str, stored: str) -> MeasuredDecision:
        kind, group, decided, until, cause = stored.split("|")
        return cls(trigger_id, kind, Group(group), int(decided), int(until), cause)

    def converted_by(self, order: PlacedOrder) -> bool:
        in_window = self.decided_ms < order.at_ms <= self.until_ms
        return in_window and cause_tag(order_cause(order.order_id)) != self.cause


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: str
    at_ms: int
    total: float


@dataclass(frozen=True, slots=True)
class Conversion:
    decision: MeasuredDecision
    order: PlacedOrder


def placed_orders(events: Iterable[Event]) -> list[PlacedOrder]:
    """The orders among a person's events, earliest first (online and till alike)."""
    orders = {
        (e.event_time_ms, e.order.order_id): PlacedOrder(
            e.order.order_id, e.event_time_ms, e.order.total
        )
        for e in events
        if e.kind is EventKind.ORDER_COMPLETED and e.order is not None
    }
    return [orders[key] for key in sorted(orders)]


def context_orders(context: CustomerContext) -> list[PlacedOrder]:
    """The orders a context remembers (its recent ones), earliest first."""
    orders = [PlacedOrder(r.order_id, r.at_ms, r.total_cents / 100) for r in context.recent_orders]
    return sorted(orders, key=lambda o: (o.at_ms, o.order_id))


def conversions(
    decisions: Sequence[MeasuredDecision],
    converted: Iterable[str],
    orders: Sequence[PlacedOrder],
) -> list[Conversion]:
    """The decisions these orders convert (``orders`` earliest first, ``converted``: the
    trigger ids converted before), each with the first order that converts it."""
    done = set(converted)
    found = []
    for decision in decisions:
        if decision.trigger_id in done:
            continue
        order = next((o for o in orders if decision.converted_by(o)), None)
        if order is not None:
            found.append(Conversion(decision, order))
    return found


def expired(decisions: Iterable[MeasuredDecision], now_ms: int) -> list[str]:
    """Trigger ids whose window has closed by ``now_ms`` (event time): nothing converts
    them any more, so their record can go."""
    return [d.trigger_id for d in decisions if d.until_ms < now_ms]
