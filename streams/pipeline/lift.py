"""Holdout lift, wired: each measured decision remembered and counted once, each order of
the person checked against them, each conversion counted once.

The rule (which group, which order converts) is :mod:`models.offers.holdout` and
:mod:`models.offers.conversions`; this module reads, writes and counts. Nothing happens
for a rules file without holdouts: no key, no command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models.events import Event
from models.identity import Identity
from models.offers.conversions import (
    Conversion,
    MeasuredDecision,
    PlacedOrder,
    context_orders,
    conversions,
    expired,
    placed_orders,
)
from models.offers.holdout import Group, group_of
from models.offers.rules import OfferRules, TriggerRule
from streams.metrics import Metrics
from streams.pipeline.plans import Outbox, PlannedContact
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.lift import queue_convert, queue_forget, queue_read, queue_remember

# A decision's record outlives its window by a day of wall clock: late orders still find it.
_TTL_MARGIN_MS = 86_400_000


class LiftMeter:
    def __init__(self, rules: OfferRules, metrics: Metrics) -> None:
        self._metrics = metrics
        self.active = False
        self._ttl_ms = 0
        self.use_rules(rules)

    def use_rules(self, rules: OfferRules) -> None:
        """Rules at start-up, or reloaded live. Decisions measured under earlier rules
        still wait for their orders, so measuring, once on, stays on until a restart, and
        records keep the longest window seen."""
        measured = [r for r in rules.triggers.values() if r.enabled and r.holdout.measured]
        self.active = self.active or bool(measured)
        windows = [rule.holdout.conversion_window_ms for rule in measured]
        self._ttl_ms = max(self._ttl_ms, max(windows, default=0) + _TTL_MARGIN_MS)
        # Every series from 0 when its type is first measured: increase() counts a
        # series' first increment only when it was scraped before it.
        counters = (
            self._metrics.lift_decisions,
            self._metrics.lift_conversions,
            self._metrics.lift_revenue,
        )
        for rule in measured:
            for group in Group:
                for counter in counters:
                    counter.labels(rule.type.value, group.value)

    @staticmethod
    def group(person: Identity, rule: TriggerRule) -> Group:
        return group_of(person, rule.type.value, rule.holdout)

    def measure(self, outbox: Outbox, owner: Identity, decision: PlannedContact) -> None:
        """Note a decision that was sent or held out, when its type is measured."""
        holdout = decision.rule.holdout
        if holdout.measured:
            measured = MeasuredDecision.of(decision.candidate, decision.group, holdout)
            outbox.measured.append((owner, measured, context_orders(decision.context)))

    def queue_remember(
        self,
        trip: RoundTrip,
        measured: Sequence[tuple[Identity, MeasuredDecision, Sequence[PlacedOrder]]],
    ) -> None:
        """Remember the decisions, and convert those an order their context holds converts."""
        for owner, decision, orders in measured:
            counter = self._metrics.lift_decisions.labels(decision.type, decision.group.value)
            queue_remember(trip, owner, decision, self._ttl_ms, counter.inc)
            for conversion in conversions([decision], (), orders):
                self._queue_convert(trip, owner, conversion)

    def queue_reads(
        self, trip: RoundTrip, events: Mapping[Identity, Sequence[Event]]
    ) -> dict[Identity, tuple[list[PlacedOrder], Reply]]:
        """Read the measured decisions of the people who placed an order, in ``trip``."""
        if not self.active:
            return {}
        reads = {}
        for owner, their_events in events.items():
            orders = placed_orders(their_events)
            if orders:
                reads[owner] = (orders, queue_read(trip, owner))
        return reads

    async def convert(
        self, gateway: RedisGateway, reads: Mapping[Identity, tuple[list[PlacedOrder], Reply]]
    ) -> None:
        """Mark and count what the orders converted, and drop closed windows: one round
        trip, only when there is something to write."""
        trip = gateway.round_trip()
        for owner, (orders, reply) in reads.items():
            decisions, converted = reply.value
            for conversion in conversions(decisions, converted, orders):
                self._queue_convert(trip, owner, conversion)
            queue_forget(trip, owner, expired(decisions, orders[-1].at_ms))
        await trip.send()

    def _queue_convert(self, trip: RoundTrip, owner: Identity, conversion: Conversion) -> None:
        labels = (conversion.decision.type, conversion.decision.group.value)
        total = conversion.order.total

        def count() -> None:
            self._metrics.lift_conversions.labels(*labels).inc()
            if total > 0:
                self._metrics.lift_revenue.labels(*labels).inc(total)

        queue_convert(trip, owner, conversion, self._ttl_ms, count)
