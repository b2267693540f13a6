"""What a batch hands between the context store and the engine.

The store loads and folds each person's events, asks the engine for a
:class:`PersonPlan` (reservations and timers, decided on the folded context),
and commits context and plan together in one script per person. The engine
then reads the verdicts back from the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A decision asking for a contact slot: granted unless caps or cooldown say no."""

    trigger_id: str
    trigger_type: str
    channel: str
    at_ms: int
    cooldown_ms: int


@dataclass(frozen=True, slots=True)
class ContactVerdict:
    verdict: str  # reserved | existing | cooldown | capped
    state: str = ""  # for existing: reserved | emitted
    day_count: int = 0
    week_count: int = 0


@dataclass(frozen=True, slots=True)
class TimerEntry:
    """A pending trigger armed on the timers of the partition whose event caused it."""

    topic: str
    partition: int
    slot: str  # its field under the person's pending triggers (PendingTrigger.slot)
    due_ms: int
    payload: bytes

    @property
    def stored(self) -> bytes:
        """The pending trigger as kept under the person, naming where its timer waits:
        an erasure removes the timer too, not only the trigger."""
        document = {**orjson.loads(self.payload), "timer": [self.topic, self.partition]}
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


@dataclass
class PersonPlan:
    """What the engine wants written for one person, atomically with their context."""

    contacts: list[ContactRequest] = field(default_factory=list)
    timers: list[TimerEntry] = field(default_factory=list)
    # The engine's own record of its decisions, read back after the commit.
    decisions: list[Any] = field(default_factory=list)
    verdicts: list[ContactVerdict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.contacts or self.timers or self.decisions)


@dataclass
class PersonUpdate:
    """A person touched by a batch: their context now, and the batch's events for them
    (duplicates included, so decisions lost to a crash are made again on redelivery)."""

    owner: Identity
    context: CustomerContext
    events: list[Event]
    source: tuple[str, int] | None = None  # the partition of their latest event
    plan: PersonPlan = field(default_factory=PersonPlan)
    # Their context as stored before the batch: what the batch took away (restock watches).
    stored: CustomerContext = field(default_factory=CustomerContext)


class Planner(Protocol):
    async def plan(self, people: list[PersonUpdate]) -> None:
        """Fill ``person.plan`` for the people who need a decision."""


@dataclass
class ApplyResult:
    applied: list[Event] = field(default_factory=list)
    people: dict[Identity, PersonUpdate] = field(default_factory=dict)
    duplicates: int = 0
    failed: list[tuple[Event, Exception]] = field(default_factory=list)
    erased: list[Identity] = field(default_factory=list)
    dropped_by_erasure: int = 0
    contexts_written: int = 0
    cas_retries: int = 0
    merges: int = 0
    # Visitors merged into a customer: their data goes once the batch is done.
    merged_visitors: list[Identity] = field(default_factory=list)
