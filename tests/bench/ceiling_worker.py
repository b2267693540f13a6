"""The ceiling: a bare faust worker that only counts the records it is given.

Same transport (:class:`streams.kafka.transport.App`), same fetch wait, same
``take_events`` batches and the same at-least-once acks as the real worker, and
nothing else: no parsing, no Redis, no decisions. Whatever the real worker
reaches is measured against this (``ratio_to_ceiling``).

``python -m tests.bench.ceiling_worker``, configured like the worker by env vars;
``CEILING_STATS`` names the file where it keeps ``{"records", "first", "last"}``
(wall-clock seconds of the first and the latest counted batch).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust
import orjson

from config import Settings
from streams.kafka.transport import App


def create_ceiling_app(settings: Settings, stats_path: Path) -> App:
    app = App(
        f"{settings.app_id}-ceiling",
        broker=settings.faust_broker,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        idempotent_producer=settings.idempotent_producer,
        processing_guarantee="at_least_once",
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topic_partitions,
        topic_disable_leader=True,
        store="memory://",
        **({"datadir": f"{settings.data_dir}-ceiling"} if settings.data_dir else {}),
        web_enabled=False,
    )
    stats: dict[str, float] = {"records": 0, "first": 0.0, "last": 0.0}
    window_s = settings.batch_window_ms / 1000

    async def count(stream: Any) -> AsyncIterator[None]:
        async for batch in stream.take_events(settings.batch_max_records, within=window_s):
            now = time.time()
            stats["first"] = stats["first"] or now
            stats["last"] = now
            stats["records"] += len(batch)
            yield None

    # One agent over every input topic, as the worker has.
    topic = app.topic(*settings.topics.inputs, key_serializer="raw", value_serializer="raw")
    app.agent(topic, name="count")(count)

    @app.timer(0.1)  # type: ignore[untyped-decorator]
    async def write_stats() -> None:
        temporary = stats_path.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps(stats))
        temporary.replace(stats_path)

    return app


def main() -> None:
    app = create_ceiling_app(Settings.from_env(), Path(os.environ["CEILING_STATS"]))
    faust.Worker(app, loglevel="warning").execute_from_commandline()


if __name__ == "__main__":
    main()
