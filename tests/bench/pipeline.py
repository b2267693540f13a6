"""The pipeline benchmark: one real worker on a real broker and Redis.

The services are TEST_KAFKA_BROKER and TEST_REDIS_URL, or an embedded stack. A
backlog of generated records is drained as fast as the worker can; then single
probe events are timed from produce to visible in Redis (and a till order to its
trigger); then memory, and the API under load.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import redis
from kafka import KafkaProducer

from models.identity import Identity, IdentityKind
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.totals import expected_totals
from streams.redis.keys import PersonKeys
from tests.bench.api import API_TOKEN, bench_api
from tests.bench.latency import TRIGGER_PROBES, percentiles, trigger_latency
from tests.bench.memory import memory_per_customer, rss_mib
from tests.brokers import chosen_broker, local_services
from tests.integration.harness import Services, WorkerProcess, wait_until


class DrainCosts:
    """What draining the backlog cost: worker CPU, Redis commands, time in batches."""

    def __init__(self, worker: WorkerProcess, redis_url: str) -> None:
        self._worker = worker
        self._redis = redis.Redis.from_url(redis_url)
        self._cpu = self._worker_cpu_s()
        self._commands = self._redis_commands()

    def _worker_cpu_s(self) -> float:
        assert self._worker.process is not None
        fields = Path(f"/proc/{self._worker.process.pid}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def _redis_commands(self) -> int:
        return int(self._redis.info("stats")["total_commands_processed"])

    def report(self, events: float) -> str:
        cpu = self._worker_cpu_s() - self._cpu
        commands = self._redis_commands() - self._commands
        batches = self._worker.metric_sum("omni_batch_processing_seconds_count")
        in_batches = self._worker.metric_sum("omni_batch_processing_seconds_sum")
        return (
            f"costs     worker CPU {cpu:.1f} s ({cpu / events * 1e6:.0f} us/event); "
            f"Redis {commands:,} commands ({commands / events:.2f}/event); "
            f"{batches:,.0f} batches, {in_batches / max(batches, 1) * 1000:.1f} ms each on average"
        )


def bench_pipeline(services: Services, log_dir: Path, customers: int, probes: int) -> None:
    # DECISION_GRACE_MS=0 make bench: what the grace costs the cross-sell latency.
    passed_on = {k: os.environ[k] for k in ("DECISION_GRACE_MS",) if k in os.environ}
    # The API load is one client measuring capacity: no per-client rate limit.
    env = {"API_TOKEN": API_TOKEN, "API_RATE_LIMIT_PER_S": "0", **passed_on}
    worker = WorkerProcess(services, log_dir, partitions=4, extra_env=env)
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
        costs = DrainCosts(worker, services.redis_url)
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
        print(costs.report(events))

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
        trigger_latencies = trigger_latency(producer, worker, TRIGGER_PROBES)
        producer.close()
        grace_ms = worker.settings.decision_grace_ms  # the engine waits this long on purpose
        print(
            f"latency   till order -> cross_sell trigger consumed, {TRIGGER_PROBES} probes, "
            f"DECISION_GRACE_MS {grace_ms}: {percentiles(trigger_latencies)}"
        )
        print(f"latency   produce -> context in Redis, {probes} probes: {percentiles(latencies)}")

        per_customer = memory_per_customer(client, customer_ids)
        print(
            f"memory    Redis per identified customer (ctx + seen + links keys, "
            f"{len(per_customer):,} customers): median {statistics.median(per_customer):,.0f} B, "
            f"p90 {sorted(per_customer)[int(0.9 * len(per_customer))]:,} B, "
            f"max {max(per_customer):,} B"
        )
        bench_api(worker.url, customer_ids)
        rss, peak = rss_mib(worker.process.pid) if worker.process else (0.0, 0.0)
        info = client.info("memory")
        contexts = sum(1 for _ in client.scan_iter("ctx:*", count=1000))
        print(
            f"memory    worker RSS {rss:.0f} MiB (peak {peak:.0f} MiB); Redis used "
            f"{info['used_memory'] / 2**20:.1f} MiB for {contexts:,} contexts "
            f"({info['used_memory'] / max(contexts, 1):,.0f} B/context incl. dedupe sets)"
        )
    finally:
        worker.stop()


def run_pipeline(customers: int, probes: int) -> None:
    """``bench_pipeline`` on TEST_KAFKA_BROKER and TEST_REDIS_URL, or on local services
    (Apache Kafka or Tansu: ``tests.brokers``)."""
    log_dir = Path(tempfile.mkdtemp(prefix="omni-bench-"))
    broker, redis_url = os.environ.get("TEST_KAFKA_BROKER"), os.environ.get("TEST_REDIS_URL")
    if broker and redis_url:
        bench_pipeline(Services(broker, redis_url), log_dir, customers, probes)
        return
    with local_services(log_dir / "services") as services:
        print(f"broker    {chosen_broker()} at {services.kafka_broker}")
        bench_pipeline(services, log_dir, customers, probes)
