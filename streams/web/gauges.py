"""Gauges computed when Prometheus scrapes ``/metrics``, not kept up to date in between.

Consumer lag is measured against the high watermark of the latest fetch response
(the embedded broker's ListOffsets is unreliable); pending timers are counted in
Redis for this worker's input partitions.
"""

from __future__ import annotations

import logging

from faust.types import ConsumerT

from streams.metrics import Metrics
from streams.redis.gateway import RedisGateway
from streams.redis.timers import timers_pending

log = logging.getLogger(__name__)


async def refresh_scrape_gauges(
    consumer: ConsumerT | None,
    input_topics: frozenset[str],
    gateway: RedisGateway,
    metrics: Metrics,
) -> None:
    """Lag from the fetch high watermark, and pending timers, as of this scrape."""
    if consumer is None:
        return
    assigned = [tp for tp in consumer.assignment() if tp.topic in input_topics]
    # The offset of the last record faust read per partition; it has no public accessor.
    read_offsets = getattr(consumer, "_read_offset", {})
    metrics.consumer_lag.clear()
    for tp in assigned:
        highwater: int | None
        try:
            highwater = consumer.highwater(tp)
        except Exception:
            highwater = None
        read = read_offsets.get(tp)
        if highwater is None:
            continue
        lag = highwater - (read + 1 if read is not None else 0)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(lag, 0))
    try:
        pending = await timers_pending(gateway, [(tp.topic, tp.partition) for tp in assigned])
        metrics.timers_pending.set(pending)
    except Exception:
        log.warning("could not count pending timers", exc_info=True)
