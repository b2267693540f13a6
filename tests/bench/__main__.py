"""``make bench``: throughput, latency percentiles and memory, printed as numbers.

1. core:     parse + fold of generated records in one process (no I/O).
2. pipeline: a real worker on an embedded broker and Redis (or TEST_KAFKA_BROKER /
             TEST_REDIS_URL): a backlog of generated records drained as fast as the
             worker can, then single probe events timed from produce to visible in Redis.
"""

from __future__ import annotations

import argparse

from tests.bench.core import bench_core
from tests.bench.pipeline import run_pipeline


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    bench_core(args.customers)
    run_pipeline(args.customers, args.probes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
