"""Restocks: a product back in stock at a store is decided again for the people watching it.

On the batch's finishing round trip (none of its own) this records the batch's
stock readings, whoever sent them, and keeps the restock index: the watches its
people's qualifying views made, less what the batch pushed out of their scope.
A reading that is a restock (0 or unknown units to more, found atomically with
its watchers) then costs, per chunk of watchers: their contexts (1 round trip),
their contact slots (1, when a decision asks for one) and, once Kafka has the
records, marking them sent (1). A batch with no restock costs nothing more.

The decision is the pure core's, at the reading's event time. Consent, channels,
caps, cooldowns and quiet hours go through the engine's plan and reserve as for
any decision, and suppressions are emitted with their reasons. A redelivered
reading answers as the first delivery did, decides again, and its trigger id
(``product@store``, as from a view) keeps it to one contact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.arbitration import moments
from models.offers.decision import Candidate
from models.offers.decisions import restock_candidates, restock_reach, restock_watches
from models.offers.restock import Restock, RestockReach, RestockWatch, dropped
from streams.metrics import Metrics
from streams.redis.batch import PersonPlan, PersonUpdate
from streams.redis.contacts import reserve_contacts
from streams.redis.gateway import RoundTrip
from streams.redis.keys import PersonKeys
from streams.redis.restock import StockReading, queue_stock, queue_unwatch, queue_watches

if TYPE_CHECKING:  # the engine owns this step, so its module imports this one
    from streams.pipeline.engine import OfferEngine

# Watchers whose contexts are read in one round trip: bounds one reply's size.
WATCHERS_PER_ROUND = 1_000


class RestockReevaluation:
    def __init__(self, engine: OfferEngine, metrics: Metrics) -> None:
        self._engine = engine
        self._metrics = metrics
        self._gateway = engine.contexts.gateway

    @property
    def _reach(self) -> RestockReach:
        """The widest reach of the rules in effect (live rules may change it)."""
        return restock_reach(self._engine.rules)

    def queue_finish(
        self, trip: RoundTrip, people: Iterable[PersonUpdate], observed: Sequence[Event]
    ) -> list[StockReading]:
        """Into the batch's finishing round trip: the watches first (a restock in the same
        trip finds them), then every stock reading among ``observed``."""
        watches: list[tuple[str, RestockWatch]] = []
        for update in people:
            pseudonym = update.owner.pseudonym
            queue_unwatch(trip, pseudonym, dropped(update.stored, update.context))
            found = restock_watches(update.context, update.events, update.owner, self._engine.rules)
            watches += [(pseudonym, watch) for watch in found]
        queue_watches(trip, watches, self._reach)
        return queue_stock(trip, observed, self._reach)

    async def reevaluate(self, readings: Sequence[StockReading]) -> None:
        """Decide again for the watchers of every restock among the sent readings."""
        # Per watcher: the restocks they watch, each with their rank among its watchers.
        watching: dict[str, list[tuple[Restock, int]]] = defaultdict(list)
        restocked: set[tuple[str, str]] = set()
        for reading in readings:
            restock = reading.restock
            if restock is None:
                continue
            self._metrics.restocks.inc()
            # Back, out and back again within one batch: the first return is the offer.
            if (restock.store_id, restock.product_id) in restocked:
                continue
            restocked.add((restock.store_id, restock.product_id))
            for rank, pseudonym in enumerate(reading.watchers):
                watching[pseudonym].append((restock, rank))
        people = sorted(watching.items())
        for start in range(0, len(people), WATCHERS_PER_ROUND):
            await self._decide(dict(people[start : start + WATCHERS_PER_ROUND]))
        for reading in readings:
            self._metrics.stock_readings.labels("recorded" if reading.recorded else "stale").inc()

    async def _decide(self, watching: dict[str, list[tuple[Restock, int]]]) -> None:
        contexts = await self._read(watching)
        plans: dict[Identity, PersonPlan] = defaultdict(PersonPlan)
        outcomes = self._metrics.restock_reevaluations
        for pseudonym, restocks in watching.items():
            if pseudonym not in contexts:  # erased since they watched
                outcomes.labels("not_eligible").inc(len(restocks))
                continue
            owner, context = contexts[pseudonym]
            candidates: list[Candidate] = []
            for restock, rank in restocks:
                decided = restock_candidates(context, owner, restock, self._engine.rules, rank)
                outcomes.labels("decided" if decided else "not_eligible").inc()
                candidates += decided
            for competing in moments(candidates):
                self._engine.plan_decision(plans[owner], context, owner, competing)
        await reserve_contacts(self._gateway, self._engine.rules.caps, plans)
        outbox = await self._engine.emitter.send_plans(plans)
        trip = self._gateway.round_trip()
        self._engine.emitter.queue_outcomes(trip, outbox)
        await trip.send()

    async def _read(self, pseudonyms: Iterable[str]) -> dict[str, tuple[Identity, CustomerContext]]:
        """The watchers' contexts, and who they are: the index holds only pseudonyms, a
        customer's context names its userId. An erased watcher has no context."""
        trip = self._gateway.round_trip()
        docs = {p: trip.call("HGET", PersonKeys(p).context, "doc") for p in pseudonyms}
        await trip.send()
        found: dict[str, tuple[Identity, CustomerContext]] = {}
        for pseudonym, reply in docs.items():
            if reply.value is None:
                continue
            context = CustomerContext.from_json(reply.value)
            owner = Identity.user(context.user_id) if context.user_id else None
            if owner is not None and owner.pseudonym == pseudonym:
                found[pseudonym] = (owner, context)
        return found
