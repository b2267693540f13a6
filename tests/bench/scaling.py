"""Scaling: the same backlog of batch records drained by one worker, then by two.

Both workers start together on a backlog already in Kafka (one consumer group);
each run's customers are checked against the generated journeys afterwards.
"""

from __future__ import annotations

from pathlib import Path

import redis

from tests.bench.backlog import build_backlog, customers_differing, produce_all, time_drain
from tests.bench.cpu_shares import CpuShares
from tests.bench.pipeline import PARTITIONS, bench_worker
from tests.bench.results import Results
from tests.integration.harness import Services, WorkerProcess, sample_sum


def bench_scaling(
    services: Services, log_dir: Path, results: Results, customers: int, batch_size: int
) -> None:
    client = redis.Redis.from_url(services.redis_url)
    figures: dict[str, object] = {}
    for count in (1, 2):
        first = bench_worker(services, log_dir)
        workers = [first] + [
            WorkerProcess(
                services,
                log_dir,
                namespace=first.namespace,
                partitions=PARTITIONS,
                extra_env=first.extra_env,
            )
            for _ in range(count - 1)
        ]
        # Another seed each time: the same messageIds would be deduplicated, not processed.
        backlog = build_backlog(customers, first.topics, batch_size, PARTITIONS, seed=11 + count)
        records = len(backlog.records)
        produce_all(services.kafka_broker, backlog.records)
        for worker in workers:
            worker.start()
        try:

            def drained(group: list[WorkerProcess] = workers, total: int = records) -> float:
                # Records read, held below the total until no partition lags: a record
                # read twice (redelivered when the second worker joined) is not progress.
                scraped = [w.metrics() for w in group]
                read = sum(sample_sum(s, "omni_records_consumed_total") for s in scraped)
                behind = sum(sample_sum(s, "omni_consumer_lag") for s in scraped)
                return read if behind == 0 else min(read, total - 1)

            # Started once every worker is up: their start-up is not the drain.
            shares = CpuShares()
            elapsed = time_drain(drained, records)
            figures[f"workers_{count}_cores_used"] = shares.cores()
            for worker in workers:
                worker.wait_processed(0, timeout_s=120)
            # The backlog's events, each once: the counters count redeliveries again.
            figures[f"workers_{count}_events_per_s"] = round(backlog.events / elapsed)
            figures[f"workers_{count}_redelivered_events"] = int(
                sum(w.metric_sum("omni_events_duplicate_total") for w in workers)
            )
            figures[f"workers_{count}_lost_or_differing"] = customers_differing(client, backlog)
        finally:
            for worker in workers:
                worker.stop()
    results.put("scaling", figures, f"records of {batch_size} events, {customers:,} customers")
