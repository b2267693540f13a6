"""``make bench``: throughput, latency percentiles and memory, printed as numbers.

Phases, each on a real worker against a real broker and Redis (TEST_KAFKA_BROKER and
TEST_REDIS_URL, or an embedded stack: Apache Kafka where java and mvn exist, else
Tansu, as ``TEST_BROKER`` says):

1. core:        parse + fold in one process, no I/O.
2. batch_1:     a backlog of single-event records drained by a bare counting faust
                worker (the ceiling), by aiokafka + one Redis round trip per batch
                (the raw limit), then by the worker.
3. batch_20:    the same with Segment batch records of 20 events.
4. steady:      1,000 events/s while the broker hop, event -> trigger, timer lateness
                and the API at 200 requests/s are timed.
5. memory:      Redis bytes per customer; worker RSS after 100k and 1M events.
6. scaling:     one worker, then two, on the same size of backlog.

The figures are printed as they come, then as a table, and written as JSON
(``--json``, default ``.run/bench/summary.json``), with the targets of the
performance issue checked at the end.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import redis

from tests.bench.core import bench_core
from tests.bench.memory import bench_worker_memory, report_redis_bytes
from tests.bench.pipeline import bench_throughput
from tests.bench.profiling import py_spy
from tests.bench.results import Results, machine
from tests.bench.scaling import bench_scaling
from tests.bench.steady import bench_steady
from tests.bench.targets import check_targets
from tests.brokers import chosen_broker, local_services
from tests.integration.harness import REPO_ROOT, Services

PHASES = ("core", "batch_1", "batch_20", "steady", "memory", "scaling")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add = parser.add_argument
    add("--customers", type=int, default=10_000, help="customers in the throughput backlogs")
    add("--memory-events", type=int, default=1_000_000, help="events of the RSS phase")
    add("--steady-seconds", type=float, default=40.0)
    add("--steady-warmup-s", type=float, default=5.0, help="load before the steady phase times")
    add("--steady-events-per-s", type=int, default=1000)
    add("--timer-people", type=int, default=2000)
    add("--api-per-s", type=int, default=200)
    add("--only", nargs="+", choices=PHASES, default=list(PHASES))
    add("--quick", action="store_true", help="a small smoke run of every phase (make test)")
    add("--json", type=Path, default=REPO_ROOT / ".run" / "bench" / "summary.json")
    add("--timer-delay-s", type=int, default=10, help="abandonment delay of the steady phase")
    add(
        "--api-in-worker",
        action="store_true",
        help="the steady phase's API load goes to the worker, not to an API server",
    )
    add("--profile", type=Path, help="py-spy samples each drain of the worker into this folder")
    args = parser.parse_args(argv)
    if args.profile is not None:
        py_spy()
    if args.quick:
        args.customers, args.memory_events = 200, 10_000
        args.steady_seconds, args.steady_events_per_s, args.steady_warmup_s = 8.0, 300, 1.0
        args.timer_people, args.api_per_s, args.timer_delay_s = 60, 40, 3
    return args


def run(args: argparse.Namespace, services: Services, log_dir: Path, results: Results) -> None:
    phases: dict[str, Callable[[], None]] = {}
    known: list[str] = []

    def throughput(batch_size: int) -> None:
        _worker, backlog = bench_throughput(
            services, log_dir, results, args.customers, batch_size, args.profile
        )
        if not known:
            known.extend(backlog.customer_ids)
            report_redis_bytes(results, redis.Redis.from_url(services.redis_url), known)

    phases["core"] = lambda: bench_core(args.customers, results)
    phases["batch_1"] = lambda: throughput(1)
    phases["batch_20"] = lambda: throughput(20)
    phases["steady"] = lambda: bench_steady(
        services,
        log_dir,
        results,
        known,
        events_per_s=args.steady_events_per_s,
        duration_s=args.steady_seconds,
        timer_people=args.timer_people,
        api_per_s=args.api_per_s,
        timer_delay_s=args.timer_delay_s,
        api_in_worker=args.api_in_worker,
        warmup_s=args.steady_warmup_s,
    )
    phases["memory"] = lambda: bench_worker_memory(services, log_dir, results, args.memory_events)
    phases["scaling"] = lambda: bench_scaling(services, log_dir, results, args.customers, 20)
    for name in PHASES:
        if name in args.only:
            started = time.monotonic()
            print(f"== {name}", flush=True)
            phases[name]()
            results.put(f"seconds.{name}", round(time.monotonic() - started, 1))


def main() -> int:
    args = parse_arguments()
    results = Results()
    results.put("run.at", datetime.now(UTC).isoformat(timespec="seconds"))
    results.put("run.machine", machine())
    log_dir = Path(tempfile.mkdtemp(prefix="omni-bench-"))
    broker, redis_url = os.environ.get("TEST_KAFKA_BROKER"), os.environ.get("TEST_REDIS_URL")
    if broker and redis_url:
        results.put("run.broker", f"external at {broker}")
        run(args, Services(broker, redis_url), log_dir, results)
    else:
        with local_services(log_dir / "services") as services:
            results.put("run.broker", chosen_broker())
            run(args, services, log_dir, results)
    verdicts = check_targets(results)
    print("\n" + results.table())
    results.figures["targets"] = verdicts
    print("\ntargets (the performance issue's, on this machine):")
    for name, verdict in verdicts.items():
        print(f"  {name:<26} {verdict}")
    results.write(args.json)
    print(f"\nJSON summary: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
