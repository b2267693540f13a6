"""The entry points of the offer engine's pure core, dispatched to the trigger kinds.

The wiring layer calls these; each asks every kind whose rule is enabled, in
``TriggerType`` order, through :data:`models.offers.kinds.KINDS`. Decisions
read the context *after* the batch was folded, so a batch gives the same
decisions whatever order its events arrived in. Causes carry no wall clock and
no counter: the same facts always yield the same trigger id, so a replay or a
re-delivery re-emits a decision rather than inventing a new one.

The event paths sort the events once per call (by ``Event.order_key``), here,
before any kind sees them; the signals needed do not depend on their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from operator import attrgetter

from models.context.state import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.decision import (
    Candidate,
    Expired,
    PendingTrigger,
    SignalRequest,
    Signals,
    Subject,
)
from models.offers.kinds import KINDS, Kind
from models.offers.restock import Restock, RestockReach, RestockWatch
from models.offers.rules import OfferRules, SuppressionReason, TriggerType


def pending_triggers(
    context: CustomerContext, events: Sequence[Event], person: Identity, rules: OfferRules
) -> list[PendingTrigger]:
    """Timers the events arm or move; a timer's deadline derives from event times only."""
    ordered = sorted(events, key=attrgetter("order_key"))
    subject = Subject(context, person, latest_visitor(person, ordered))
    found: list[PendingTrigger] = []
    for kind in _enabled(rules):
        found += kind.pending(subject, ordered, rules)
    return found


def immediate_candidates(
    context: CustomerContext,
    events: Sequence[Event],
    person: Identity,
    rules: OfferRules,
    signals: Signals,
) -> list[Candidate]:
    """What the events just folded make worth sending now, one per (type, cause)."""
    ordered = sorted(events, key=attrgetter("order_key"))
    subject = Subject(context, person, latest_visitor(person, ordered))
    found: list[Candidate] = []
    for kind in _enabled(rules):
        found += kind.candidates(subject, ordered, rules, signals)
    return collapse(found)


def on_due(
    pending: PendingTrigger, context: CustomerContext, rules: OfferRules, now_ms: int
) -> Candidate | Expired:
    """A due timer, re-checked against the context as it is at ``now_ms``.

    A timer is a promise to look again, not a decision: a basket bought at the
    till meanwhile is never remarketed. A held immediate decision is the exception:
    it was taken at its event and only waited out the grace.
    """
    if rules.rule(pending.type) is None:
        return Expired(pending, SuppressionReason.NO_LONGER_VALID, "rule disabled since scheduled")
    if pending.held is not None:
        # Decided already; the wiring checks consent, channel and caps on today's context.
        return pending.held
    return KINDS[pending.type].on_due(pending, context, rules, now_ms)


def candidates_now(
    context: CustomerContext, person: Identity, rules: OfferRules, signals: Signals, now_ms: int
) -> list[Candidate]:
    """Every candidate of the enabled rules that holds at ``now_ms``, unranked."""
    subject = Subject(context, person, linked_visitor(person, context))
    found: list[Candidate] = []
    for kind in _enabled(rules):
        found += kind.candidates_now(subject, rules, signals, now_ms)
    return found


def restock_reach(rules: OfferRules) -> RestockReach:
    """How far back and how many watchers a restock re-evaluates: the widest of the kinds'."""
    reach = RestockReach()
    for kind in _enabled(rules):
        reach = reach.widest(kind.restock_reach(kind.rule(rules)))
    return reach


def restock_watches(
    context: CustomerContext, events: Sequence[Event], person: Identity, rules: OfferRules
) -> list[RestockWatch]:
    """The (store, product) pairs whose restock should re-evaluate the person, each with
    the latest time their interest qualified; none while restocks reach nobody."""
    if not restock_reach(rules).enabled:
        return []
    ordered = sorted(events, key=attrgetter("order_key"))
    subject = Subject(context, person)
    latest: dict[tuple[str, str], int] = {}
    for kind in _enabled(rules):
        for watch in kind.restock_watches(subject, ordered, rules):
            pair = (watch.store_id, watch.product_id)
            latest[pair] = max(latest.get(pair, watch.viewed_ms), watch.viewed_ms)
    return [RestockWatch(store, product, at) for (store, product), at in sorted(latest.items())]


def restock_candidates(
    context: CustomerContext,
    person: Identity,
    restock: Restock,
    rules: OfferRules,
    rank: int = 0,
) -> list[Candidate]:
    """What a restock makes worth sending a watcher, decided at the reading's event time.
    ``rank`` is the watcher's place among the restock's watchers, latest interest first:
    a restock reaches as many as the widest kind takes, and each kind decides only for
    the first ``restock_max_people`` of them (its own limit)."""
    subject = Subject(context, person, linked_visitor(person, context))
    found = (
        kind.on_restock(subject, restock, rules)
        for kind in _enabled(rules)
        if rank < kind.restock_reach(kind.rule(rules)).max_people
    )
    return [candidate for candidate in found if candidate is not None]


def signals_needed(
    context: CustomerContext, events: Sequence[Event], rules: OfferRules
) -> SignalRequest:
    """The live signals :func:`immediate_candidates` will read for these events.

    Several people of one batch are read at once: :meth:`SignalRequest.union`.
    """
    return SignalRequest.union(
        kind.signals_needed(context, events, rules) for kind in _enabled(rules)
    )


def signals_needed_now(context: CustomerContext, rules: OfferRules, now_ms: int) -> SignalRequest:
    """The live signals :func:`candidates_now` will read at ``now_ms``."""
    return SignalRequest.union(
        kind.signals_needed_now(context, rules, now_ms) for kind in _enabled(rules)
    )


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


def timer_slot(pending: PendingTrigger) -> str:
    """What a pending timer replaces when it is armed again."""
    return KINDS[pending.type].slot(pending)


def topic_of(trigger_type: TriggerType) -> str:
    """The ``TopicNames`` attribute of the topic that carries a type's triggers."""
    return KINDS[trigger_type].topic


def _enabled(rules: OfferRules) -> Iterator[Kind]:
    """The kinds whose rule is enabled, in ``TriggerType`` order."""
    return (KINDS[t] for t in TriggerType if rules.rule(t) is not None)


def latest_visitor(person: Identity, ordered: Sequence[Event]) -> str | None:
    """A customer's visitor id: the anonymousId of their latest event (``ordered`` is in
    order). From the events, not the context, so a replay names the same visitor
    whatever was linked since."""
    if person.is_anonymous or not ordered:
        return None
    return ordered[-1].anonymous_id


def linked_visitor(person: Identity, context: CustomerContext) -> str | None:
    """A customer's latest linked visitor id rides along for downstream ad audiences."""
    if person.is_anonymous or not context.anonymous_ids:
        return None
    return context.anonymous_ids[-1]
