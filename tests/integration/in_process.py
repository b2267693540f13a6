"""The worker's pipeline in this process, on a real Redis, without Kafka or faust.

Builds what ``streams.app`` builds (gateway, context store, engine, ingest,
timer firing) and records what the engine emits, so the Redis stores and the
engine are tested directly and fast. Redis commands are counted per round trip
at the connection, independently of the gateway's own count.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from redis.asyncio.connection import Connection, SSLConnection

from config import TopicNames
from models.offers.rules import OfferRules
from models.offers.rules_file import DEFAULT_RULES_PATH, load_rules
from models.parsing import EventParser
from streams.metrics import Metrics
from streams.pipeline.engine import OfferEngine
from streams.pipeline.ingest import IngestPipeline, InputRecord
from streams.pipeline.timers import TimerFiring
from streams.redis.client import redis_client
from streams.redis.contexts import RedisContextStore
from streams.redis.erasures import ErasureMemory
from streams.redis.gateway import RedisGateway
from streams.redis.privacy import erase
from streams.redis.signals import SignalReader

TEST_ERASURE_SALT = "in-process-test-salt"


class CountingConnection(Connection):
    """Counts the writes to the socket: one per command, or per pipeline."""

    sends = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sends += 1
        await super().send_packed_command(command, check_health)


class CountingSSLConnection(SSLConnection):
    """The same count over TLS (``rediss://``): since redis-py 8.2 a ``connection_class``
    passed to ``from_url`` replaces the TLS class the scheme asks for."""

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sends += 1
        await super().send_packed_command(command, check_health)


def counting_connection(redis_url: str) -> type[Connection]:
    tls = redis_url.lower().startswith(("rediss://", "rediss+cluster://"))
    return CountingSSLConnection if tls else CountingConnection


@dataclass
class Emitted:
    topic: str
    key: bytes | None
    value: dict[str, Any]


@dataclass
class InProcessPipeline:
    redis_url: str
    rules: OfferRules
    wall_ms: int
    history_max: int = 50
    grace_ms: int = 0
    namespace: str = field(default_factory=lambda: f"p{uuid.uuid4().hex[:8]}")
    emitted: list[Emitted] = field(default_factory=list)
    deadletters: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.redis = redis_client(
            self.redis_url, connection_class=counting_connection(self.redis_url)
        )
        self.gateway = RedisGateway(self.redis)
        self.metrics = Metrics()
        self.topics = TopicNames(
            **{name: f"{self.namespace}.{value}" for name, value in asdict(TopicNames()).items()}
        )
        self.store = RedisContextStore(
            self.gateway,
            dedupe_ttl_s=86_400,
            dedupe_max_ids=2000,
            caps=self.rules.caps,
            erasures=ErasureMemory(TEST_ERASURE_SALT, 86_400),
            erase=lambda identity, at_ms: erase(self.store, identity, at_ms),
            decisions_max=self.history_max,
        )
        self.engine = OfferEngine(
            self.rules,
            self.store,
            SignalReader(self.gateway, self.rules),
            self._emit,
            self.metrics,
            self.topics,
            wall_clock=lambda: self.wall_ms,
            history_max=self.history_max,
            grace_ms=self.grace_ms,
        )
        self.timers = TimerFiring(self.engine, self.metrics)
        self.ingest = IngestPipeline(
            EventParser(max_future=timedelta(days=1)),
            self.store,
            self.metrics,
            self._deadletter,
            planner=self.engine,
            after_batch=self.engine.after_batch,
        )

    @classmethod
    def create(
        cls, redis_url: str, rules_path: Path | None = None, **kwargs: Any
    ) -> InProcessPipeline:
        return cls(redis_url, load_rules(rules_path or DEFAULT_RULES_PATH), **kwargs)

    async def _emit(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[None]:
        self.emitted.append(Emitted(topic, key, orjson.loads(value)))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def _deadletter(self, key: bytes | None, value: bytes) -> None:
        self.deadletters.append(orjson.loads(value))

    @property
    def input_topic(self) -> str:
        return self.topics.clickstream

    async def process(self, events: list[dict[str, Any]], partition: int = 0) -> None:
        records = [
            InputRecord(self.input_topic, partition, offset, None, orjson.dumps(event))
            for offset, event in enumerate(events)
        ]
        await self.ingest.process_until_done(records)

    async def fire_due(self, partition: int = 0) -> int:
        return await self.timers.fire_due([(self.input_topic, partition)])

    def of_type(self, topic: str) -> list[dict[str, Any]]:
        return [e.value for e in self.emitted if e.topic == topic]

    async def round_trips(self, step: Awaitable[Any]) -> int:
        """Socket writes to Redis while ``step`` runs."""
        await self.redis.ping()  # connect first: the handshake is not the step's
        before = CountingConnection.sends
        await step
        return CountingConnection.sends - before

    async def close(self) -> None:
        await self.redis.aclose()


def event(
    kind: str | None,
    at: datetime,
    *,
    user: str | None = None,
    anonymous: str | None = None,
    call: str = "track",
    channel: str = "web",
    **properties: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "type": call,
        "timestamp": at.astimezone(UTC).isoformat(),
        "context": {"channel": channel},
        "properties": properties,
    }
    if kind is not None:
        document["event"] = kind
    if user is not None:
        document["userId"] = user
    if anonymous is not None:
        document["anonymousId"] = anonymous
    return document


def till_order(
    user: str | None, store: str, at: datetime, products: list[dict[str, Any]]
) -> dict[str, Any]:
    """A till sale at ``store``, with a loyalty id unless ``user`` is None."""
    return event(
        "Order Completed",
        at,
        user=user,
        channel="store",
        order_id=f"till-{uuid.uuid4().hex[:8]}",
        total=round(sum(p.get("price", 0.0) for p in products), 2),
        store_id=store,
        products=products,
    )


def run_in_process(
    redis_url: str,
    scenario: Callable[[InProcessPipeline], Awaitable[None]],
    **kwargs: Any,
) -> InProcessPipeline:
    """Run ``scenario`` on a fresh pipeline, in one event loop (the Redis client's)."""

    async def main() -> InProcessPipeline:
        pipeline = InProcessPipeline.create(redis_url, **kwargs)
        try:
            await pipeline.gateway.load_scripts()
            await scenario(pipeline)
        finally:
            await pipeline.close()
        return pipeline

    return asyncio.run(main())


async def round_trips_of(pipeline: InProcessPipeline, step: Awaitable[Any]) -> int:
    """Socket writes while ``step`` runs; the gateway's own count must agree."""
    trips_before = pipeline.gateway.round_trips
    sends = await pipeline.round_trips(step)
    assert pipeline.gateway.round_trips - trips_before == sends
    return sends
