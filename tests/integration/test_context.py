"""The customer context end to end: real broker, real Redis, a real worker process."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from models.context.stored import unpack
from models.identity import Identity, IdentityKind
from streams.redis.keys import PersonKeys
from tests.integration.harness import TOKEN, WorkerProcess, call, produce, wait_until

pytestmark = pytest.mark.integration

START = datetime.now(UTC) - timedelta(hours=2)


@pytest.fixture(params=["server", "cluster"])
def worker(
    request: pytest.FixtureRequest, make_worker: Callable[..., WorkerProcess]
) -> WorkerProcess:
    """Each test runs on one Redis server and on a 3-master Redis Cluster."""
    extra = {}
    if request.param == "cluster":
        extra["REDIS_URL"] = request.getfixturevalue("redis_cluster_url")
    process = make_worker(extra_env=extra)
    process.create_topics()
    return process.start()


class Journey:
    """Builds one person's events with unique ids and increasing event times."""

    def __init__(self, run: str | None = None) -> None:
        self.run = run or uuid.uuid4().hex[:8]
        self.user, self.visitor = f"loyalty-{self.run}", f"anon-{self.run}"
        self.clock = START
        self.events: list[tuple[str, dict[str, Any]]] = []

    def add(self, topic: str, event: str | None, channel: str, **fields: Any) -> None:
        self.clock += timedelta(minutes=1)
        document: dict[str, Any] = {
            "messageId": str(uuid.uuid4()),
            "type": fields.pop("call", "track"),
            "timestamp": self.clock.isoformat(),
            "context": {"channel": channel},
            **fields,
        }
        if event is not None:
            document["event"] = event
        self.events.append((topic, document))

    def records(self, worker: WorkerProcess) -> list[tuple[str, bytes | None, bytes]]:
        return [
            (
                getattr(worker.topics, topic),
                (event.get("userId") or event.get("anonymousId") or "").encode() or None,
                orjson.dumps(event),
            )
            for topic, event in self.events
        ]


SHOES = {"product_id": "sku-1", "category": "shoes", "price": 80.0}
SOCKS = {"product_id": "sku-3", "category": "socks", "price": 10.0, "quantity": 2}
BAG = {"product_id": "sku-4", "category": "bags", "price": 30.0}


def _omnichannel_journey(run: str | None = None) -> Journey:
    j = Journey(run)
    for _ in range(3):
        j.add("clickstream", "Product Viewed", "web", anonymousId=j.visitor, properties=SHOES)
    j.add("clickstream", None, "web", call="page", anonymousId=j.visitor, properties={"url": "/"})
    j.add("clickstream", None, "web", call="identify", userId=j.user, anonymousId=j.visitor)
    j.add("clickstream", "Consent Updated", "web", userId=j.user, properties={"email": True})
    j.add("basket", "Product Added", "mobile", userId=j.user, properties=SHOES)
    j.add("basket", "Product Added", "mobile", userId=j.user, properties=SOCKS)
    j.add(
        "store_checkouts",
        "Order Completed",
        "store",
        userId=j.user,
        properties={
            "order_id": f"o1-{j.user}",
            "total": 100.0,
            "currency": "EUR",
            "store_id": "store-1",
            "products": [SHOES, SOCKS],
        },
    )
    j.add(
        "store_checkouts",
        "Order Completed",
        "store",
        userId=j.user,
        properties={
            "order_id": f"o2-{j.user}",
            "total": 30.0,
            "currency": "EUR",
            "store_id": "store-2",
            "products": [BAG],
        },
    )
    return j


def _document(worker: WorkerProcess, user: str) -> dict[str, Any] | None:
    raw = worker.redis().hget(PersonKeys.of(Identity(IdentityKind.USER, user)).context, "doc")
    return None if raw is None else orjson.loads(unpack(raw))


def test_scripted_omnichannel_journey_builds_the_exact_context(
    worker: WorkerProcess, make_worker: Callable[..., WorkerProcess]
) -> None:
    journey = _omnichannel_journey()
    records = journey.records(worker)
    client = worker.redis()
    stages = [(0, 4), (4, 6), (6, 8), (8, 9), (9, 10)]
    for first, last in stages:
        produce(worker.services.kafka_broker, records[first:last])
        worker.wait_processed(last, what=f"records up to {last} processed")

    doc = wait_until(lambda: _document(worker, journey.user), what="customer context")
    from models.context import CustomerContext, to_document

    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    view = to_document(CustomerContext.from_json(orjson.dumps(doc)), now_ms)
    assert view["userId"] == journey.user
    assert view["anonymousIds"] == [journey.visitor]
    assert view["orders_count"] == 2
    assert view["total_spent"] == 130.0
    assert view["avg_order_value"] == 65.0
    assert (view["store_orders"], view["online_orders"]) == (2, 0)
    assert view["last_order_channel"] == "store"
    assert view["preferred_store"] == "store-2"  # one order each: the most recent wins
    assert view["lifecycle_stage"] == "repeat_customer"
    assert view["basket"]["items"] == []
    shoes = next(p for p in view["recent_products"] if p["product_id"] == "sku-1")
    assert shoes["views"] == 3  # viewed anonymously, merged on identify
    assert view["consent"] == {"email": True, "sms": False, "push": False, "ads": False}
    assert view["events_by_channel"] == {"web": 6, "mobile": 2, "store": 2}
    # the visitor's own context is gone; only the alias remains
    visitor_key = PersonKeys.of(Identity(IdentityKind.ANONYMOUS, journey.visitor)).context
    assert client.hgetall(visitor_key) == {b"moved_to": journey.user.encode()}
    # The API server reads the same context, through the alias, in its round trips.
    api_env = {**worker.extra_env, "API_TOKEN": TOKEN}
    api = make_worker(namespace=worker.namespace, extra_env=api_env, module="streams.api_server")
    api.start()
    status, by_visitor = call(api, f"/customers/{journey.visitor}/context")
    assert (status, by_visitor["userId"], by_visitor["total_spent"]) == (200, journey.user, 130.0)
    status, offer = call(api, f"/customers/{journey.user}/next-best-offer")
    assert (status, offer["reserved"]) == (200, False)


def _order_independent(view: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "orders_count",
        "total_spent",
        "store_orders",
        "online_orders",
        "first_seen",
        "last_seen",
        "events_by_type",
        "events_by_channel",
        "consent",
        "preferred_store",
    )
    return {key: view.get(key) for key in keys}


def test_replay_is_byte_identical_and_shuffled_delivery_gives_the_same_facts(
    worker: WorkerProcess,
) -> None:
    in_order = _omnichannel_journey()
    produce(worker.services.kafka_broker, in_order.records(worker))
    n = len(in_order.events)
    wait_until(lambda: worker.metric_sum("omni_events_applied_total") >= n, what="first run")
    client = worker.redis()
    # Contexts, dedupe sets and identity links: what a replay must leave untouched.
    # (Timers may be re-armed by a replay: decisions are retaken on redelivery, and
    # the trigger_id guard keeps them from being sent twice.)
    keys = sorted(k for p in ("ctx:*", "seen:*", "links:*") for k in client.scan_iter(p))
    before = {key: client.dump(key) for key in keys}

    produce(worker.services.kafka_broker, in_order.records(worker))
    worker.wait_processed(2 * n, what="replay")
    assert worker.metric_sum("omni_events_duplicate_total") == n
    assert {key: client.dump(key) for key in keys} == before

    shuffled = _omnichannel_journey()
    records = shuffled.records(worker)
    random.Random(7).shuffle(records)
    produce(worker.services.kafka_broker, records)
    worker.wait_processed(3 * n, what="shuffled run")
    from models.context import CustomerContext, to_document

    def view(user: str) -> dict[str, Any]:
        doc = wait_until(lambda: _document(worker, user))
        return to_document(CustomerContext.from_json(orjson.dumps(doc)), 0)

    wait_until(lambda: (_document(worker, shuffled.user) or {}).get("events_total") == n)
    first, second = view(in_order.user), view(shuffled.user)
    # both journeys start at START, so even their times compare directly
    assert _order_independent(first) == _order_independent(second)


def _keys_naming(worker: WorkerProcess, *ids: str) -> list[bytes]:
    """Keys whose name or content holds one of the ids, or its unsalted pseudonym."""
    client = worker.redis()
    names = [i.encode() for i in ids]
    names += [Identity(kind, i).pseudonym.encode() for i in ids for kind in IdentityKind]
    found = []
    for key in client.scan_iter("*", count=1000):
        kind = client.type(key)
        if kind == b"hash":
            values = [b"".join(pair) for pair in client.hgetall(key).items()]
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"string":
            values = [client.get(key) or b""]
        else:
            values = [client.dump(key) or b""]
        if any(name in key or any(name in value for value in values) for name in names):
            found.append(key)
    return found


def _erase(worker: WorkerProcess, journey: Journey) -> None:
    erasures = worker.metric_sum("omni_erasures_total")
    journey.add("clickstream", "Erasure Requested", "web", userId=journey.user)
    produce(worker.services.kafka_broker, journey.records(worker)[-1:])
    wait_until(lambda: worker.metric_sum("omni_erasures_total") == erasures + 1, what="erasure")


def test_erasure_leaves_no_key_or_value_naming_the_person(worker: WorkerProcess) -> None:
    journey = _omnichannel_journey()
    produce(worker.services.kafka_broker, journey.records(worker))
    n = len(journey.events)
    wait_until(lambda: (_document(worker, journey.user) or {}).get("events_total") == n)
    _erase(worker, journey)
    # Pending timers (the basket's, not yet due) included: their members went too.
    assert _keys_naming(worker, journey.user, journey.visitor) == []


def test_events_queued_before_an_erasure_never_bring_the_person_back(
    worker: WorkerProcess,
) -> None:
    journey = _omnichannel_journey()
    produce(worker.services.kafka_broker, journey.records(worker))
    n = len(journey.events)
    wait_until(lambda: (_document(worker, journey.user) or {}).get("events_total") == n)
    _erase(worker, journey)

    # Events from before the erasure, still in the topics when it ran.
    queued = _omnichannel_journey(journey.run)  # same people, same (past) times
    dropped = worker.metric_sum("omni_events_dropped_total")
    consumed = worker.metric_sum("omni_records_consumed_total")
    produce(worker.services.kafka_broker, queued.records(worker))
    worker.wait_processed(consumed + len(queued.events), what="queued events processed")
    assert worker.metric_sum("omni_events_dropped_total") == dropped + len(queued.events)
    assert _keys_naming(worker, journey.user, journey.visitor) == []

    # After the erasure: a new person under the same id.
    journey.clock = datetime.now(UTC)
    journey.add("clickstream", None, "web", call="page", userId=journey.user, properties={})
    produce(worker.services.kafka_broker, journey.records(worker)[-1:])
    fresh = wait_until(lambda: _document(worker, journey.user), what="a fresh context")
    assert (fresh["events_total"], fresh.get("orders_count", 0)) == (1, 0)
