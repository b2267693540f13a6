"""A generated population through the real pipeline, checked customer by customer.

5k customers (~88k events, batch records and malformed records included; 3k on
a Redis Cluster) are published to a broker and consumed by two workers sharing the consumer group,
so one person's anonymous and identified events really land on different
workers. Every customer's order count and spend must equal what the test
computes independently from the generated events.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from kafka import KafkaProducer

from models.context.stored import unpack
from models.identity import Identity, IdentityKind
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.totals import expected_totals
from streams.redis.keys import PersonKeys
from tests.integration.harness import WorkerProcess, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.long]

# Enough people for every journey shape, identity path and batch layout, and to spread
# a cluster's keys over every slot range; the bench drains the 10k population.
CUSTOMERS = {"server": 5_000, "cluster": 3_000}
# The drain's bound, and the test's: a loaded machine (a core busy elsewhere) takes
# about three times as long as an idle one.
DRAIN_TIMEOUT_S = 360


@pytest.mark.timeout(DRAIN_TIMEOUT_S + 180)
@pytest.mark.parametrize("redis_kind", ["server", "cluster"])
def test_a_population_has_exact_orders_and_spend(
    make_worker: Callable[..., WorkerProcess], request: pytest.FixtureRequest, redis_kind: str
) -> None:
    extra = {}
    if redis_kind == "cluster":
        extra["REDIS_URL"] = request.getfixturevalue("redis_cluster_url")
    first = make_worker(partitions=4, extra_env=extra)
    second = make_worker(partitions=4, namespace=first.namespace, extra_env=extra)
    first.create_topics()
    options = GeneratorOptions(
        customers=CUSTOMERS[redis_kind],
        seed=20261122,
        bad_share=0.005,
        batch_share=0.3,
        topics=first.topics,
    )
    records = list(generate(options))
    expected = expected_totals(records)
    events = sum(len(orjson.loads(r.value).get("batch", [None])) if r.valid else 0 for r in records)
    assert events > 15 * CUSTOMERS[redis_kind], events

    first.start()
    second.start()
    producer = KafkaProducer(
        bootstrap_servers=first.services.kafka_broker,
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=2 << 20,
        acks="all",
    )
    for record in records:
        producer.send(record.topic, key=record.key, value=record.value)
    producer.flush(timeout=120)
    producer.close()

    def consumed() -> float:
        return sum(w.metric_sum("omni_records_consumed_total") for w in (first, second))

    wait_until(
        lambda: consumed() >= len(records),
        timeout_s=DRAIN_TIMEOUT_S,
        interval_s=1.0,
        what="drain",
    )
    assert consumed() == len(records)
    assert all(w.metric_sum("omni_records_consumed_total") > 0 for w in (first, second))

    client = first.redis()
    users = sorted(expected)
    reads = client.pipeline(transaction=False)
    for user in users:
        reads.hget(PersonKeys.of(Identity(IdentityKind.USER, user)).context, "doc")
    documents = reads.execute()
    mismatches = []
    for user, raw in zip(users, documents, strict=True):
        stored = orjson.loads(unpack(raw)) if raw else {}
        got = (stored.get("orders_count", 0), stored.get("total_spent_cents", 0) / 100)
        want = (expected[user].orders_count, expected[user].total_spent)
        if got[0] != want[0] or abs(got[1] - want[1]) > 0.005:
            mismatches.append((user, got, want))
    assert not mismatches, f"{len(mismatches)} of {len(users)} customers differ: {mismatches[:5]}"
    assert sum(t.orders_count for t in expected.values()) > 1_000
    for worker in (first, second):
        assert worker.alive()
        assert worker.metric_sum("omni_deadletters_total", reason="processing_error") == 0
