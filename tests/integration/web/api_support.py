"""The API served in process (no faust, no broker, no worker) over the session's Redis.

Each scenario runs in its own event loop (``asyncio.run``) with its own Redis
client, so nothing crosses loops between tests. Customers are written through the
real store from events built by the real parser, as the ingest pipeline writes them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer
from faust.types import TP
from redis.asyncio import Redis

from models.offers.rules_file import DEFAULT_RULES_PATH, load_rules
from models.parsing import EventParser
from streams.metrics import Metrics
from streams.redis.contexts import RedisContextStore
from streams.redis.erasures import ErasureMemory
from streams.redis.gateway import RedisGateway
from streams.redis.signals import SignalReader, queue_observe
from streams.web.api import api_application
from streams.web.dependencies import ApiDeps

TOKEN = "in-process-token-not-a-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INPUT_TOPICS = frozenset({"clickstream", "basket", "store-checkouts", "inventory"})
RULES = load_rules(DEFAULT_RULES_PATH)
PARSER = EventParser()

T = TypeVar("T")
Scenario = Callable[[TestClient, ApiDeps], Awaitable[T]]


@dataclass
class FakeConsumer:
    """What the API asks faust's consumer: its partitions, their high watermarks and
    committed offsets."""

    highwaters: dict[TP, int]
    _committed_offset: dict[TP, int] = field(default_factory=dict)  # faust's attribute name

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int:
        return self.highwaters[tp]


def serve(
    redis_url: str,
    scenario: Scenario[T],
    *,
    token: str = TOKEN,
    consumer: FakeConsumer | None = None,
    input_topics: frozenset[str] = INPUT_TOPICS,
    processed: dict[tuple[str, int], int] | None = None,
) -> T:
    """Run ``scenario`` against the API wired to ``redis_url``."""

    async def run() -> T:
        redis = Redis.from_url(redis_url)
        gateway = RedisGateway(redis)
        deps = ApiDeps(
            store=RedisContextStore(
                gateway,
                dedupe_ttl_s=3600,
                dedupe_max_ids=1000,
                erasures=ErasureMemory("api-test-erasure-salt", 3600),
            ),
            signals=SignalReader(gateway, RULES),
            rules=RULES,
            metrics=Metrics(),
            token=token,
            input_topics=input_topics,
            consumer=lambda: consumer,
            processed=processed or {},
        )
        try:
            # No access log, as faust's runner: a logged request line holds the customer id.
            server = TestServer(api_application(deps))
            await server.start_server(access_log=None)
            async with TestClient(server) as client:
                return await scenario(client, deps)
        finally:
            await redis.aclose()

    return asyncio.run(run())


async def raw_get(client: TestClient, path: str, header: bytes) -> tuple[int, bytes]:
    """GET with one header sent as raw bytes (aiohttp's client drops what is not UTF-8)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    request = f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n".encode()
    writer.write(request + header + b"\r\n\r\n")
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Shopper:
    """A visitor who browses anonymously, then identifies; events via the real parser."""

    def __init__(self) -> None:
        self.user, self.anonymous = unique("loyalty"), unique("anon")
        self.clock = datetime.now(UTC) - timedelta(hours=1)
        self.events: list[Any] = []

    def track(
        self, event: str, /, *, anonymous: bool = False, channel: str = "web", **properties: Any
    ) -> Shopper:
        fields = {"type": "track", "event": event, "properties": properties}
        return self._add(fields, anonymous, channel)

    def identify(self) -> Shopper:
        return self._add({"type": "identify", "anonymousId": self.anonymous}, False, "web")

    def _add(self, fields: dict[str, Any], anonymous: bool, channel: str) -> Shopper:
        self.clock += timedelta(minutes=1)
        who = {"anonymousId": self.anonymous} if anonymous else {"userId": self.user}
        document = {
            "messageId": unique("msg"),
            "timestamp": self.clock.isoformat(),
            "context": {"channel": channel},
            **who,
            **fields,
        }
        self.events.append(PARSER.parse_event(document, datetime.now(UTC)))
        return self

    async def write(self, deps: ApiDeps) -> None:
        """As the ingest pipeline does: into the contexts, then into stock and trends."""
        await deps.store.apply(self.events)
        trip = deps.store.gateway.round_trip()
        queue_observe(trip, self.events, RULES.trend_window_ms)
        await trip.send()
