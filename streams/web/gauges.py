"""Gauges computed when Prometheus scrapes ``/metrics``, not kept up to date in between.

Consumer lag counts the records not processed yet: each partition's end offset
minus the offset after the last record the ingest processed, or the committed
offset when that is further (a partition this worker has not processed since it
got it). Lag from the fetch position instead would read 0 while a fetched batch
is stuck.

The end offsets are asked of the broker (ListOffsets, one request a scrape): a
partition faust paused, its buffer full, is not fetched, so the high watermark of
its last fetch response falls behind exactly when the lag grows. Tansu answers
ListOffsets(latest) wrongly; with ``lag_from_fetches`` the fetch responses' high
watermarks are used instead, and when the broker does not answer in time.
Pending timers are counted in Redis for this worker's input partitions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from faust.types import TP, ConsumerT

from streams.metrics import Metrics
from streams.redis.gateway import RedisGateway
from streams.redis.timers import timers_pending

log = logging.getLogger(__name__)

END_OFFSETS_TIMEOUT_S = 2.0  # under Prometheus's scrape timeout


async def refresh_scrape_gauges(
    consumer: ConsumerT | None,
    input_topics: frozenset[str],
    processed: Mapping[tuple[str, int], int],
    gateway: RedisGateway,
    metrics: Metrics,
    lag_from_fetches: bool = False,
) -> None:
    """Lag from the processed offsets, and pending timers, as of this scrape."""
    if consumer is None:
        return
    assigned = [tp for tp in consumer.assignment() if tp.topic in input_topics]
    ends = {} if lag_from_fetches else await _end_offsets(consumer, assigned)
    # What faust last committed per partition; it has no public accessor.
    committed = getattr(consumer, "_committed_offset", {})
    metrics.consumer_lag.clear()
    for tp in assigned:
        end = ends.get(tp)
        if end is None:
            try:
                end = consumer.highwater(tp)
            except Exception:
                continue
        if end is None:
            continue
        done = max(processed.get((tp.topic, tp.partition), 0), committed.get(tp) or 0)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(end - done, 0))
    try:
        pending = await timers_pending(gateway, [(tp.topic, tp.partition) for tp in assigned])
        metrics.timers_pending.set(pending)
    except Exception:
        log.warning("could not count pending timers", exc_info=True)


async def _end_offsets(consumer: ConsumerT, partitions: Sequence[TP]) -> Mapping[TP, int]:
    """The broker's end offsets (ListOffsets latest), or none when it does not answer."""
    if not partitions:
        return {}
    try:
        return await asyncio.wait_for(consumer.highwaters(*partitions), END_OFFSETS_TIMEOUT_S)
    except Exception:
        log.warning("end offsets unavailable; lag from the last fetches", exc_info=True)
        return {}
