"""The next-best-offer engine's wiring: read signals, call the pure core, plan, emit.

Decisions themselves live in ``models.offers``. The engine plans each person's
contacts and timers while their batch is being committed (the context store
writes the plan in the same atomic script as the context); :mod:`.emission` then
turns the verdicts into triggers or suppressions (each with its reason) on Kafka.

At-least-once without double contacts: a decision reserves its deterministic
``trigger_id`` before it is emitted and is marked emitted after. Redelivered
events decide again; a reservation already emitted is skipped, one only
reserved (crash before the send) is sent again with the same ``trigger_id``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from config import TopicNames
from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.arbitration import arbitrate, moments
from models.offers.channels import choose_channel, consented_channels
from models.offers.decision import Candidate, PendingTrigger, SignalRequest, Signals
from models.offers.decisions import (
    immediate_candidates,
    pending_triggers,
    signals_needed,
)
from models.offers.local_time import customer_zone
from models.offers.pressure import contact_ask
from models.offers.rules import OfferRules, SuppressionReason
from streams.loop_slices import pause
from streams.metrics import Metrics
from streams.pipeline.emission import Emitter, PlanEmitter
from streams.pipeline.lift import LiftMeter
from streams.pipeline.plans import PlannedContact, Suppression
from streams.pipeline.restock import RestockReevaluation
from streams.redis.batch import (
    ApplyResult,
    PersonPlan,
    PersonUpdate,
    TimerEntry,
)
from streams.redis.contexts import RedisContextStore
from streams.redis.signals import SignalReader, queue_observe
from streams.redis.timers import queue_advance_clocks, queue_arm

Partition = tuple[str, int]


def wall_ms() -> int:
    return int(time.time() * 1000)


class OfferEngine:
    def __init__(
        self,
        rules: OfferRules,
        contexts: RedisContextStore,
        signals: SignalReader,
        emit: Emitter,
        metrics: Metrics,
        topics: TopicNames,
        *,
        wall_clock: Callable[[], int] = wall_ms,
        history_max: int = 50,
        clock_max_ahead_ms: int = 60_000,
        grace_ms: int = 0,
    ) -> None:
        self._grace_ms = grace_ms
        self._history_max = history_max
        self._clock_max_ahead_ms = clock_max_ahead_ms
        self.rules = rules
        self.contexts = contexts
        self._signals = signals
        self._emit = emit
        self._metrics = metrics
        self._topics = topics
        self.wall_clock = wall_clock
        self.restocks = RestockReevaluation(self, metrics)
        self.lift = LiftMeter(rules, metrics)
        self.emitter = PlanEmitter(
            lambda: self.rules,
            emit,
            metrics,
            topics,
            self.lift,
            contexts.thresholds,
            wall_clock,
            history_max,
        )

    def use_rules(self, rules: OfferRules) -> None:
        """Live rules: decisions from now on follow these (and carry their version)."""
        self.rules = rules
        self.lift.use_rules(rules)

    def stamp(self, plan: PersonPlan) -> None:
        """Note the rules version on a plan as its first decision is made: the plan is
        emitted after awaits, by which time a reload may have swapped the rules."""
        if not plan.rules_version:
            plan.rules_version = self.rules.version

    async def plan(self, people: list[PersonUpdate]) -> None:
        """Decide for every person of a batch on their folded context (the store's Planner)."""
        updates = [person for person in people if person.events]
        signals = await self._read_signals(updates)
        for update in updates:
            await pause()
            person = update.owner
            for pending in pending_triggers(update.context, update.events, person, self.rules):
                _arm(update, pending)
            candidates = immediate_candidates(
                update.context, update.events, person, self.rules, signals
            )
            for competing in moments(candidates):
                if self._grace_ms > 0 and update.source is not None:
                    winner = self._arbitrate(update.plan, competing)
                    if winner is not None:
                        _arm(update, PendingTrigger.holding(winner, self._grace_ms))
                    continue
                self.plan_decision(update.plan, update.context, person, competing)

    def plan_decision(
        self,
        plan: PersonPlan,
        context: CustomerContext,
        person: Identity,
        candidates: Sequence[Candidate],
    ) -> None:
        """Arbitrate, choose the channel, and ask for a contact slot for the winner."""
        self.stamp(plan)
        winner = self._arbitrate(plan, candidates)
        if winner is None:
            return
        rule = self.rules.rule(winner.type)
        if rule is None:
            return
        quiet = self.rules.quiet_hours
        options = consented_channels(rule, context, person, quiet, winner.decided_ms)
        if not options:
            choice = choose_channel(rule, context, person, quiet, winner.decided_ms)
            plan.decisions.append(
                Suppression(winner, SuppressionReason.NO_CONSENT, choice.detail, winner.decided_ms)
            )
            return
        zone = customer_zone(context, quiet)
        plan.contacts.append(contact_ask(winner.trigger_id, rule, winner.decided_ms, zone, options))
        group = self.lift.group(person, rule)
        plan.decisions.append(PlannedContact(winner, options, context, rule, group))

    def _arbitrate(self, plan: PersonPlan, candidates: Sequence[Candidate]) -> Candidate | None:
        """The winner of candidates arising together; the others are suppressed for it."""
        self.stamp(plan)
        arbitration = arbitrate(candidates)
        winner = arbitration.winner
        for loser in arbitration.losers:
            lost_to = winner.type.value if winner else "another offer"
            plan.decisions.append(
                Suppression(
                    loser,
                    SuppressionReason.LOWER_PRIORITY,
                    f"{lost_to} scored higher",
                    loser.decided_ms,
                    winner,
                )
            )
        return winner

    async def after_batch(
        self, result: ApplyResult, observed: Sequence[Event], clock_marks: dict[Partition, int]
    ) -> None:
        """Emit what the batch decided, then one round trip: arm the committed timers, mark
        sent, clean up merged visitors, count trends, record stock and restock watches,
        advance the partitions' event-time clocks, read the lift records of who ordered.
        Then decide again for the watchers of what was restocked, and count what the
        orders converted."""
        # A person whose decisions cannot be emitted (a document that cannot be encoded)
        # is dead-lettered alone; their context is committed, a replay decides again.
        outbox = await self.emitter.send_plans(
            {o: p.plan for o, p in result.people.items()},
            on_failure=lambda owner, exc: result.fail(result.people[owner].events, exc),
        )
        trip = self.contexts.gateway.round_trip()
        for owner, update in result.people.items():  # committed: their triggers are written
            queue_arm(trip, owner, update.plan.timers)
        self.emitter.queue_outcomes(trip, outbox)
        self.contexts.queue_cleanup(trip, result.merged_visitors)
        trends = queue_observe(trip, observed, self.rules.trend_window_ms)
        orders = self.lift.queue_reads(trip, {o: p.events for o, p in result.people.items()})
        readings = self.restocks.queue_finish(trip, result.people.values(), observed)
        now = self.wall_clock()
        # A future-dated event must not drag its partition's clock (and everyone's timers
        # on it) ahead of the wall clock; backfills of the past still move it in event time.
        limit = now + self._clock_max_ahead_ms
        queue_advance_clocks(trip, {tp: min(ms, limit) for tp, ms in clock_marks.items()}, now)
        await trip.send()
        self._signals.note_observed(trends)
        await self.restocks.reevaluate(readings)
        if orders:
            await self.lift.convert(self.contexts.gateway, orders)

    async def _read_signals(self, updates: list[PersonUpdate]) -> Signals:
        """The live signals the kinds will read for this batch, in one round trip (or none)."""
        request = SignalRequest.union(
            signals_needed(update.context, update.events, self.rules) for update in updates
        )
        if not request.stock_pairs and not request.trend_categories:
            return Signals()
        return await self._signals.read(request)


def _arm(update: PersonUpdate, pending: PendingTrigger) -> None:
    """A timer on the partition of the person's latest event (none without a source)."""
    if update.source is not None:
        topic, partition = update.source
        entry = TimerEntry(topic, partition, pending.slot, pending.due_ms, pending.to_json())
        update.plan.timers.append(entry)
