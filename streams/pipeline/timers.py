"""Firing due timers: the timers a tick finds due are decided page by page.

A page costs one round trip when nothing is due; otherwise four (plus one when
a pending trigger's visitor was identified since): the partitions' clocks and
due timers, the pending triggers with their people's contexts, the contact
slots, and, once Kafka has the records, marking them sent and releasing the
timers. A crash before the release fires the timer again; the reservation
keeps it to one contact.

A backlog's event time can bring tens of thousands of deadlines due at one tick.
Deciding them all at once held every one of their contexts in memory together
(the worker's resident set grew by a third, and stayed there); a page holds at
most DUE_PER_PAGE, and pages follow each other until nothing is left due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from models.context import CustomerContext
from models.identity import Identity
from models.offers.decision import Expired, PendingTrigger
from models.offers.decisions import on_due
from streams.metrics import Metrics
from streams.pipeline.engine import OfferEngine, Partition
from streams.pipeline.plans import Suppression
from streams.redis.batch import PersonPlan
from streams.redis.contacts import reserve_contacts
from streams.redis.keys import PersonKeys, text
from streams.redis.timers import DueTimer, queue_due, queue_release

#: Timers decided together, over all of a worker's partitions.
DUE_PER_PAGE = 1_000
#: Pages per tick at most: the next tick goes on (a guard, should a page not progress).
PAGES_PER_TICK = 50


@dataclass
class _Firing:
    timer: DueTimer
    payload: bytes | None
    pending: PendingTrigger | None = None


class TimerFiring:
    def __init__(self, engine: OfferEngine, metrics: Metrics) -> None:
        self._engine = engine
        self._metrics = metrics
        self._gateway = engine.contexts.gateway

    async def fire_due(self, partitions: Sequence[Partition]) -> int:
        """Fire the timers of these partitions whose deadline the event-time clock passed."""
        per_partition = max(1, DUE_PER_PAGE // max(1, len(partitions)))
        fired = 0
        for _page in range(PAGES_PER_TICK):
            count, more = await self._fire_page(partitions, per_partition)
            fired += count
            if not more:
                break
        return fired

    async def _fire_page(self, partitions: Sequence[Partition], limit: int) -> tuple[int, bool]:
        """Fire up to ``limit`` due timers per partition: (fired, some partition had more)."""
        trip = self._gateway.round_trip()
        dues = queue_due(trip, partitions, self._engine.wall_clock(), limit)
        await trip.send()
        firings = [_Firing(t, None) for reply in dues.values() for t in reply.value[1]]
        if not firings:
            return 0, False
        more = any(len(reply.value[1]) >= limit for reply in dues.values())
        clocks = {tp: reply.value[0] for tp, reply in dues.items()}

        contexts = await self._read(firings)
        plans: dict[Identity, PersonPlan] = defaultdict(PersonPlan)
        for firing in firings:
            pending = firing.pending
            clock = clocks[(firing.timer.topic, firing.timer.partition)]
            if pending is None or clock is None or pending.due_ms > clock:
                firing.payload = None  # consumed, erased, or rescheduled later: just release
                continue
            owner, context = contexts.get(pending.person.key, (None, None))
            if owner is None or context is None:
                continue  # the person was erased or expired: nothing to say to them
            # A visitor identified since the timer was armed is the customer now.
            pending = pending.for_owner(owner)
            # Decided at the deadline, in event time, so a replay decides the same.
            outcome = on_due(pending, context, self._engine.rules, pending.due_ms)
            if isinstance(outcome, Expired):
                self._engine.stamp(plans[owner])
                plans[owner].decisions.append(
                    Suppression(outcome.pending, outcome.reason, outcome.detail, pending.due_ms)
                )
                continue
            self._engine.plan_decision(plans[owner], context, owner, [outcome])

        await reserve_contacts(self._gateway, self._engine.rules.caps, plans)
        outbox = await self._engine.emitter.send_plans(plans)
        trip = self._gateway.round_trip()
        self._engine.emitter.queue_outcomes(trip, outbox)
        for firing in firings:
            queue_release(trip, firing.timer, firing.payload)
        await trip.send()
        fired = sum(f.payload is not None for f in firings)
        self._metrics.timers_fired.inc(fired)
        return fired, more

    async def _read(
        self, firings: list[_Firing]
    ) -> dict[str, tuple[Identity, CustomerContext | None]]:
        """Pending triggers and their people's contexts, read together (same hash slot)."""
        trip = self._gateway.round_trip()
        reads = []
        for firing in firings:
            keys = PersonKeys(firing.timer.pseudonym)
            reads.append(
                (
                    firing,
                    trip.call("HGET", keys.pending, firing.timer.slot),
                    trip.call("HMGET", keys.context, "doc", "moved_to"),
                )
            )
        await trip.send()
        found: dict[str, tuple[Identity, CustomerContext | None]] = {}
        moved: dict[str, Identity] = {}
        for firing, payload, context in reads:
            if payload.value is None:
                continue
            firing.payload = payload.value
            firing.pending = PendingTrigger.from_json(payload.value)
            doc, moved_to = context.value
            key = firing.pending.person.key
            if moved_to is not None:
                moved[key] = Identity.user(text(moved_to))
            else:
                found[key] = (firing.pending.person, self._context(doc))
        if moved:
            await self._read_moved(moved, found)
        return found

    async def _read_moved(
        self, moved: dict[str, Identity], found: dict[str, tuple[Identity, CustomerContext | None]]
    ) -> None:
        trip = self._gateway.round_trip()
        docs = {
            key: trip.call("HGET", PersonKeys.of(owner).context, "doc")
            for key, owner in moved.items()
        }
        await trip.send()
        for key, owner in moved.items():
            found[key] = (owner, self._context(docs[key].value))

    def _context(self, doc: bytes | None) -> CustomerContext | None:
        return None if doc is None else self._engine.contexts.decoded.decode(doc)
