"""Latency probes, one event at a time, and their percentiles."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from models.identity import Identity, IdentityKind
from streams.redis.keys import PersonKeys
from tests.integration.harness import WorkerProcess, wait_until


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {pick(0.50) * 1000:.1f} ms  p95 {pick(0.95) * 1000:.1f} ms  "
        f"p99 {pick(0.99) * 1000:.1f} ms  max {ordered[-1] * 1000:.1f} ms"
    )


TRIGGER_PROBES = 50


def trigger_latency(producer: KafkaProducer, worker: WorkerProcess, probes: int) -> list[float]:
    """From publishing a till order to consuming its cross-sell trigger, one at a time."""
    topic = worker.topics.cross_sell
    consumer = KafkaConsumer(
        bootstrap_servers=worker.services.kafka_broker, group_id=None, fetch_max_wait_ms=10
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    consumer.poll(timeout_ms=100)
    latencies = []
    for _ in range(probes):
        user = f"probe-{uuid.uuid4().hex[:10]}"
        now = datetime.now(UTC)
        consent = _probe_event(user, "Consent Updated", now - timedelta(seconds=1), email=True)
        producer.send(worker.topics.clickstream, key=user.encode(), value=consent)
        producer.flush()
        wait_until(
            lambda u=user: redis.Redis.from_url(worker.services.redis_url).hget(
                PersonKeys.of(Identity(IdentityKind.USER, u)).context, "doc"
            ),
            what="consent applied",
        )
        order = _probe_event(
            user,
            "Order Completed",
            now,
            channel="store",
            order_id=f"o-{user}",
            store_id="s1",
            total=90.0,
            products=[{"product_id": "SHO-001", "category": "shoes", "price": 90.0}],
        )
        sent = time.perf_counter()
        producer.send(worker.topics.store_checkouts, key=user.encode(), value=order)
        producer.flush()
        found = False
        while not found and time.perf_counter() - sent < 10:
            for rows in consumer.poll(timeout_ms=20).values():
                found = found or any(orjson.loads(r.value)["userId"] == user for r in rows)
        assert found, "no cross-sell trigger within 10 s"
        latencies.append(time.perf_counter() - sent)
    consumer.close()
    return latencies


def _probe_event(
    user: str, name: str, at: datetime, channel: str = "web", **props: object
) -> bytes:
    return orjson.dumps(
        {
            "messageId": str(uuid.uuid4()),
            "type": "track",
            "event": name,
            "userId": user,
            "timestamp": at.isoformat(),
            "context": {"channel": channel},
            "properties": props,
        }
    )
