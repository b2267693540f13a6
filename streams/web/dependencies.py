"""What the API handlers read from: the stores, the rules, the metrics, the consumer.

Handlers find it on the aiohttp application (``request.app[API_DEPS]``), so the
same handlers serve in the worker and in an in-process test application.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from faust.types import ConsumerT

from config import Settings
from models.offers.rules import OfferRules
from streams.metrics import Metrics
from streams.pipeline.live_rules import LiveRules
from streams.pipeline.retries import Retries
from streams.redis.contexts import RedisContextStore
from streams.redis.signals import SignalReader
from streams.web.gauges import refresh_scrape_gauges


@dataclass
class ApiDeps:
    store: RedisContextStore
    # Shared with the engine: one trend cache, which also counts this worker's own writes.
    signals: SignalReader
    rules: OfferRules
    metrics: Metrics
    token: str
    input_topics: frozenset[str]
    # Looked up per request, not held: faust builds its consumer lazily, when the worker
    # starts, and the API is wired before that. None without one (in-process tests).
    consumer: Callable[[], ConsumerT | None]
    # Requests a second per client on the bearer endpoints; 0: no limit.
    rate_limit_per_s: float = 0.0
    # Wall-clock epoch ms, the API's "now"; a test may pin it.
    now_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    # The ingest's retrying batches (a stall makes /ready answer 503) and, per input
    # partition, the offset after the last record it processed (the lag). None and
    # empty where no ingest runs (in-process API tests).
    retries: Retries | None = None
    processed: Mapping[tuple[str, int], int] = field(default_factory=dict)
    # Lag's end offsets from fetch responses, not ListOffsets (KAFKA_LAG_FROM_FETCHES).
    lag_from_fetches: bool = False
    # The rules file behind ``rules`` and its reloads (``/rules``); None in tests
    # that hand the API fixed rules.
    live_rules: LiveRules | None = None
    # False in the API server (``python -m streams.api_server``): it consumes nothing,
    # so /ready asks only for Redis, not for assigned partitions.
    needs_partitions: bool = True

    @classmethod
    def configured(
        cls,
        settings: Settings,
        store: RedisContextStore,
        signals: SignalReader,
        live_rules: LiveRules,
        metrics: Metrics,
        *,
        consumer: Callable[[], ConsumerT | None] = lambda: None,
        retries: Retries | None = None,
        processed: Mapping[tuple[str, int], int] | None = None,
        needs_partitions: bool = True,
    ) -> ApiDeps:
        """As ``settings`` say; a worker adds its consumer, retries and processed offsets.
        The store's caps, the signal reader's rules and the API's follow ``live_rules``."""
        deps = cls(
            store=store,
            signals=signals,
            rules=live_rules.rules,
            metrics=metrics,
            token=settings.api_token,
            input_topics=frozenset(settings.topics.inputs),
            consumer=consumer,
            rate_limit_per_s=settings.api_rate_limit_per_s,
            retries=retries,
            processed=processed if processed is not None else {},
            lag_from_fetches=settings.lag_from_fetches,
            live_rules=live_rules,
            needs_partitions=needs_partitions,
        )
        live_rules.subscribe(signals.use_rules)
        live_rules.subscribe(lambda new: setattr(store, "caps", new.caps))
        live_rules.subscribe(lambda new: setattr(deps, "rules", new))
        return deps

    async def refresh_scrape_gauges(self) -> None:
        """Lag and pending timers as of now: for ``/metrics`` and the console's Live page."""
        await refresh_scrape_gauges(
            self.consumer(),
            self.input_topics,
            self.processed,
            self.store.gateway,
            self.metrics,
            lag_from_fetches=self.lag_from_fetches,
        )


API_DEPS = web.AppKey("api_deps", ApiDeps)
