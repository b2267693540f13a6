"""``make bench``: throughput, latency percentiles and memory, printed as numbers.

1. core:     parse + fold of generated records in one process (no I/O).
2. pipeline: a real worker on an embedded broker and Redis (or TEST_KAFKA_BROKER /
             TEST_REDIS_URL): a backlog of generated records drained as fast as the
             worker can, then single probe events timed from produce to visible in Redis.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from models.context import CustomerContext, fold_new_events
from models.identity import Identity, IdentityKind
from models.parsing import EventParser
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.totals import expected_totals
from streams.local.services import EmbeddedStack
from streams.redis.keys import PersonKeys
from tests.integration.harness import Services, WorkerProcess, wait_until


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {pick(0.50) * 1000:.1f} ms  p95 {pick(0.95) * 1000:.1f} ms  "
        f"p99 {pick(0.99) * 1000:.1f} ms  max {ordered[-1] * 1000:.1f} ms"
    )


def bench_core(customers: int) -> None:
    records = [
        r for r in generate(GeneratorOptions(customers=customers, bad_share=0.01)) if r.topic
    ]
    parser = EventParser(max_future=timedelta(days=1))
    now = datetime.now(UTC)
    started = time.perf_counter()
    contexts: dict[Identity, CustomerContext] = {}
    events = 0
    for record in records:
        parsed = parser.parse_record(record.value, now)
        for event in parsed.events:
            events += 1
            identity = event.identity
            if identity is None:
                continue
            outcome = fold_new_events(contexts.get(identity, CustomerContext()), [event], set())
            contexts[identity] = outcome.context
    elapsed = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"core      {len(records):,} records, {events:,} events in {elapsed:.2f}s: "
        f"{events / elapsed:,.0f} events/s ({elapsed / events * 1e6:.1f} us/event), "
        f"process peak RSS {peak_rss:.0f} MiB with {len(contexts):,} contexts in memory"
    )


def _rss_mib(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _memory_per_customer(client: redis.Redis, user_ids: list[str]) -> list[int]:
    sizes = []
    for chunk_start in range(0, len(user_ids), 500):
        chunk = user_ids[chunk_start : chunk_start + 500]
        pipe = client.pipeline(transaction=False)
        for user in chunk:
            identity = Identity(IdentityKind.USER, user)
            for key in (
                PersonKeys.of(identity).context,
                PersonKeys.of(identity).seen,
                PersonKeys.of(identity).links,
            ):
                pipe.memory_usage(key, samples=0)
        replies = pipe.execute()
        for i in range(len(chunk)):
            sizes.append(sum(r or 0 for r in replies[3 * i : 3 * i + 3]))
    return [size for size in sizes if size]


TRIGGER_PROBES = 50


def _trigger_latency(producer: KafkaProducer, worker: WorkerProcess, probes: int) -> list[float]:
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


API_TOKEN = "bench-token"
API_CLIENTS = 8
API_REQUESTS = 2000


def _api_load(
    base_url: str, route: str, customer_ids: list[str], requests: int
) -> tuple[list[float], float]:
    """Concurrent GETs for random known customers; latency per request and throughput."""
    rng = random.Random(7)
    paths = [f"/customers/{rng.choice(customer_ids)}/{route}" for _ in range(requests)]

    def fetch(path: str) -> float:
        request = urllib.request.Request(base_url + path)
        request.add_header("Authorization", f"Bearer {API_TOKEN}")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            assert response.status == 200
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(API_CLIENTS) as pool:
        latencies = list(pool.map(fetch, paths))
    return latencies, requests / (time.perf_counter() - started)


def bench_pipeline(services: Services, log_dir: Path, customers: int, probes: int) -> None:
    worker = WorkerProcess(services, log_dir, partitions=4, extra_env={"API_TOKEN": API_TOKEN})
    worker.create_topics()
    try:
        generated = list(
            generate(
                GeneratorOptions(
                    customers=customers, bad_share=0.01, batch_share=0.3, topics=worker.topics
                )
            )
        )
        customer_ids = sorted(expected_totals(generated))
        backlog = [(r.topic, r.key, r.value) for r in generated]
        producer = KafkaProducer(
            bootstrap_servers=services.kafka_broker,
            linger_ms=20,
            batch_size=256 * 1024,
            max_request_size=2 << 20,
        )
        for topic, key, value in backlog:
            producer.send(topic, key=key, value=value)
        producer.flush()
        # The backlog is in Kafka before the worker starts: time how fast one worker drains it,
        # from its first consumed record (group join and start-up are not throughput).
        worker.start()
        wait_until(
            lambda: worker.metric_sum("omni_records_consumed_total") > 0,
            timeout_s=60,
            interval_s=0.01,
            what="first record consumed",
        )
        started = time.perf_counter()
        wait_until(
            lambda: worker.metric_sum("omni_records_consumed_total") >= len(backlog),
            timeout_s=600,
            interval_s=0.2,
            what="backlog drained",
        )
        elapsed = time.perf_counter() - started
        events = worker.metric_sum("omni_events_consumed_total")
        dead = worker.metric_sum("omni_deadletters_total")
        print(
            f"pipeline  {len(backlog):,} records ({events:,.0f} valid events, {dead:,.0f} dead "
            f"letters) drained by 1 worker in {elapsed:.1f}s: {len(backlog) / elapsed:,.0f} "
            f"records/s, {events / elapsed:,.0f} events/s"
        )

        client = redis.Redis.from_url(services.redis_url)
        latencies = []
        user = f"probe-{uuid.uuid4().hex[:8]}"
        key = PersonKeys.of(Identity(IdentityKind.USER, user)).context
        for n in range(probes):
            event = {
                "messageId": str(uuid.uuid4()),
                "type": "track",
                "event": "Product Viewed",
                "userId": user,
                "timestamp": datetime.now(UTC).isoformat(),
                "context": {"channel": "web"},
                "properties": {"product_id": "p"},
            }
            sent = time.perf_counter()
            producer.send(worker.topics.clickstream, key=user.encode(), value=orjson.dumps(event))
            producer.flush()
            while True:
                doc = client.hget(key, "doc")
                if doc is not None and orjson.loads(doc)["events_total"] == n + 1:
                    break
                time.sleep(0.0005)
            latencies.append(time.perf_counter() - sent)
        trigger_latencies = _trigger_latency(producer, worker, TRIGGER_PROBES)
        producer.close()
        print(
            f"latency   till order -> cross_sell trigger consumed, {TRIGGER_PROBES} probes: "
            f"{_percentiles(trigger_latencies)}"
        )
        print(f"latency   produce -> context in Redis, {probes} probes: {_percentiles(latencies)}")

        per_customer = _memory_per_customer(client, customer_ids)
        print(
            f"memory    Redis per identified customer (ctx + seen + links keys, "
            f"{len(per_customer):,} customers): median {statistics.median(per_customer):,.0f} B, "
            f"p90 {sorted(per_customer)[int(0.9 * len(per_customer))]:,} B, "
            f"max {max(per_customer):,} B"
        )
        for route in ("context", "next-best-offer"):
            latencies, rate = _api_load(worker.url, route, customer_ids, API_REQUESTS)
            print(
                f"api       GET /customers/{{id}}/{route}, {API_REQUESTS} requests from "
                f"{API_CLIENTS} clients: {rate:,.0f} req/s, {_percentiles(latencies)}"
            )
        rss, peak = _rss_mib(worker.process.pid) if worker.process else (0.0, 0.0)
        info = client.info("memory")
        contexts = sum(1 for _ in client.scan_iter("ctx:*", count=1000))
        print(
            f"memory    worker RSS {rss:.0f} MiB (peak {peak:.0f} MiB); Redis used "
            f"{info['used_memory'] / 2**20:.1f} MiB for {contexts:,} contexts "
            f"({info['used_memory'] / max(contexts, 1):,.0f} B/context incl. dedupe sets)"
        )
    finally:
        worker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    bench_core(args.customers)
    log_dir = Path(tempfile.mkdtemp(prefix="omni-bench-"))
    broker, redis_url = os.environ.get("TEST_KAFKA_BROKER"), os.environ.get("TEST_REDIS_URL")
    if broker and redis_url:
        bench_pipeline(Services(broker, redis_url), log_dir, args.customers, args.probes)
        return 0
    stack = EmbeddedStack(log_dir / "services").start()
    try:
        bench_pipeline(
            Services(stack.kafka_broker, stack.redis_url), log_dir, args.customers, args.probes
        )
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
