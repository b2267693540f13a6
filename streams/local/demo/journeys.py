"""Seeded customer journeys across web, mobile and store, as Kafka records.

``generate`` is pure and deterministic for given options, so tests can use it
without a broker; ``streams.local.generator`` publishes the records to Kafka.
The journeys themselves are in :mod:`.shoppers` and :mod:`.store`, the bad
records in :mod:`.malformed`, what they add up to in :mod:`.totals`.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

from streams.local.demo.catalogue import PRODUCTS, STORES
from streams.local.demo.malformed import BAD_REASONS, malformed_record
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.records import Draft, GeneratedRecord, iso, record_key
from streams.local.demo.shoppers import customer
from streams.local.demo.simulation import Simulation
from streams.local.demo.store import stock_level, till_sale

WINDOW = timedelta(hours=1)


def _records(
    drafts: list[Draft], base: datetime, room: float, batch: bool, sim: Simulation
) -> Iterator[tuple[datetime, GeneratedRecord]]:
    """Stamp a journey's drafts (squeezed into ``room`` seconds) and pack them into records."""
    duration = max((draft.at for draft in drafts), default=0.0)
    scale = min(1.0, room / duration) if duration > 0 else 1.0
    drafts = sorted(drafts, key=lambda draft: draft.at)
    for draft in drafts:
        draft.event["timestamp"] = iso(base + timedelta(seconds=draft.at * scale))
    batchable = (sim.topics.clickstream, sim.topics.basket)
    index = 0
    while index < len(drafts):
        head = drafts[index]
        group = [head]
        packed = batch and head.topic in batchable
        if packed:
            same = (head.topic, record_key(head.event))
            for draft in drafts[index + 1 : index + sim.rng.randint(2, 8)]:
                if (draft.topic, record_key(draft.event)) != same:
                    break
                group.append(draft)
        index += len(group)
        at = base + timedelta(seconds=group[-1].at * scale)
        if packed:
            at += timedelta(seconds=sim.rng.uniform(0.2, 2.0))
            value = orjson.dumps({"batch": [draft.event for draft in group], "sentAt": iso(at)})
        else:
            value = orjson.dumps(head.event)
        yield at, GeneratedRecord(head.topic, record_key(head.event), value, True, None)


def generate(options: GeneratorOptions) -> Iterator[GeneratedRecord]:
    """Yield the records of ``options.customers`` journeys in event-time order.

    Journeys start within the first 45 minutes of a one-hour window from ``start`` and
    are squeezed to end inside it; a few anonymous till sales and stock updates are
    spread over the window. Malformed records follow valid ones at ``bad_share``.
    """
    rng = random.Random(options.seed)
    bad_rng = random.Random(rng.getrandbits(64))
    start = options.start or datetime.now(UTC) - WINDOW
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    span = WINDOW.total_seconds()
    sim = Simulation(rng, options.topics)
    actors = [(rng.uniform(0, 0.75 * span), "customer") for _ in range(options.customers)]
    actors += [(rng.uniform(0, span), "till") for _ in range(-(-options.customers // 20))]
    actors += [(rng.uniform(0, span), "stock") for _ in range(options.customers // 4)]
    actors.sort()
    ratio = options.bad_share / (1.0 - options.bad_share)
    debt = bad_rng.random() if ratio else 0.0
    reasons = itertools.cycle(bad_rng.sample(BAD_REASONS, k=len(BAD_REASONS)))
    heap: list[tuple[datetime, int, GeneratedRecord]] = []
    seq = itertools.count()

    def due(until: datetime | None) -> Iterator[GeneratedRecord]:
        nonlocal debt
        while heap and (until is None or heap[0][0] <= until):
            at, _, record = heapq.heappop(heap)
            yield record
            debt += ratio
            while debt >= 1.0:
                debt -= 1.0
                yield malformed_record(next(reasons), bad_rng, record, at)

    for offset, kind in actors:
        base = start + timedelta(seconds=offset)
        yield from due(base)
        batch = False
        if kind == "customer":
            drafts = customer(sim)
            batch = rng.random() < options.batch_share
        elif kind == "till":
            drafts = till_sale(sim, 0.0, rng.choice(STORES).store_id, None, sim.random_items())
        else:
            store_id, product = rng.choice(STORES).store_id, rng.choice(PRODUCTS)
            drafts = [stock_level(sim, 0.0, store_id, product, reset=True)]
        for at, record in _records(drafts, base, span - offset, batch, sim):
            heapq.heappush(heap, (at, next(seq), record))
    yield from due(None)
