"""The faust app: one ingest agent reading every input topic, plus the worker's web routes.

Agents only wire I/O. They take batches of raw records, hand them to
:class:`IngestPipeline`, and ack once the batch is in Redis and its dead
letters are delivered (at-least-once; replays are absorbed by messageId
dedupe in the store). A batch still retrying when the worker stops is given up
unacknowledged: its records are read again by the partition's next owner.

One agent for the four input topics, not one each: a batch costs a few Redis
round trips and a decision pass whatever its size, and four agents cut a steady
stream into four times as many, smaller batches. In one batch a consent and a
till sale sent a moment apart on two topics are also folded together, in event
time order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any, cast

from faust import Stream
from faust.types import EventT, StreamT

from config import Settings
from models.offers.rules_file import DEFAULT_RULES_PATH
from models.parsing import EventParser
from streams.heap_freeze import freeze_startup_heap
from streams.kafka.acks import withhold
from streams.kafka.batches import BatchWindow, take_batches
from streams.kafka.security import faust_credentials
from streams.kafka.transport import App
from streams.memory_trim import malloc_trim
from streams.metrics import Metrics
from streams.pipeline.engine import OfferEngine
from streams.pipeline.ingest import IngestPipeline, InputRecord
from streams.pipeline.live_rules import LiveRules
from streams.pipeline.retries import Retries, ShutdownRequested
from streams.pipeline.timers import TimerFiring
from streams.redis.client import redis_client
from streams.redis.gateway import RedisGateway
from streams.redis.signals import WARM_INTERVAL_S, SignalReader
from streams.stores import context_store
from streams.web.api import add_api
from streams.web.console import ConsoleDeps, add_console
from streams.web.console.deadletters import DeadLetterSamples
from streams.web.console.session import Sessions
from streams.web.dependencies import ApiDeps
from streams.web.server import LimitedWeb, ServerLimits

log = logging.getLogger(__name__)


class WorkerApp(App):
    """The app whose web server is :class:`LimitedWeb`: limits on connections, no faust page."""

    def __init__(self, *args: Any, web_limits: ServerLimits, **kwargs: Any) -> None:
        self.web_limits = web_limits
        super().__init__(*args, **kwargs)

    def _new_web(self) -> LimitedWeb:
        return LimitedWeb(self, self.web_limits)


def create_app(settings: Settings, metrics: Metrics | None = None) -> App:
    metrics = metrics or Metrics()
    app = WorkerApp(
        settings.app_id,
        web_limits=ServerLimits.from_settings(settings),
        broker=settings.faust_broker,
        broker_credentials=faust_credentials(settings.kafka_security),
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
        idempotent_producer=settings.idempotent_producer,
        processing_guarantee="at_least_once",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topic_partitions,
        topic_disable_leader=True,
        store="memory://",
        **({"datadir": settings.data_dir} if settings.data_dir else {}),
        # faust binds web_bind (default 0.0.0.0, every interface) and only advertises
        # web_host; WEB_HOST is the address to listen on.
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_transport=f"tcp://{settings.web_host}",
        # faust's own pages would answer on the API port without the token: table
        # routing and contents (no tables here), statistics, the service graph.
        # (LimitedWeb applies none of faust's pages; these say so to faust too.)
        web_router_enabled=False,
        web_tables_enabled=False,
        web_stats_enabled=False,
        web_graph_enabled=False,
        web_metrics_enabled=False,
    )
    redis = redis_client(settings.redis_url, socket_timeout=10, health_check_interval=30)
    gateway = RedisGateway(redis)
    live_rules = LiveRules(settings.offer_rules_path or DEFAULT_RULES_PATH)
    rules = live_rules.rules
    if not rules.identity.configured:
        log.warning(
            "the offer rules have no [identity] section: every source may link a visitor "
            "to a customer (see the README, Trusted identity)"
        )
    store = context_store(settings, gateway, rules.caps)
    metrics.watch_context_cache(
        lambda: (store.decoded.hits, store.decoded.misses, len(store.decoded))
    )
    output_topics = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in settings.topics.outputs
    }

    async def send(topic: str, key: bytes | None, value: bytes) -> Awaitable[Any]:
        return await output_topics[topic].send(key=key, value=value)

    deadletter_samples = DeadLetterSamples()  # masked, for the console's Live page

    async def send_deadletter(key: bytes | None, value: bytes) -> None:
        await (await send(settings.topics.deadletter, key, value))
        deadletter_samples.add(value)

    signals = SignalReader(gateway, rules)
    engine = OfferEngine(
        rules,
        store,
        signals,
        send,
        metrics,
        settings.topics,
        history_max=settings.decision_history_max,
        clock_max_ahead_ms=int(settings.clock_max_ahead_s * 1000),
        grace_ms=settings.decision_grace_ms,
    )

    retries = Retries(max_delay_s=settings.redis_retry_max_s, stall_after_s=settings.batch_stall_s)
    metrics.batch_stalled_seconds.set_function(retries.longest_s)
    metrics.pipeline_stalled.set_function(lambda: float(retries.stalled()))
    app.on_stopping.append(retries.stop)  # before faust waits for the agents' batches
    pipeline = IngestPipeline(
        EventParser(
            max_record_bytes=settings.max_record_bytes,
            max_event_bytes=settings.max_event_bytes,
            max_future=timedelta(seconds=settings.max_future_s),
            identity_trust=rules.identity,
        ),
        store,
        metrics,
        send_deadletter,
        retries=retries,
        planner=engine,
        after_batch=engine.after_batch,
    )

    _add_ingest_agent(app, settings.topics.inputs, pipeline, settings)
    _add_timer(app, TimerFiring(engine, metrics), settings)
    api_deps = ApiDeps.configured(
        settings,
        store,
        signals,
        live_rules,
        metrics,
        consumer=lambda: app.consumer,
        retries=retries,
        processed=pipeline.processed,
    )
    add_api(app, api_deps)
    console_deps = ConsoleDeps(
        rules=live_rules,
        sessions=Sessions(settings.api_token),
        samples=deadletter_samples,
    )
    add_console(app, console_deps)
    _follow_rules(app, live_rules, metrics, settings.rules_reload_interval_s)
    _trim_memory(app, settings.malloc_trim_interval_s)

    async def warm_trends() -> None:
        await signals.warm(int(time.time() * 1000))

    app.timer(WARM_INTERVAL_S, on_leader=False)(warm_trends)
    # Applied in one synchronous step: no await sees half the components switched.
    # (ApiDeps.configured subscribed the store's caps, the signals and the API.)
    live_rules.subscribe(engine.use_rules)
    live_rules.subscribe(lambda new: pipeline.trust_identities(new.identity))
    if not settings.api_token:
        log.warning("API_TOKEN is not set: the customer API answers 401 api_disabled")

    @app.task  # type: ignore[untyped-decorator]
    async def mark_up() -> None:
        metrics.up.set(1)
        freeze_startup_heap()
        try:
            await gateway.load_scripts()  # else the first batch loads them (NOSCRIPT)
        except Exception:
            log.warning("could not preload the Redis scripts yet", exc_info=True)

    return app


def _follow_rules(app: App, live: LiveRules, metrics: Metrics, interval_s: float) -> None:
    """Re-read the rules file every ``interval_s`` (never with 0); count what happened."""
    metrics.rules_info.labels(live.rules.version).set(1)
    if interval_s <= 0:
        return

    async def reload_rules() -> None:
        check_rules(live, metrics)

    app.timer(interval_s, on_leader=False)(reload_rules)


def check_rules(live: LiveRules, metrics: Metrics) -> None:
    """Re-read the rules file once, applying a new valid version, and count what happened."""
    shown, rejected = live.rules.version, live.rejected
    if live.check():
        metrics.rules_info.remove(shown)
        metrics.rules_info.labels(live.rules.version).set(1)
        metrics.rules_reloads.labels("applied").inc()
    elif live.rejected > rejected:
        metrics.rules_reloads.labels("rejected").inc()


def _trim_memory(app: App, interval_s: float) -> None:
    """Every ``interval_s``, glibc's malloc_trim in a thread (it can take 100 ms)."""
    trim = malloc_trim()
    if interval_s <= 0 or trim is None:
        return

    async def trim_memory() -> None:
        await asyncio.to_thread(trim)

    app.timer(interval_s, on_leader=False)(trim_memory)


def _add_ingest_agent(
    app: App, topic_names: tuple[str, ...], pipeline: IngestPipeline, settings: Settings
) -> None:
    topic = app.topic(
        *topic_names,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    window = BatchWindow(
        full_s=settings.batch_window_ms / 1000,
        short_s=min(settings.batch_window_keeping_up_ms, settings.batch_window_ms) / 1000,
        small_records=max(1, settings.batch_max_records // 10),
    )

    async def ingest(stream: StreamT[Any]) -> AsyncIterator[None]:
        async for batch in take_batches(
            cast(Stream[Any], stream), settings.batch_max_records, window.seconds
        ):
            window.took(len(batch))
            try:
                await pipeline.process_until_done([_input_record(event) for event in batch])
            except ShutdownRequested:
                held = withhold(app.consumer, topic_names)  # the batch and what came after it
                log.warning("stopping: %d input records left for the next owner", held)
                return
            yield None

    app.agent(topic, name="ingest")(ingest)


def _add_timer(app: App, timers: TimerFiring, settings: Settings) -> None:
    inputs = set(settings.topics.inputs)

    async def fire_due_timers() -> None:
        assignment = app.consumer.assignment() if app.consumer else set()
        partitions = sorted((tp.topic, tp.partition) for tp in assignment if tp.topic in inputs)
        if not partitions:
            return
        try:
            await timers.fire_due(partitions)
        except Exception:  # the timers stay armed; the next tick retries them
            log.exception("firing due timers failed")

    app.timer(settings.timer_interval_ms / 1000, on_leader=False)(fire_due_timers)


def _input_record(event: EventT[Any]) -> InputRecord:
    message = event.message
    return InputRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
    )
