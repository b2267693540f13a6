"""Throughput: one backlog drained by the counting ceiling, the raw limit and the worker.

The backlog is in Kafka before any of them starts; each consumes it whole in its own
consumer group, one after the other, so all three see exactly the same records.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis

from tests.bench.backlog import Backlog, build_backlog, customers_differing, produce_all, time_drain
from tests.bench.cpu_shares import cpu_seconds
from tests.bench.limits import ceiling_records_per_s, raw_limit
from tests.bench.profiling import Profiler, report
from tests.bench.results import Results
from tests.integration.harness import Services, WorkerProcess

PARTITIONS = 4
API_TOKEN = "bench-token"
# The API load is one client measuring capacity: no per-client rate limit.
WORKER_ENV = {"API_TOKEN": API_TOKEN, "API_RATE_LIMIT_PER_S": "0"}


def bench_worker(services: Services, log_dir: Path, **env: str) -> WorkerProcess:
    """A worker as the bench runs it; ``DECISION_GRACE_MS`` etc. pass through from make bench."""
    passed_on = {
        k: os.environ[k]
        for k in (
            "DECISION_GRACE_MS",
            "BATCH_MAX_RECORDS",
            "BATCH_WINDOW_MS",
            "BATCH_WINDOW_KEEPING_UP_MS",
            "KAFKA_FETCH_MAX_WAIT_MS",
            "KAFKA_FETCH_MIN_BYTES",
        )
        if k in os.environ
    }
    worker = WorkerProcess(
        services, log_dir, partitions=PARTITIONS, extra_env={**WORKER_ENV, **passed_on, **env}
    )
    worker.create_topics()
    return worker


class DrainCosts:
    """What a drain cost: worker CPU per event, Redis commands per event, batch time."""

    def __init__(self, worker: WorkerProcess, redis_url: str) -> None:
        self._worker = worker
        self._redis = redis.Redis.from_url(redis_url)
        self._cpu = self.worker_cpu_s()
        self._commands = self._redis_commands()
        self._by_name = self._commands_by_name()

    def worker_cpu_s(self) -> float:
        assert self._worker.process is not None
        return cpu_seconds(self._worker.process.pid)

    def _redis_commands(self) -> int:
        return int(self._redis.info("stats")["total_commands_processed"])

    def _commands_by_name(self) -> dict[str, int]:
        stats = self._redis.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}

    def top_commands(self, events: float, limit: int = 8) -> str:
        """The commands the drain sent most, per event: where the round trips' work goes."""
        now = self._commands_by_name()
        sent = {name: calls - self._by_name.get(name, 0) for name, calls in now.items()}
        ranked = sorted(sent.items(), key=lambda item: -item[1])[:limit]
        return "  ".join(f"{name} {calls / events:.2f}" for name, calls in ranked if calls)

    def figures(self, events: float) -> dict[str, float]:
        cpu = self.worker_cpu_s() - self._cpu
        commands = self._redis_commands() - self._commands
        batches = self._worker.metric_sum("omni_batch_processing_seconds_count")
        in_batches = self._worker.metric_sum("omni_batch_processing_seconds_sum")
        return {
            "worker_cpu_us_per_event": round(cpu / events * 1e6, 1),
            "redis_commands_per_event": round(commands / events, 2),
            "batches": int(batches),
            "batch_ms_mean": round(in_batches / max(batches, 1) * 1000, 1),
        }


def bench_throughput(
    services: Services,
    log_dir: Path,
    results: Results,
    customers: int,
    batch_size: int,
    profile_dir: Path | None = None,
) -> tuple[WorkerProcess, Backlog]:
    """Ceiling, raw limit and pipeline on one backlog of ``batch_size``-event records.
    Returns the worker (stopped) and the backlog: its customers are in Redis now.
    ``profile_dir``: py-spy samples the worker's drain into it (:mod:`.profiling`)."""
    name = f"batch_{batch_size}"
    worker = bench_worker(services, log_dir)
    # A seed per batch size: the phases share Redis, and the same messageIds again would
    # be deduplicated, not processed (batch_20 measured only the dedupe path until 2026-12-04).
    backlog = build_backlog(customers, worker.topics, batch_size, PARTITIONS, seed=41 + batch_size)
    records = len(backlog.records)
    produce_all(services.kafka_broker, backlog.records)
    results.put(f"{name}.records", records)
    results.put(f"{name}.events", backlog.events)

    ceiling = ceiling_records_per_s(worker, records)
    results.put(f"{name}.ceiling_records_per_s", round(ceiling))
    raw_records, raw_events = raw_limit(worker, records)
    results.put(f"{name}.raw_limit_records_per_s", round(raw_records))
    results.put(f"{name}.raw_limit_events_per_s", round(raw_events))

    worker.start()
    profiler = None
    try:
        costs = DrainCosts(worker, services.redis_url)
        if profile_dir is not None:
            assert worker.process is not None
            profiler = Profiler(worker.process.pid, profile_dir / f"{name}.txt")
        elapsed = time_drain(lambda: worker.metric_sum("omni_records_consumed_total"), records)
        if profiler is not None:
            profiler.stop()
            print(report(profiler.path), flush=True)
        worker.wait_processed(records, timeout_s=120)
        events = worker.metric_sum("omni_events_consumed_total")
        duplicates = worker.metric_sum("omni_events_duplicate_total")
        if duplicates:
            raise RuntimeError(
                f"{name}: {duplicates:,.0f} events deduplicated: the backlog was not new to Redis"
            )
        results.put(f"{name}.pipeline_records_per_s", round(records / elapsed))
        results.put(f"{name}.pipeline_events_per_s", round(events / elapsed))
        results.put(f"{name}.ratio_to_ceiling", round(records / elapsed / ceiling, 2))
        results.put(f"{name}.ratio_to_raw_limit_events", round(events / elapsed / raw_events, 2))
        results.put(f"{name}.costs", costs.figures(events))
        results.put(f"{name}.redis_commands_per_event", costs.top_commands(events))
        results.put(
            f"{name}.customers_differing",
            customers_differing(redis.Redis.from_url(services.redis_url), backlog),
            "orders and spend per customer against the generated journeys",
        )
    finally:
        worker.stop()
    return worker, backlog
