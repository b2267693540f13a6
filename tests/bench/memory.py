"""Memory: Redis bytes per customer, and the worker's resident set as events accumulate."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import redis

from models.identity import Identity, IdentityKind
from streams.local.demo.batching import kafka_partition, pack_batches
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.redis.keys import PersonKeys
from tests.bench.backlog import produce_all
from tests.bench.pipeline import PARTITIONS, bench_worker
from tests.bench.results import Results
from tests.integration.harness import Services

EVENTS_PER_CUSTOMER = 17  # about what a demo journey holds


def rss_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MiB of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def redis_bytes_per_customer(
    client: redis.Redis, user_ids: list[str]
) -> tuple[list[int], dict[str, list[int]]]:
    """MEMORY USAGE of all of each identified customer's keys together, and of each kind
    of key (``ctx``, ``seen``, ...) for the customers who have one."""
    sizes: list[int] = []
    by_kind: dict[str, list[int]] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        pipe = client.pipeline(transaction=False)
        keys = [PersonKeys.of(Identity(IdentityKind.USER, user)).all for user in chunk]
        for person in keys:
            for key in person:
                pipe.memory_usage(key, samples=0)
        replies = iter(pipe.execute())
        for person in keys:
            usage = [(key.split(":")[0], next(replies) or 0) for key in person]
            sizes.append(sum(size for _kind, size in usage))
            for kind, size in usage:
                if size:
                    by_kind.setdefault(kind, []).append(size)
    return [size for size in sizes if size], by_kind


def report_redis_bytes(results: Results, client: redis.Redis, user_ids: list[str]) -> None:
    measured, by_kind = redis_bytes_per_customer(client, user_ids)
    sizes = sorted(measured)
    results.put(
        "redis_bytes_by_key",
        {
            kind: f"median {int(statistics.median(kind_sizes))} B in {len(kind_sizes)}"
            for kind, kind_sizes in by_kind.items()
        },
    )
    results.put(
        "redis_bytes_per_customer",
        {
            "median": int(statistics.median(sizes)),
            "p99": sizes[int(0.99 * (len(sizes) - 1))],
            "customers": len(sizes),
        },
        "every key of the person: context, dedupe ids, links, contacts, decisions, timers",
    )


def bench_worker_memory(
    services: Services, log_dir: Path, results: Results, events: int, batch_size: int = 20
) -> None:
    """The worker's RSS after the first ``events // 10`` events and after ``events``:
    a backlog streamed into Kafka (never held in memory), drained by one worker."""
    worker = bench_worker(services, log_dir)
    customers = events // EVENTS_PER_CUSTOMER + 1
    generated = generate(GeneratorOptions(customers=customers, seed=7, topics=worker.topics))
    packed = pack_batches(
        generated,
        batch_size,
        kafka_partition(lambda _topic: PARTITIONS),
        frozenset(worker.topics.inputs),
    )
    sent_events = 0

    def until_enough() -> Iterator[tuple[str, bytes | None, bytes]]:
        nonlocal sent_events
        for record in packed:
            if sent_events >= events:
                return
            if record.valid:
                sent_events += len(orjson.loads(record.value).get("batch", [None]))
            yield record.topic, record.key, record.value

    records = produce_all(services.kafka_broker, until_enough())
    early_mark = sent_events // 10
    worker.start()
    try:
        assert worker.process is not None
        early = None
        deadline = time.monotonic() + 1800
        while (consumed := worker.metric_sum("omni_records_consumed_total")) < records:
            if early is None and worker.metric_sum("omni_events_consumed_total") >= early_mark:
                early = rss_mib(worker.process.pid)[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"memory drain stopped at {consumed:,.0f} of {records:,}")
            time.sleep(0.5)
        worker.wait_processed(records, timeout_s=120)
        final, peak = rss_mib(worker.process.pid)
        early = early or final
        applied = worker.metric_sum("omni_events_consumed_total")
        results.put(
            "worker_rss_mb",
            {
                f"after_{early_mark // 1000}k_events": round(early, 1),
                f"after_{applied / 1e6:.2f}M_events": round(final, 1),
                "peak": round(peak, 1),
                "growth_pct": round((final - early) / early * 100, 1),
            },
            f"{records:,} records of up to {batch_size} events",
        )
    finally:
        worker.stop()
