"""Immediate offer candidates: what the events just applied make worth sending now.

Decisions read the context *after* the batch was folded, so a batch gives the
same candidates whatever order its events arrived in. Causes carry no wall
clock and no counter: the same facts always yield the same trigger id, so a
replay or a re-delivery re-emits a decision rather than inventing a new one.

Timed types (abandoned basket, browse abandonment) live in :mod:`.timers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from operator import attrgetter

from models.context import preferred_store
from models.context.limits import DAY_MS
from models.context.state import CustomerContext
from models.events import Event, EventKind
from models.identity import Identity
from models.offers.decision import ONLINE, Candidate, Signals, latest_visitor
from models.offers.rules import OfferRules, TriggerRule, TriggerType
from models.offers.texts import day_text, duration_text, product_label
from models.offers.views import view_count

CROSS_SELL_PRODUCTS = 3


def immediate_candidates(
    context: CustomerContext,
    events: Sequence[Event],
    person: Identity,
    rules: OfferRules,
    signals: Signals,
) -> list[Candidate]:
    ordered = sorted(events, key=attrgetter("order_key"))
    visitor = latest_visitor(person, ordered)
    found: list[Candidate] = []
    rule = rules.rule(TriggerType.WEB_TO_STORE)
    if rule is not None:
        found += _web_to_store(context, ordered, person, visitor, rule, signals)
    rule = rules.rule(TriggerType.CROSS_SELL)
    if rule is not None:
        found += _cross_sell(ordered, person, visitor, rule, rules.cross_sell, signals)
    rule = rules.rule(TriggerType.REACTIVATION)
    if rule is not None:
        found += _reactivation(context, ordered, person, visitor, rule)
    return collapse(found)


def collapse(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per (type, cause): the latest decision, carrying every cause's messageIds."""
    groups: dict[tuple[TriggerType, str], list[Candidate]] = {}
    for candidate in candidates:
        groups.setdefault((candidate.type, candidate.cause), []).append(candidate)
    order = {kind: index for index, kind in enumerate(TriggerType)}
    result = []
    for key in sorted(groups, key=lambda k: (order[k[0]], k[1])):
        group = sorted(groups[key], key=lambda c: (c.decided_ms, c.caused_by))
        ids = tuple(dict.fromkeys(mid for c in group for mid in c.caused_by))
        result.append(replace(group[-1], caused_by=ids))
    return result


def _web_to_store(
    context: CustomerContext,
    events: Sequence[Event],
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
    signals: Signals,
) -> list[Candidate]:
    store = None if person.is_anonymous else preferred_store(context)
    if store is None:
        return []
    visits = context.purchases_by_store[store].orders
    found = []
    for event in events:
        if event.kind is not EventKind.PRODUCT_VIEWED or event.channel not in ONLINE:
            continue
        at = event.event_time_ms
        for product in event.products:
            views = view_count(context, product.product_id, at, rule.window_ms)
            units = signals.stock.get((store, product.product_id), 0)
            if views < rule.min_views or units <= 0:
                continue
            span = f" in the last {duration_text(rule.window_ms)}" if rule.window_ms > 0 else ""
            text = (
                f"Viewed {product_label(product)} {views} times on {event.channel.value}{span}; "
                f"{units} in stock at {store}, their store ({visits} till purchases)"
            )
            found.append(
                Candidate(
                    type=TriggerType.WEB_TO_STORE,
                    person=person,
                    cause=f"{product.product_id}@{store}",
                    product_ids=(product.product_id,),
                    store_id=store,
                    value=product.price or 0.0,
                    priority=rule.priority,
                    caused_by=(event.message_id,),
                    reason_code="in_stock_nearby",
                    reason_text=text,
                    decided_ms=at,
                    visitor_id=visitor_id,
                )
            )
    return found


def _cross_sell(
    events: Sequence[Event],
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
    mapping: Mapping[str, tuple[str, ...]],
    signals: Signals,
) -> list[Candidate]:
    found = []
    for event in events:
        order = event.order
        if event.kind is not EventKind.ORDER_COMPLETED or order is None:
            continue
        bought = [p.category for p in event.products if p.category in mapping]
        categories = list(dict.fromkeys(c for c in bought if c is not None))
        if not categories:
            continue
        complements = list(dict.fromkeys(c for cat in categories for c in mapping[cat]))
        excluded = {p.product_id for p in event.products}
        picks = round_robin(
            [signals.trending.get(c, ()) for c in complements], excluded, CROSS_SELL_PRODUCTS
        )
        where = (
            f"at the till in {order.store_id}"
            if order.store_id
            else f"online ({event.channel.value})"
        )
        offer = (
            f"trending now: {', '.join(picks)}"
            if picks
            else "no trending product in them right now"
        )
        currency = f" {order.currency}" if order.currency else ""
        text = (
            f"Bought {', '.join(categories)} {where} (order {order.order_id}, "
            f"{order.total:.2f}{currency}); complementary: {', '.join(complements)}; {offer}"
        )
        found.append(
            Candidate(
                type=TriggerType.CROSS_SELL,
                person=person,
                cause=f"order:{order.order_id}",
                product_ids=tuple(picks),
                # The store of a till purchase, so a store associate can follow up there.
                store_id=order.store_id,
                value=order.total,
                priority=rule.priority,
                caused_by=(event.message_id,),
                reason_code="complements_purchase",
                reason_text=text,
                decided_ms=event.event_time_ms,
                visitor_id=visitor_id,
            )
        )
    return found


def round_robin(ranked: list[tuple[str, ...]], excluded: set[str], limit: int) -> list[str]:
    """The top trending product of each category in turn, so one category cannot fill the offer."""
    offered = [[p for p in products if p not in excluded] for products in ranked]
    picks: list[str] = []
    for index in range(max((len(o) for o in offered), default=0)):
        for products in offered:
            if index < len(products) and products[index] not in picks:
                picks.append(products[index])
    return picks[:limit]


def _reactivation(
    context: CustomerContext,
    events: Sequence[Event],
    person: Identity,
    visitor_id: str | None,
    rule: TriggerRule,
) -> list[Candidate]:
    found = []
    for event in events:
        # Buying is the customer coming back by themselves, not a visit to answer.
        if event.kind is EventKind.ORDER_COMPLETED:
            continue
        at = event.event_time_ms
        last = last_order_before(context, at)
        if last is None or at - last <= rule.lapse_ms:
            continue
        text = lapse_text(context, last, at, rule, f" on {event.channel.value}")
        found.append(
            Candidate(
                type=TriggerType.REACTIVATION,
                person=person,
                cause=f"lapse:{last}",
                product_ids=(),
                store_id=None,
                value=context.avg_order_value,
                priority=rule.priority,
                caused_by=(event.message_id,),
                reason_code="lapsed_customer_returned",
                reason_text=text,
                decided_ms=at,
                visitor_id=visitor_id,
            )
        )
    return found


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
