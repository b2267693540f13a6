"""The best offer for one person right now, read from their context alone.

Serves ``GET /customers/{id}/next-best-offer``: a touchpoint (site, app, till)
asks what to show now. It applies consent and contact pressure exactly as the
engine would, but reserves nothing and emits nothing, so asking twice is free.

Candidates come from the context state at ``now_ms``, not from events, with the
engine's reason codes and causes, so a candidate's ``trigger_id`` is the one the
engine emits (or would) for the same facts. Differences from the event paths:

* Timed types ignore their delay: on-site, a reminder is relevant at once.
* Prices of viewed products are not in the context, so browse abandonment and
  web-to-store are valued at 0 (a score of the rule's priority).
* ``caused_by`` is empty: no event caused a read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from models.context import preferred_store
from models.context.limits import DAY_MS
from models.context.state import CustomerContext
from models.identity import Identity
from models.offers.arbitration import rank_key
from models.offers.candidates import (
    CROSS_SELL_PRODUCTS,
    lapse_text,
    last_order_before,
    round_robin,
)
from models.offers.channels import ChannelChoice, choose_channel
from models.offers.decision import Candidate, PendingTrigger, Signals
from models.offers.pressure import WEEK_MS, Contact, pressure_verdict
from models.offers.rules import ContactCaps, OfferRules, SuppressionReason, TriggerRule, TriggerType
from models.offers.texts import day_text, duration_text
from models.offers.timers import on_due
from models.offers.views import view_count, viewed_enough, views_within

MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Assessed:
    candidate: Candidate
    channel: ChannelChoice
    # None: would be sent now; else why not (no_consent, capped, cooldown, lower_priority).
    verdict: SuppressionReason | None
    detail: str


@dataclass(frozen=True, slots=True)
class BestOffer:
    best: Assessed | None  # the highest-ranked candidate that would be sent now
    considered: tuple[Assessed, ...]  # every candidate in rank order, each with its verdict


def best_offer_now(
    context: CustomerContext,
    person: Identity,
    rules: OfferRules,
    signals: Signals,
    contacts: Sequence[Contact],
    now_ms: int,
) -> BestOffer:
    best: Assessed | None = None
    considered: list[Assessed] = []
    for candidate in sorted(candidates_now(context, person, rules, signals, now_ms), key=rank_key):
        rule = rules.triggers[candidate.type]
        assessed = _assess(candidate, rule, context, person, rules, contacts, now_ms)
        if best is not None:
            # Only one message: a sendable better offer outranks this one whatever its state.
            own = f"; also {assessed.verdict.value}: {assessed.detail}" if assessed.verdict else ""
            detail = f"{best.candidate.type.value} scored higher{own}"
            assessed = replace(assessed, verdict=SuppressionReason.LOWER_PRIORITY, detail=detail)
        elif assessed.verdict is None:
            best = assessed
        considered.append(assessed)
    return BestOffer(best, tuple(considered))


def candidates_now(
    context: CustomerContext, person: Identity, rules: OfferRules, signals: Signals, now_ms: int
) -> list[Candidate]:
    """Every candidate of the enabled rules that holds at ``now_ms``, unranked."""
    visitor = _linked_visitor(person, context)
    found: list[Candidate] = []
    if rules.rule(TriggerType.ABANDONED_BASKET) is not None:
        found += _basket(context, person, visitor, rules, now_ms)
    if (rule := rules.rule(TriggerType.BROWSE_ABANDONMENT)) is not None:
        found += _browse(context, person, visitor, rules, rule, now_ms)
    if (rule := rules.rule(TriggerType.WEB_TO_STORE)) is not None:
        found += _web_to_store(context, person, visitor, rule, signals, now_ms)
    if (rule := rules.rule(TriggerType.CROSS_SELL)) is not None:
        found += _cross_sell(context, person, visitor, rule, rules.cross_sell, signals, now_ms)
    if (rule := rules.rule(TriggerType.REACTIVATION)) is not None:
        found += _reactivation(context, person, visitor, rule, now_ms)
    return found


def _linked_visitor(person: Identity, context: CustomerContext) -> str | None:
    """A customer's latest linked visitor id rides along for downstream ad audiences."""
    if person.is_anonymous or not context.anonymous_ids:
        return None
    return context.anonymous_ids[-1]


def _assess(
    candidate: Candidate,
    rule: TriggerRule,
    context: CustomerContext,
    person: Identity,
    rules: OfferRules,
    contacts: Sequence[Contact],
    now_ms: int,
) -> Assessed:
    choice = choose_channel(rule, context, person, rules.quiet_hours, now_ms)
    if choice.channel is None:
        return Assessed(candidate, choice, SuppressionReason.NO_CONSENT, choice.detail)
    verdict = pressure_verdict(
        contacts, candidate.trigger_id, candidate.type, now_ms, rules.caps, rule.cooldown_ms
    )
    if verdict is None:
        return Assessed(candidate, choice, None, choice.detail)
    detail = _pressure_text(verdict, contacts, now_ms, rules.caps, rule.cooldown_ms)
    return Assessed(candidate, choice, verdict, detail)


def _pressure_text(
    verdict: SuppressionReason, contacts: Sequence[Contact], now_ms: int, caps: ContactCaps, cd: int
) -> str:
    if verdict is SuppressionReason.COOLDOWN:
        return f"same offer type sent less than {duration_text(cd)} ago"
    day = sum(abs(now_ms - c.at_ms) < DAY_MS for c in contacts)
    week = sum(abs(now_ms - c.at_ms) < WEEK_MS for c in contacts)
    return f"contact cap reached: {day}/{caps.per_day} in 24 h, {week}/{caps.per_week} in 7 days"


def _basket(
    context: CustomerContext,
    person: Identity,
    visitor_id: str | None,
    rules: OfferRules,
    now_ms: int,
) -> list[Candidate]:
    items = context.basket.items
    if not items:
        return []
    latest = max(i.added_ms for i in items)
    pending = PendingTrigger(
        type=TriggerType.ABANDONED_BASKET,
        person=person,
        cause=f"basket:{min(i.added_ms for i in items)}",  # as timers.pending_triggers
        due_ms=now_ms,
        scheduled_ms=latest,
        product_ids=tuple(i.product_id for i in items),
        caused_by=(),
        value=context.basket.value,
        visitor_id=visitor_id,
    )
    # The timer's own check and text; the idle time in whole minutes reads better.
    at = latest + max(0, now_ms - latest) // MINUTE_MS * MINUTE_MS
    outcome = on_due(pending, context, rules, at)
    return [replace(outcome, decided_ms=now_ms)] if isinstance(outcome, Candidate) else []


def _browse(
    context: CustomerContext,
    person: Identity,
    visitor_id: str | None,
    rules: OfferRules,
    rule: TriggerRule,
    now_ms: int,
) -> list[Candidate]:
    found = []
    held = {i.product_id for i in context.basket.items}
    held |= {p.product_id for p in context.recent_purchases}  # bought: not abandoned
    for view in viewed_enough(context, rule, now_ms, held):
        times = views_within(context, view.product_id, now_ms, rule.window_ms)
        times = times or (view.last_viewed_ms,)
        pending = PendingTrigger(
            type=TriggerType.BROWSE_ABANDONMENT,
            person=person,
            # The oldest view in the window, as the timer's cause.
            cause=f"browse:{view.product_id}:{min(times)}",
            due_ms=now_ms,
            scheduled_ms=max(times),
            product_ids=(view.product_id,),
            caused_by=(),
            visitor_id=visitor_id,
        )
        outcome = on_due(pending, context, rules, now_ms)
        if isinstance(outcome, Candidate):
            found.append(outcome)
    return found


def _web_to_store(
    context: CustomerContext,
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
    signals: Signals,
    now_ms: int,
) -> list[Candidate]:
    store = None if person.is_anonymous else preferred_store(context)
    if store is None:
        return []
    visits = context.purchases_by_store[store].orders
    span = f" in the last {duration_text(rule.window_ms)}" if rule.window_ms > 0 else ""
    found = []
    for view in viewed_enough(context, rule, now_ms, set()):
        pid = view.product_id
        units = signals.stock.get((store, pid), 0)
        if units <= 0:
            continue
        views = view_count(context, pid, now_ms, rule.window_ms)
        text = (
            f"Viewed {pid} {views} times{span}; "
            f"{units} in stock at {store}, their store ({visits} till purchases)"
        )
        code = "in_stock_nearby"
        found.append(
            _candidate(
                rule, person, visitor_id, f"{pid}@{store}", (pid,), store, 0.0, code, text, now_ms
            )
        )
    return found


def _cross_sell(
    context: CustomerContext,
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
    mapping: dict[str, tuple[str, ...]],
    signals: Signals,
    now_ms: int,
) -> list[Candidate]:
    # The latest order, however old: a touchpoint asks about this customer as they are.
    order = max(context.recent_orders, key=lambda r: (r.at_ms, r.order_id), default=None)
    if order is None:
        return []
    categories = list(dict.fromkeys(c for c in order.categories if c in mapping))
    if not categories:
        return []
    complements = list(dict.fromkeys(c for cat in categories for c in mapping[cat]))
    trending = [signals.trending.get(c, ()) for c in complements]
    picks = round_robin(trending, set(order.product_ids), CROSS_SELL_PRODUCTS)
    where = f"at the till in {order.store_id}" if order.store_id else f"online ({order.channel})"
    offer = (
        f"trending now: {', '.join(picks)}" if picks else "no trending product in them right now"
    )
    text = (
        f"Bought {', '.join(categories)} {where} (order {order.order_id}, "
        f"{order.total_cents / 100:.2f}) on {day_text(order.at_ms)}; "
        f"complementary: {', '.join(complements)}; {offer}"
    )
    cause, value, code = f"order:{order.order_id}", order.total_cents / 100, "complements_purchase"
    return [
        _candidate(
            rule, person, visitor_id, cause, tuple(picks), order.store_id, value, code, text, now_ms
        )
    ]


def _reactivation(
    context: CustomerContext,
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
    now_ms: int,
) -> list[Candidate]:
    last = last_order_before(context, now_ms)
    if last is None or now_ms - last <= rule.lapse_ms:
        return []
    text = lapse_text(context, last, now_ms, rule)
    cause, value, code = f"lapse:{last}", context.avg_order_value, "lapsed_customer_returned"
    return [_candidate(rule, person, visitor_id, cause, (), None, value, code, text, now_ms)]


def _candidate(
    rule: TriggerRule,
    person: Identity,
    visitor_id: str | None,
    cause: str,
    products: tuple[str, ...],
    store_id: str | None,
    value: float,
    code: str,
    text: str,
    now_ms: int,
) -> Candidate:
    # No event caused a read: caused_by is empty.
    return Candidate(
        rule.type,
        person,
        cause,
        products,
        store_id,
        value,
        rule.priority,
        (),
        code,
        text,
        now_ms,
        visitor_id,
    )
