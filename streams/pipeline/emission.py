"""Emitting what the engine decided: each committed plan turned into records on Kafka.

A plan's decisions become triggers for the contact slots its commit granted, and
suppressions (each with its reason) for the others; held-out people's granted
slots become ``holdout`` suppressions. :meth:`PlanEmitter.send_plans` waits until
Kafka has every record of a step (one wait), and only then are the triggers
marked sent and the decisions recorded (:meth:`PlanEmitter.queue_outcomes`): a
crash in between leaves the reservation unmarked, and redelivery sends the same
``trigger_id`` again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from config import TopicNames
from models.context import LifecycleThresholds
from models.identity import Identity
from models.offers.channels import ChannelChoice
from models.offers.decisions import topic_of
from models.offers.holdout import Group
from models.offers.pressure import granted_choice, pressure_text
from models.offers.rules import OfferRules
from models.offers.triggers import suppression_document, trigger_document
from streams.loop_slices import pause
from streams.metrics import Metrics
from streams.pipeline.lift import LiftMeter
from streams.pipeline.plans import Outbox, PlannedContact, Suppression, held_out
from streams.redis.batch import PersonPlan
from streams.redis.contacts import queue_mark_emitted, queue_mark_held_out
from streams.redis.decisions import decision_entry, queue_record
from streams.redis.gateway import RoundTrip
from streams.transient import is_transient

# Queues a record and returns its delivery: awaiting that confirms the broker has it.
Emitter = Callable[[str, bytes | None, bytes], Awaitable[Awaitable[Any]]]


class PlanEmitter:
    def __init__(
        self,
        rules: Callable[[], OfferRules],
        emit: Emitter,
        metrics: Metrics,
        topics: TopicNames,
        lift: LiftMeter,
        thresholds: LifecycleThresholds,
        wall_clock: Callable[[], int],
        history_max: int,
    ) -> None:
        # The engine's rules as they are now: live rules swap them between batches.
        self._rules = rules
        self._emit = emit
        self._metrics = metrics
        self._topics = topics
        self._lift = lift
        self._thresholds = thresholds
        self._wall_clock = wall_clock
        self._history_max = history_max

    async def send_plans(
        self,
        plans: Mapping[Identity, PersonPlan],
        on_failure: Callable[[Identity, Exception], None] | None = None,
    ) -> Outbox:
        """Emit committed plans, and wait until Kafka has every record (one wait). With
        ``on_failure``, a person's failure that retrying cannot fix is reported there
        and the others' plans are still emitted."""
        outbox = Outbox()
        for owner, plan in plans.items():
            await pause()
            try:
                await self.emit_plan(owner, plan, outbox)
            except Exception as exc:
                if on_failure is None or is_transient(exc):
                    raise
                on_failure(owner, exc)
        if outbox.deliveries:
            await asyncio.gather(*outbox.deliveries)
        return outbox

    async def emit_plan(self, owner: Identity, plan: PersonPlan, outbox: Outbox) -> None:
        """Turn a committed plan into records: triggers for granted slots, suppressions else."""
        verdicts = iter(plan.verdicts)
        version = plan.rules_version or self._rules().version
        for decision in plan.decisions:
            if isinstance(decision, Suppression):
                await self._suppress(outbox, owner, decision, version)
                continue
            verdict = next(verdicts)
            candidate = decision.candidate
            judged = verdict.judged
            if judged.reason is not None:
                detail = pressure_text(judged, self._rules().caps, decision.rule.cooldown_ms)
                await self._suppress(
                    outbox,
                    owner,
                    Suppression(candidate, judged.reason, detail, candidate.decided_ms),
                    version,
                )
                continue
            if verdict.verdict == "existing" and verdict.state in ("emitted", "holdout"):
                self._metrics.triggers_repeated.labels(candidate.type.value).inc()
                continue
            for passed_over in verdict.skipped:  # only a new reservation skips: once
                self._metrics.channel_fallbacks.labels(
                    candidate.type.value, passed_over.channel
                ).inc()
            self._lift.measure(outbox, owner, decision)
            if decision.group is Group.HOLDOUT:
                await self._suppress(outbox, owner, held_out(decision), version)
                outbox.held_out.append((owner, candidate.trigger_id))
            else:
                choice = granted_choice(decision.options, judged, self._rules().caps)
                await self._send(outbox, owner, decision, choice, version)

    def queue_outcomes(self, trip: RoundTrip, outbox: Outbox) -> None:
        """Once Kafka has the records: mark the triggers sent, record every decision."""
        # A crash before this leaves the reservation unmarked: redelivery re-sends the id.
        queue_mark_emitted(trip, outbox.sent)
        queue_mark_held_out(trip, outbox.held_out)
        queue_record(trip, outbox.history, self._history_max)
        self._lift.queue_remember(trip, outbox.measured)

    async def _send(
        self,
        outbox: Outbox,
        owner: Identity,
        decision: PlannedContact,
        choice: ChannelChoice,
        rules_version: str,
    ) -> None:
        candidate = decision.candidate
        document = trigger_document(
            candidate,
            choice,
            decision.context,
            decision.rule,
            candidate.decided_ms,
            self._thresholds,
            rules_version,
        )
        topic = getattr(self._topics, topic_of(candidate.type))
        outbox.deliveries.append(
            await self._emit(topic, _key(candidate.person), orjson.dumps(document))
        )
        outbox.sent.append((owner, candidate.trigger_id))
        outbox.history.append((owner, decision_entry(document, "sent")))
        assert choice.channel is not None
        self._metrics.triggers_emitted.labels(candidate.type.value, choice.channel.value).inc()
        lag_s = (self._wall_clock() - candidate.decided_ms) / 1000
        if 0 <= lag_s < 86_400:  # live traffic only; a backfill's lag is its age
            self._metrics.event_to_trigger_seconds.labels(candidate.type.value).observe(lag_s)

    async def _suppress(
        self, outbox: Outbox, owner: Identity, suppression: Suppression, rules_version: str
    ) -> None:
        decision = suppression.decision
        document = suppression_document(
            decision,
            suppression.reason,
            suppression.detail,
            suppression.at_ms,
            suppression.beaten_by,
            rules_version,
        )
        outbox.deliveries.append(
            await self._emit(self._topics.suppressed, _key(decision.person), orjson.dumps(document))
        )
        outbox.history.append((owner, decision_entry(document, "suppressed")))
        self._metrics.triggers_suppressed.labels(
            decision.type.value, suppression.reason.value
        ).inc()


def _key(person: Identity) -> bytes:
    return person.value.encode()
