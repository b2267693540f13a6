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

A person in the holdout group of the best offer's type gets nothing now, as the engine
would send them nothing: that offer is ``holdout`` and still outranks the others, so a
held-out person is not shown a lesser offer in its place (the lift measures "this
offer against nothing").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from models.context.state import CustomerContext
from models.identity import Identity
from models.offers.arbitration import rank_key
from models.offers.channels import ChannelChoice, choose_channel, consented_channels
from models.offers.decision import Candidate, Signals
from models.offers.decisions import candidates_now
from models.offers.holdout import Group, group_of, holdout_text
from models.offers.local_time import customer_zone
from models.offers.pressure import (
    Contact,
    contact_ask,
    granted_choice,
    pressure_text,
    pressure_verdict,
)
from models.offers.rules import OfferRules, SuppressionReason, TriggerRule


@dataclass(frozen=True, slots=True)
class Assessed:
    candidate: Candidate
    channel: ChannelChoice
    # None: would be sent now; else why not (no_consent, capped, channel_capped, cooldown,
    # lower_priority, holdout).
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
    best: Assessed | None = None  # sent, or held out: either takes the one message
    considered: list[Assessed] = []
    for candidate in sorted(candidates_now(context, person, rules, signals, now_ms), key=rank_key):
        rule = rules.triggers[candidate.type]
        assessed = _assess(candidate, rule, context, person, rules, contacts, now_ms)
        if best is not None:
            # Only one message: a sendable better offer outranks this one whatever its state.
            own = f"; also {assessed.verdict.value}: {assessed.detail}" if assessed.verdict else ""
            detail = f"{best.candidate.type.value} scored higher{own}"
            assessed = replace(assessed, verdict=SuppressionReason.LOWER_PRIORITY, detail=detail)
        elif assessed.verdict in (None, SuppressionReason.HOLDOUT):
            best = assessed
        considered.append(assessed)
    sent = best if best is not None and best.verdict is None else None
    return BestOffer(sent, tuple(considered))


def _assess(
    candidate: Candidate,
    rule: TriggerRule,
    context: CustomerContext,
    person: Identity,
    rules: OfferRules,
    contacts: Sequence[Contact],
    now_ms: int,
) -> Assessed:
    options = consented_channels(rule, context, person, rules.quiet_hours, now_ms)
    if not options:
        choice = choose_channel(rule, context, person, rules.quiet_hours, now_ms)
        return Assessed(candidate, choice, SuppressionReason.NO_CONSENT, choice.detail)
    zone = customer_zone(context, rules.quiet_hours)
    ask = contact_ask(candidate.trigger_id, rule, now_ms, zone, options)
    verdict = pressure_verdict(contacts, ask, rules.caps)
    detail = pressure_text(verdict, rules.caps, rule.cooldown_ms, exempt=rule.exempt_from_caps)
    if verdict.reason is None:
        choice = granted_choice(options, verdict, rules.caps)
        if group_of(person, rule.type.value, rule.holdout) is Group.HOLDOUT:
            held = holdout_text(rule.type.value, rule.holdout)
            return Assessed(candidate, choice, SuppressionReason.HOLDOUT, held)
        return Assessed(candidate, choice, None, f"{choice.detail}; {detail}")
    return Assessed(candidate, options[0], verdict.reason, detail)
