"""Gauges computed when Prometheus scrapes ``/metrics``, not kept up to date in between.

Consumer lag counts the records not processed yet: the high watermark of the
latest fetch response (the embedded broker's ListOffsets is unreliable) minus
the offset after the last record the ingest processed, or the committed offset
when that is further (a partition this worker has not processed since it got
it). Lag from the fetch position instead would read 0 while a fetched batch is
stuck. Pending timers are counted in Redis for this worker's input partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from faust.types import ConsumerT

from streams.metrics import Metrics
from streams.redis.gateway import RedisGateway
from streams.redis.timers import timers_pending

log = logging.getLogger(__name__)


async def refresh_scrape_gauges(
    consumer: ConsumerT | None,
    input_topics: frozenset[str],
    processed: Mapping[tuple[str, int], int],
    gateway: RedisGateway,
    metrics: Metrics,
) -> None:
    """Lag from the processed offsets, and pending timers, as of this scrape."""
    if consumer is None:
        return
    assigned = [tp for tp in consumer.assignment() if tp.topic in input_topics]
    # What faust last committed per partition; it has no public accessor.
    committed = getattr(consumer, "_committed_offset", {})
    metrics.consumer_lag.clear()
    for tp in assigned:
        try:
            highwater = consumer.highwater(tp)
        except Exception:
            continue
        if highwater is None:
            continue
        done = max(processed.get((tp.topic, tp.partition), 0), committed.get(tp) or 0)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(highwater - done, 0))
    try:
        pending = await timers_pending(gateway, [(tp.topic, tp.partition) for tp in assigned])
        metrics.timers_pending.set(pending)
    except Exception:
        log.warning("could not count pending timers", exc_info=True)
