"""The API server: ``python -m streams.api_server``. The touchpoint HTTP API alone, in a
process of its own, configured by the worker's env vars.

Every worker serves the API too, but on the event loop that processes the stream:
each request takes CPU from the batches, and a request that arrives during a batch's
synchronous work waits for it (the bench's steady phase, 1,000 events/s and 200
requests/s: API p99 21.6-26.9 ms from a worker, 13.9-17.2 ms from an API server; on
a VM where the worker's one core was the bottleneck, the triggers waited too).
Touchpoints that call the API at volume are better served by API servers, scaled
apart from the workers: the context lives in Redis, so any process answers for any
customer.

What differs from a worker's API: ``/ready`` asks only for Redis (no partitions);
``/metrics`` has this process's request metrics, and no lag or pending timers (the
workers report those); the console stays on the workers. The rules file is followed
as the workers follow it, so ``/next-best-offer`` judges by the same version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable

from aiohttp import web

from config import ConfigError, Settings
from models.offers.rules_file import DEFAULT_RULES_PATH, RulesError
from streams import log_levels
from streams.app import check_rules
from streams.heap_freeze import freeze_startup_heap
from streams.metrics import Metrics
from streams.pipeline.live_rules import LiveRules
from streams.redis.client import redis_client
from streams.redis.gateway import RedisGateway
from streams.redis.signals import WARM_INTERVAL_S, SignalReader
from streams.stores import context_store
from streams.web.api import api_application
from streams.web.dependencies import ApiDeps
from streams.web.guarded_site import GuardedSite
from streams.web.server import ServerLimits

log = logging.getLogger(__name__)


def api_deps(settings: Settings, metrics: Metrics) -> tuple[ApiDeps, LiveRules]:
    """What the handlers read from, built as the worker builds its own."""
    gateway = RedisGateway(
        redis_client(settings.redis_url, socket_timeout=10, health_check_interval=30)
    )
    live_rules = LiveRules(settings.offer_rules_path or DEFAULT_RULES_PATH)
    rules = live_rules.rules
    store = context_store(settings, gateway, rules.caps)
    signals = SignalReader(gateway, rules)
    deps = ApiDeps.configured(settings, store, signals, live_rules, metrics, needs_partitions=False)
    return deps, live_rules


async def serve(settings: Settings, stopping: asyncio.Event) -> None:
    """Serve until ``stopping`` is set, then close the listener and the Redis pool."""
    metrics = Metrics()
    deps, live_rules = api_deps(settings, metrics)
    metrics.rules_info.labels(live_rules.rules.version).set(1)
    limits = ServerLimits.from_settings(settings)
    # No access log, as the worker's: a request line holds the customer id.
    runner = web.AppRunner(
        api_application(deps), access_log=None, keepalive_timeout=limits.keepalive_timeout_s
    )
    await runner.setup()
    # The trend window is read before the first request can ask for it, and kept warm.
    await deps.signals.warm(deps.now_ms())
    warming = asyncio.create_task(_keep_trends_warm(deps.signals, deps.now_ms, stopping))
    site = GuardedSite(runner, settings.web_host, settings.web_port, limits.connections)
    await site.start()
    log.info("API server listening on %s", site.name)
    freeze_startup_heap()
    try:
        await _follow_rules(live_rules, metrics, settings.rules_reload_interval_s, stopping)
    finally:
        warming.cancel()
        await runner.cleanup()
        await deps.store.gateway.redis.aclose()


async def _keep_trends_warm(
    signals: SignalReader, now_ms: Callable[[], int], stopping: asyncio.Event
) -> None:
    while not stopping.is_set():
        await signals.warm(now_ms())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), WARM_INTERVAL_S)


async def _follow_rules(
    live: LiveRules, metrics: Metrics, interval_s: float, stopping: asyncio.Event
) -> None:
    while not stopping.is_set():
        try:
            await asyncio.wait_for(stopping.wait(), interval_s if interval_s > 0 else None)
        except TimeoutError:
            check_rules(live, metrics)


async def _main(settings: Settings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await serve(settings, stopping)


def main() -> int:
    try:
        settings = Settings.from_env()
        settings.require_erasure_salt()  # DELETE /customers/{id} remembers erasures
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    log_levels.configure(settings)
    if not settings.api_token:
        log.warning("API_TOKEN is not set: the customer API answers 401 api_disabled")
    try:
        asyncio.run(_main(settings))
    except RulesError as exc:
        print(f"offer rules error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
