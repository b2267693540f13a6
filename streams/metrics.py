"""Prometheus metrics of the worker. No customer ids ever go into labels."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# `*_created` series double the scrape size and no dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "omni"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
# Event to trigger spans a held second (the grace) to hours (timers: 30 min, 1 h, ...).
_MINUTES = (1, 5, 15, 30, 60, 120, 240, 720, 1440)
TRIGGER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, *(60.0 * m for m in _MINUTES))


class Metrics:
    """One registry per worker (and per test), so counters never leak between them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.records_consumed = Counter(
            f"{PREFIX}_records_consumed_total", "Kafka records read", ["topic"], registry=r
        )
        self.events_consumed = Counter(
            f"{PREFIX}_events_consumed_total",
            "Valid events accepted",
            ["topic", "type", "channel"],
            registry=r,
        )
        self.events_applied = Counter(
            f"{PREFIX}_events_applied_total",
            "Events folded into a customer context (first delivery of a messageId)",
            registry=r,
        )
        self.events_duplicate = Counter(
            f"{PREFIX}_events_duplicate_total",
            "Events skipped because their messageId was already applied",
            registry=r,
        )
        self.events_personless = Counter(
            f"{PREFIX}_events_personless_total",
            "Valid events about no person (anonymous till sales, stock updates)",
            ["type"],
            registry=r,
        )
        self.events_dropped = Counter(
            f"{PREFIX}_events_dropped_total",
            "Valid events deliberately not applied, by reason (erased: older than the erasure)",
            ["reason"],
            registry=r,
        )
        # Per-channel caps (issue #14): a preferred channel at its own cap, passed over
        # for the next consented one (counted once per reservation, never on a replay).
        self.channel_fallbacks = Counter(
            f"{PREFIX}_channel_fallbacks_total",
            "Triggers sent on a less preferred channel, by the channel passed over at its cap",
            ["type", "channel"],
            registry=r,
        )
        # Per-customer time zones (issue #14): a context.timezone no zone database knows.
        self.timezones_ignored = Counter(
            f"{PREFIX}_timezones_ignored_total",
            "Events folded without their context.timezone, by why it was ignored",
            ["reason"],
            registry=r,
        )
        self.deadletters = Counter(
            f"{PREFIX}_deadletters_total",
            "Records sent to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.batch_size = Histogram(
            f"{PREFIX}_batch_records",
            "Records per processed batch",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.batch_seconds = Histogram(
            f"{PREFIX}_batch_processing_seconds",
            "Time to process one batch, parse to Redis write",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.redis_seconds = Histogram(
            f"{PREFIX}_redis_operation_seconds",
            "Redis call latency",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.redis_errors = Counter(
            f"{PREFIX}_redis_errors_total",
            "Redis calls that failed and were retried",
            registry=r,
        )
        self.batch_retries = Counter(
            f"{PREFIX}_batch_retries_total",
            "Batches retried whole after an infrastructure error (nothing was acked)",
            registry=r,
        )
        self.cas_retries = Counter(
            f"{PREFIX}_context_cas_retries_total",
            "Context writes retried because another writer changed the context first",
            registry=r,
        )
        self.contexts_written = Counter(
            f"{PREFIX}_contexts_written_total", "Context documents written", registry=r
        )
        self.erasures = Counter(
            f"{PREFIX}_erasures_total", "People erased on request (event or API)", registry=r
        )
        self.identity_merges = Counter(
            f"{PREFIX}_identity_merges_total",
            "Anonymous contexts merged into a customer's on identify",
            registry=r,
        )
        self.triggers_emitted = Counter(
            f"{PREFIX}_triggers_emitted_total",
            "Triggers sent to a trigger topic",
            ["type", "channel"],
            registry=r,
        )
        self.triggers_suppressed = Counter(
            f"{PREFIX}_triggers_suppressed_total",
            "Decisions not sent, by reason (capped, cooldown, no_consent, purchased, ...)",
            ["type", "reason"],
            registry=r,
        )
        self.triggers_repeated = Counter(
            f"{PREFIX}_triggers_repeated_total",
            "Decisions skipped because their trigger_id was already emitted (replays)",
            ["type"],
            registry=r,
        )
        # Holdout lift: per type with a holdout, and group (sent | holdout). Never a person.
        self.lift_decisions = Counter(
            f"{PREFIX}_lift_decisions_total",
            "Decisions measured for lift: sent, or held out though they would have been sent",
            ["type", "group"],
            registry=r,
        )
        self.lift_conversions = Counter(
            f"{PREFIX}_lift_conversions_total",
            "Measured decisions converted by an order in any channel within the window",
            ["type", "group"],
            registry=r,
        )
        self.lift_revenue = Counter(
            f"{PREFIX}_lift_conversion_revenue_total",
            "Totals of the orders that converted measured decisions (the orders' currency)",
            ["type", "group"],
            registry=r,
        )
        self.event_to_trigger_seconds = Histogram(
            f"{PREFIX}_event_to_trigger_seconds",
            "Event time of the deciding event to the trigger being sent (live traffic)",
            ["type"],
            buckets=TRIGGER_BUCKETS,
            registry=r,
        )
        self.timers_fired = Counter(
            f"{PREFIX}_timers_fired_total", "Pending triggers whose deadline passed", registry=r
        )
        self.stock_readings = Counter(
            f"{PREFIX}_stock_readings_total",
            "Stock Updated readings, by outcome (recorded; stale: the store held a later one)",
            ["outcome"],
            registry=r,
        )
        self.restocks = Counter(
            f"{PREFIX}_restocks_total",
            "Stock readings that took a product at a store from 0 or unknown units to more",
            registry=r,
        )
        self.restock_reevaluations = Counter(
            f"{PREFIX}_restock_reevaluations_total",
            "Watchers decided again after a restock, by outcome (decided: sent or suppressed, "
            "see the trigger metrics; not_eligible: their store or views no longer qualify)",
            ["outcome"],
            registry=r,
        )
        self.identity_claims_unlinked = Counter(
            f"{PREFIX}_identity_claims_unlinked_total",
            "Events with a userId and an anonymousId from a source [identity] does not trust: "
            "kept as the visitor's, not linked (refused identify calls are dead letters)",
            ["channel"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            f"{PREFIX}_consumer_lag",
            "Records not processed yet: the high watermark minus the offset after the last "
            "record processed or committed, per input partition of this worker",
            ["topic", "partition"],
            registry=r,
        )
        self.batch_stalled_seconds = Gauge(
            f"{PREFIX}_batch_stalled_seconds",
            "Age of the oldest batch still in progress (0 when none is): it grows while a "
            "batch is stuck on Redis or Kafka",
            registry=r,
        )
        self.pipeline_stalled = Gauge(
            f"{PREFIX}_pipeline_stalled",
            "1 while a batch has been in progress for longer than BATCH_STALL_S "
            "(/ready answers 503)",
            registry=r,
        )
        self.timers_pending = Gauge(
            f"{PREFIX}_timers_pending",
            "Pending triggers armed on this worker's partitions",
            registry=r,
        )
        self.api_seconds = Histogram(
            f"{PREFIX}_api_request_seconds",
            "HTTP API request latency",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.up = Gauge(f"{PREFIX}_worker_up", "1 while the worker processes records", registry=r)
        self.rules_info = Gauge(
            f"{PREFIX}_offer_rules_info",
            "1 for the version of the offer rules in effect (the file's SHA-256, 12 digits)",
            ["version"],
            registry=r,
        )
        self.rules_reloads = Counter(
            f"{PREFIX}_offer_rules_reloads_total",
            "Changed rules files: applied, or rejected (the rules in effect stay)",
            ["outcome"],
            registry=r,
        )

    def watch_context_cache(self, stats: Callable[[], tuple[int, int, int]]) -> None:
        """The decoded-context cache's (hits, misses, entries), read at each scrape."""
        self.registry.register(_ContextCacheCollector(stats))


class _ContextCacheCollector(Collector):
    """Read at scrape time, so a lookup costs an integer increment, not a metric's lock."""

    def __init__(self, stats: Callable[[], tuple[int, int, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        hits, misses, entries = self._stats()
        lookups = CounterMetricFamily(
            f"{PREFIX}_context_cache_lookups",
            "Stored contexts read: found decoded in the cache (hit), or decoded (miss)",
            labels=["outcome"],
        )
        lookups.add_metric(["hit"], hits)
        lookups.add_metric(["miss"], misses)
        yield lookups
        yield GaugeMetricFamily(
            f"{PREFIX}_context_cache_entries",
            "Decoded contexts kept (CONTEXT_CACHE_SIZE at most)",
            value=entries,
        )
