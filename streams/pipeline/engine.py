"""The next-best-offer engine's wiring: read signals, call the pure core, reserve, emit.

Decisions themselves live in ``models.offers``. This module feeds them the
context and live signals, arms timers, takes contact slots atomically, and
writes triggers (or suppressions, each with its reason) to Kafka.

At-least-once without double contacts: a decision reserves its
deterministic ``trigger_id`` before it is emitted and is marked emitted
after. Redelivered events decide again; a reservation already emitted is
skipped, one only reserved (crash before the send) is sent again with the
same ``trigger_id``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from config import TopicNames
from models.context import CustomerContext
from models.identity import Identity
from models.offers.arbitration import arbitrate
from models.offers.channels import choose_channel
from models.offers.decision import Candidate, Expired, PendingTrigger, SignalRequest, Signals
from models.offers.decisions import (
    immediate_candidates,
    on_due,
    pending_triggers,
    signals_needed,
    topic_of,
)
from models.offers.pressure import PressureVerdict, pressure_text, pressure_verdict
from models.offers.rules import OfferRules, SuppressionReason
from models.offers.triggers import suppression_document, trigger_document
from streams.metrics import Metrics
from streams.redis.contexts import BatchOutcome, OwnerUpdate, RedisContextStore
from streams.redis.keys import identity_tag
from streams.redis.offers import DueTimer, OfferStore, Schedule
from streams.redis.signals import SignalReader

log = logging.getLogger(__name__)

# Queues a record and returns its delivery: awaiting that confirms the broker has it.
Emitter = Callable[[str, bytes | None, bytes], Awaitable[Awaitable[Any]]]
Partition = tuple[str, int]


def _wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Outbox:
    """Records one step queued, and the triggers to mark sent once they are delivered."""

    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (person tag, trigger_id)


class OfferEngine:
    def __init__(
        self,
        rules: OfferRules,
        contexts: RedisContextStore,
        offers: OfferStore,
        emit: Emitter,
        metrics: Metrics,
        topics: TopicNames,
        *,
        wall_clock: Callable[[], int] = _wall_ms,
    ) -> None:
        self._rules = rules
        self._contexts = contexts
        self._offers = offers
        self._emit = emit
        self._metrics = metrics
        self._topics = topics
        self._wall_clock = wall_clock
        self._signal_reader = SignalReader(offers, rules)

    async def after_batch(self, batch: BatchOutcome) -> None:
        await self._offers.observe(batch.applied)
        await self._offers.advance_clocks(batch.clock_marks, self._wall_clock())
        updates = [(owner, update) for owner, update in batch.owners.items() if update.events]
        outbox = _Outbox()
        signals = await self._signals(updates)
        schedules: list[Schedule] = []
        for owner, update in updates:
            person = owner
            topic, partition = batch.sources[owner]
            for pending in pending_triggers(update.context, update.events, person, self._rules):
                schedules.append(
                    Schedule(
                        topic,
                        partition,
                        identity_tag(owner),
                        pending.type,
                        pending.due_ms,
                        pending.to_json(),
                    )
                )
            candidates = immediate_candidates(
                update.context, update.events, person, self._rules, signals
            )
            # Candidates compete when they arise at the same moment (from one event);
            # a backfilled order and today's visit in one batch do not.
            by_moment: dict[int, list[Candidate]] = defaultdict(list)
            for candidate in candidates:
                by_moment[candidate.decided_ms].append(candidate)
            for moment in sorted(by_moment):
                await self._decide(outbox, owner, update.context, person, by_moment[moment])
        await self._offers.schedule(schedules)
        await self._confirm(outbox)

    async def _confirm(self, outbox: _Outbox) -> None:
        """Await every record queued by one step at once, then mark its triggers sent.

        One wait per batch instead of one per decision; a crash before the mark
        leaves the reservation unmarked, so redelivery sends the same trigger_id again.
        """
        if outbox.deliveries:
            await asyncio.gather(*outbox.deliveries)
        if outbox.sent:
            await self._offers.mark_emitted_many(outbox.sent)

    async def fire_due(self, partitions: Sequence[Partition]) -> int:
        """Fire the timers of these partitions whose deadline the event-time clock passed."""
        clocks = await self._offers.clocks(partitions, self._wall_clock())
        timers = await self._offers.due(clocks)
        if not timers:
            return 0
        payloads = await self._offers.pending(timers)
        fired = 0
        for timer, payload in zip(timers, payloads, strict=True):
            if payload is None:
                await self._offers.release(timer, None)  # consumed, erased or superseded
                continue
            pending = PendingTrigger.from_json(payload)
            if pending.due_ms > clocks[(timer.topic, timer.partition)]:
                await self._offers.release(timer, None)  # rescheduled on another partition
                continue
            outbox = _Outbox()
            await self._fire(timer, pending, outbox)
            await self._confirm(outbox)
            await self._offers.release(timer, payload)
            self._metrics.timers_fired.inc()
            fired += 1
        return fired

    async def _fire(self, timer: DueTimer, pending: PendingTrigger, outbox: _Outbox) -> None:
        owner = await self._contexts.resolve(pending.person)
        context = await self._contexts.get(owner)
        if context is None:
            return  # the person was erased or expired: nothing to say to them
        # Decided at the deadline, in event time, so a replay decides the same.
        outcome = on_due(pending, context, self._rules, pending.due_ms)
        if isinstance(outcome, Expired):
            await self._suppress(
                outbox, outcome.pending, outcome.reason, outcome.detail, pending.due_ms
            )
            return
        await self._decide(outbox, owner, context, pending.person, [outcome])

    async def _decide(
        self,
        outbox: _Outbox,
        owner: Identity,
        context: CustomerContext,
        person: Identity,
        candidates: Sequence[Candidate],
    ) -> None:
        arbitration = arbitrate(candidates)
        winner = arbitration.winner
        for loser in arbitration.losers:
            await self._suppress(
                outbox,
                loser,
                SuppressionReason.LOWER_PRIORITY,
                f"{winner.type.value if winner else 'another offer'} scored higher",
                loser.decided_ms,
                beaten_by=winner,
            )
        if winner is None:
            return
        rule = self._rules.rule(winner.type)
        if rule is None:
            return
        choice = choose_channel(rule, context, person, self._rules.quiet_hours, winner.decided_ms)
        if choice.channel is None:
            detail = choice.detail or "no consented channel among " + ", ".join(rule.channels)
            await self._suppress(
                outbox, winner, SuppressionReason.NO_CONSENT, detail, winner.decided_ms
            )
            return
        tag = identity_tag(owner)
        reservation = await self._offers.reserve(
            tag,
            winner.trigger_id,
            winner.type,
            winner.decided_ms,
            self._rules.caps,
            rule.cooldown_ms,
        )
        if reservation.verdict in ("capped", "cooldown"):
            reason = SuppressionReason(reservation.verdict)
            detail = await self._pressure_detail(tag, winner, reason, rule.cooldown_ms)
            await self._suppress(outbox, winner, reason, detail, winner.decided_ms)
            return
        if reservation.verdict == "existing" and reservation.detail == "emitted":
            self._metrics.triggers_repeated.labels(winner.type.value).inc()
            return
        document = trigger_document(
            winner, choice, context, rule, winner.decided_ms, self._contexts.thresholds
        )
        outbox.deliveries.append(
            await self._emit(
                getattr(self._topics, topic_of(winner.type)), _key(person), orjson.dumps(document)
            )
        )
        outbox.sent.append((tag, winner.trigger_id))
        self._metrics.triggers_emitted.labels(winner.type.value, choice.channel.value).inc()
        lag_s = (self._wall_clock() - winner.decided_ms) / 1000
        if 0 <= lag_s < 3600:  # live traffic only; a backfill's lag is its age
            self._metrics.event_to_trigger_seconds.labels(winner.type.value).observe(lag_s)

    async def _suppress(
        self,
        outbox: _Outbox,
        decision: Candidate | PendingTrigger,
        reason: SuppressionReason,
        detail: str,
        at_ms: int,
        beaten_by: Candidate | None = None,
    ) -> None:
        document = suppression_document(decision, reason, detail, at_ms, beaten_by)
        outbox.deliveries.append(
            await self._emit(self._topics.suppressed, _key(decision.person), orjson.dumps(document))
        )
        self._metrics.triggers_suppressed.labels(decision.type.value, reason.value).inc()

    async def _pressure_detail(
        self, tag: str, winner: Candidate, reason: SuppressionReason, cooldown_ms: int
    ) -> str:
        """The pure core words the script's verdict; until the script returns the counts
        it judged on, they are counted again from the history."""
        history = await self._offers.contact_history(tag)
        caps = self._rules.caps
        counted = pressure_verdict(
            history, winner.trigger_id, winner.type, winner.decided_ms, caps, cooldown_ms
        )
        verdict = PressureVerdict(reason, counted.day_count, counted.week_count)
        return pressure_text(verdict, caps, cooldown_ms)

    async def _signals(self, updates: list[tuple[Identity, OwnerUpdate]]) -> Signals:
        needed = (signals_needed(u.context, u.events, self._rules) for _owner, u in updates)
        return await self._signal_reader.read(SignalRequest.union(needed))


def _key(person: Identity) -> bytes:
    return person.value.encode()
