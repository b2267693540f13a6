"""Generated backlogs: built once, produced into Kafka before the consumer under test starts,
then checked customer by customer after the drain (nothing lost, nothing counted twice)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
import redis
from kafka import KafkaProducer

from config import TopicNames
from models.context.stored import unpack
from models.identity import Identity, IdentityKind
from streams.local.demo.batching import kafka_partition, pack_batches
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.totals import CustomerTotals, expected_totals
from streams.redis.keys import PersonKeys


@dataclass
class Backlog:
    records: list[tuple[str, bytes | None, bytes]]
    events: int  # the valid events in the valid records
    totals: dict[str, CustomerTotals]  # what each identified customer must end up with

    @property
    def customer_ids(self) -> list[str]:
        return sorted(self.totals)


def build_backlog(
    customers: int, topics: TopicNames, batch_size: int, partitions: int, seed: int = 42
) -> Backlog:
    """The demo journeys of ``customers`` people, 1 % malformed records, with Segment
    batch records of ``batch_size`` events (1: one event per record)."""
    generated = generate(GeneratorOptions(customers=customers, seed=seed, topics=topics))
    packed = list(
        pack_batches(
            generated,
            batch_size,
            kafka_partition(lambda _topic: partitions),
            frozenset(topics.inputs),
        )
    )
    events = sum(
        len(orjson.loads(record.value).get("batch", [None])) for record in packed if record.valid
    )
    return Backlog(
        [(record.topic, record.key, record.value) for record in packed],
        events,
        expected_totals(packed),
    )


def produce_all(broker: str, records: Iterable[tuple[str, bytes | None, bytes]]) -> int:
    """Send every record (a list or a stream) and wait for the acks; how many were sent.
    A failed send stops the bench with the count and the first error."""
    producer = KafkaProducer(
        bootstrap_servers=broker, linger_ms=20, batch_size=512 * 1024, max_request_size=2 << 20
    )
    failures: list[BaseException] = []
    sent = 0
    for topic, key, value in records:
        producer.send(topic, key=key, value=value).add_errback(failures.append)
        sent += 1
        if sent % 2000 == 0:  # bound the client's buffer: its batches must not expire
            producer.flush(timeout=300)
    producer.flush(timeout=300)
    producer.close()
    if failures:
        raise RuntimeError(f"{len(failures)} of {sent:,} records not written: {failures[0]!r}")
    return sent


def time_drain(
    count: Callable[[], float], total: float, timeout_s: float = 900.0, poll_s: float = 0.2
) -> float:
    """Seconds from the first counted record to ``total`` counted: how fast the consumer
    drains a backlog, not how long it takes to join the group and start."""
    deadline = time.monotonic() + timeout_s
    while count() <= 0:
        if time.monotonic() > deadline:
            raise TimeoutError("no record consumed")
        time.sleep(0.01)
    started = time.perf_counter()
    while count() < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"drain stopped at {count():,.0f} of {total:,.0f} records")
        time.sleep(poll_s)
    return time.perf_counter() - started


def customers_differing(client: redis.Redis, backlog: Backlog) -> int:
    """How many customers' stored orders and spend differ from what the backlog adds up to."""
    differing = 0
    ids = backlog.customer_ids
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        reads = client.pipeline(transaction=False)
        for user in chunk:
            reads.hget(PersonKeys.of(Identity(IdentityKind.USER, user)).context, "doc")
        for user, raw in zip(chunk, reads.execute(), strict=True):
            stored = orjson.loads(unpack(raw)) if raw else {}
            want = backlog.totals[user]
            spent = stored.get("total_spent_cents", 0) / 100
            if stored.get("orders_count", 0) != want.orders_count or (
                abs(spent - want.total_spent) > 0.005
            ):
                differing += 1
    return differing
