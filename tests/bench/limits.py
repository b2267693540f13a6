"""The two limits the worker is measured against, on the very records it drains.

- ceiling: a bare faust worker that only counts (:mod:`tests.bench.ceiling_worker`);
- raw limit: plain aiokafka ``getmany`` plus one batched Redis round trip per batch,
  the limit without faust.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer

from streams.local.services import stop_process
from tests.bench.backlog import time_drain
from tests.integration.harness import REPO_ROOT, WorkerProcess


def ceiling_records_per_s(worker: WorkerProcess, records: int) -> float:
    """Records/s of the counting faust worker over the worker's input topics."""
    stats = Path(tempfile.mkdtemp(prefix="omni-ceiling-")) / "stats.json"
    worker.log_dir.mkdir(parents=True, exist_ok=True)
    log = (worker.log_dir / f"ceiling-{worker.namespace}.log").open("wb")
    env = {**os.environ, **worker.env(), "CEILING_STATS": str(stats), "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.ceiling_worker", "worker", "-l", "warning"],
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()

    def counted() -> dict[str, float]:
        if process.poll() is not None:
            raise RuntimeError(f"the ceiling worker exited with {process.returncode}")
        return orjson.loads(stats.read_bytes()) if stats.exists() else {"records": 0}

    try:
        time_drain(lambda: counted()["records"], records)
        final = counted()
        # Its own timestamps: the first and last batch it counted, not when we polled.
        return final["records"] / max(final["last"] - final["first"], 1e-3)
    finally:
        stop_process(process, grace_s=5.0)


def raw_limit(worker: WorkerProcess, records: int) -> tuple[float, float]:
    """(records/s, events/s) of aiokafka getmany + one Redis pipeline per batch."""
    return asyncio.run(_raw_limit(worker, records))


async def _raw_limit(worker: WorkerProcess, records: int) -> tuple[float, float]:
    settings = worker.settings
    consumer = AIOKafkaConsumer(
        *settings.topics.inputs,
        bootstrap_servers=worker.services.kafka_broker,
        group_id=f"raw-{worker.namespace}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        auto_commit_interval_ms=1000,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        max_partition_fetch_bytes=4 << 20,
    )
    client = aioredis.Redis.from_url(worker.redis_url)
    await consumer.start()
    seen = events = 0
    first = last = 0.0
    try:
        deadline = time.monotonic() + 600
        while seen < records:
            if time.monotonic() > deadline:
                raise TimeoutError(f"raw consumer stopped at {seen:,} of {records:,} records")
            batches = await consumer.getmany(
                timeout_ms=1000, max_records=settings.batch_max_records
            )
            if batches:
                first = first or time.perf_counter()
            pipe = client.pipeline(transaction=False)
            for messages in batches.values():
                for message in messages:
                    seen += 1
                    for person in _people(message.value):
                        events += 1
                        pipe.hincrby(f"raw:{worker.namespace}:{person}", "events", 1)
            if len(pipe):
                await pipe.execute()
            if batches:
                last = time.perf_counter()
    finally:
        await consumer.stop()
        await client.aclose()
    elapsed = max(last - first, 1e-3)
    return seen / elapsed, events / elapsed


def _people(value: bytes | None) -> list[str]:
    """Each event's person: the least any consumer must parse (bad records count as none)."""
    try:
        document = orjson.loads(value or b"")
        events = document.get("batch", [document]) if isinstance(document, dict) else []
        return [str(e.get("userId") or e.get("anonymousId")) for e in events if isinstance(e, dict)]
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return []
