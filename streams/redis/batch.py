"""What a batch hands between the context store and the engine.

The store loads and folds each person's events, asks the engine for a
:class:`PersonPlan` (reservations and timers, decided on the folded context),
and commits context and plan together in one script per person. The engine
then reads the verdicts back from the same plan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.pressure import ChannelCount, ContactAsk, PressureVerdict
from models.offers.rules import SuppressionReason
from streams.transient import is_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ContactVerdict:
    verdict: str  # reserved | existing | cooldown | capped | channel_capped
    state: str = ""  # for existing: reserved | emitted
    day_count: int = 0
    week_count: int = 0
    channel: str | None = None  # reserved (or existing): the channel its slot is on
    skipped: tuple[ChannelCount, ...] = ()  # preferred channels at their own cap

    @property
    def judged(self) -> PressureVerdict:
        """The verdict as the pure rule words it: reserved and existing slots are allowed."""
        granted = self.verdict in ("reserved", "existing")
        reason = None if granted else SuppressionReason(self.verdict)
        return PressureVerdict(reason, self.day_count, self.week_count, self.channel, self.skipped)


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

    contacts: list[ContactAsk] = field(default_factory=list)
    timers: list[TimerEntry] = field(default_factory=list)
    # The engine's own record of its decisions, read back after the commit.
    decisions: list[Any] = field(default_factory=list)
    verdicts: list[ContactVerdict] = field(default_factory=list)
    # The rules version its decisions were made under (rules reload between batches).
    rules_version: str = ""

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

    def followed_by(self, later: PersonUpdate) -> None:
        """Add a later commit for the same person (a batch applied in parts): its plan's
        decisions and verdicts, in order, so each decision keeps its verdict."""
        self.context, self.events = later.context, [*self.events, *later.events]
        self.source = later.source or self.source
        self.plan.contacts += later.plan.contacts
        self.plan.timers += later.plan.timers
        self.plan.decisions += later.plan.decisions
        self.plan.verdicts += later.plan.verdicts


class Planner(Protocol):
    async def plan(self, people: list[PersonUpdate]) -> None:
        """Fill ``person.plan`` for the people who need a decision."""


async def plan_apart(planner: Planner, people: list[PersonUpdate]) -> dict[Identity, Exception]:
    """Plan the batch in one call; when that fails on something retrying cannot fix,
    plan each person alone, so only those whose plan fails are left out (returned)."""
    try:
        await planner.plan(people)
        return {}
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("planning %d people failed (%r); planning each apart", len(people), exc)
    failures: dict[Identity, Exception] = {}
    for person in people:
        person.plan = PersonPlan()  # drop what the failed call planned
        try:
            await planner.plan([person])
        except Exception as exc:
            if is_transient(exc):
                raise
            failures[person.owner] = exc
    return failures


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

    def fail(self, events: list[Event], exc: Exception) -> None:
        """Leave these events out of the batch, each reported with the failure."""
        self.failed += [(event, exc) for event in events]

    def absorb(self, part: ApplyResult) -> None:
        """Add the result of another part of the same batch."""
        for owner, update in part.people.items():
            if owner in self.people:
                self.people[owner].followed_by(update)
            else:
                self.people[owner] = update
        self.applied += part.applied
        self.failed += part.failed
        self.erased += part.erased
        self.merged_visitors += part.merged_visitors
        self.duplicates += part.duplicates
        self.dropped_by_erasure += part.dropped_by_erasure
        self.contexts_written += part.contexts_written
        self.cas_retries += part.cas_retries
        self.merges += part.merges
