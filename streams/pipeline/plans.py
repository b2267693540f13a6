"""What the engine plans for a person and what one step emits.

A plan (:class:`streams.redis.batch.PersonPlan`) holds contact requests and
timers for the commit script, and the engine's own record of its decisions:
a :class:`PlannedContact` per winner that asked for a slot, a
:class:`Suppression` per decision that will not be sent. After the commit,
each becomes a record in an :class:`Outbox`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from models.context import CustomerContext
from models.identity import Identity
from models.offers.channels import ChannelChoice
from models.offers.conversions import MeasuredDecision, PlacedOrder
from models.offers.decision import Candidate, PendingTrigger
from models.offers.holdout import Group, holdout_text
from models.offers.rules import SuppressionReason, TriggerRule


@dataclass(frozen=True)
class Suppression:
    decision: Candidate | PendingTrigger
    reason: SuppressionReason
    detail: str
    at_ms: int
    beaten_by: Candidate | None = None


@dataclass(frozen=True)
class PlannedContact:
    """A winner that asked for a contact slot; its verdict decides trigger or suppression."""

    candidate: Candidate
    # Consented channels, preferred first: the reservation grants the first under its caps.
    options: tuple[ChannelChoice, ...]
    context: CustomerContext
    rule: TriggerRule
    # Held out: granted a slot like a sent one, then suppressed with reason holdout.
    group: Group = Group.SENT


def held_out(decision: PlannedContact) -> Suppression:
    """A decision granted its slot, for a person in its type's holdout group: not sent."""
    candidate, holdout = decision.candidate, decision.rule.holdout
    detail = holdout_text(candidate.type.value, holdout)
    return Suppression(candidate, SuppressionReason.HOLDOUT, detail, candidate.decided_ms)


@dataclass
class Outbox:
    """Records one step queued, and the triggers to mark sent once they are delivered."""

    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    sent: list[tuple[Identity, str]] = field(default_factory=list)
    history: list[tuple[Identity, bytes]] = field(default_factory=list)
    # Held-out reservations to mark as such, and decisions whose conversion is measured.
    held_out: list[tuple[Identity, str]] = field(default_factory=list)
    # (with the orders its context held: one may convert it at once)
    measured: list[tuple[Identity, MeasuredDecision, list[PlacedOrder]]] = field(
        default_factory=list
    )
