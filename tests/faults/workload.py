"""The faults suite's workload and its oracle: what every customer must end with.

Each customer sends a consent (email), three product views in one Segment batch
record, a basket add and one order (a till sale for half of them, online for the
others): six events, one order of a known total and, by the shipped rules, one
cross-sell trigger whose id is known in advance (it hashes the customer and the
order id). The consents go first and are waited for, so every order finds its
customer's consent whatever the fault; the rest is published at a steady rate
while the fault happens.

A :class:`Tally` compares Redis and the trigger topic with the oracle:

- ``lost``: events, orders and expected triggers missing;
- ``double_counted``: events and orders counted more than once;
- ``duplicate_ids``: trigger ids beyond the oracle's one per customer (a customer
  contacted twice, or for something that did not happen);
- ``resent``: records repeating a trigger id already delivered. At-least-once
  allows them (a crash between Kafka's ack and the "sent" mark re-sends the same
  id, which downstream recognises), so they are reported, not forbidden.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import redis
from kafka import KafkaProducer

from models.context.stored import unpack
from models.identity import Identity
from models.offers.decision import trigger_id
from models.offers.rules import TriggerType
from streams.redis.keys import PersonKeys
from tests.integration.harness import WorkerProcess, produce, wait_until
from tests.integration.in_process import event
from tests.integration.offer_scenarios import read_topic

EVENTS_PER_CUSTOMER = 6
SHOES = {"product_id": "SHO-001", "category": "shoes", "name": "Trail runner", "price": 90.0}
Record = tuple[str, bytes, bytes]


@dataclass(frozen=True)
class Expected:
    user: str
    order_id: str
    total: float

    @property
    def trigger_id(self) -> str:
        return trigger_id(
            Identity.user(self.user), TriggerType.CROSS_SELL, f"order:{self.order_id}"
        )


@dataclass
class Workload:
    worker: WorkerProcess
    customers: int = 60
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    expected: list[Expected] = field(default_factory=list)
    consents: list[Record] = field(default_factory=list)
    stream: list[Record] = field(default_factory=list)

    def __post_init__(self) -> None:
        topics = self.worker.topics
        now = datetime.now(UTC) - timedelta(seconds=30)
        for i in range(self.customers):
            user = f"fault-{self.run}-{i:03d}"
            at = now + timedelta(milliseconds=10 * i)
            till = i % 2 == 0
            order = Expected(user, f"o-{self.run}-{i}", round(20.0 + i, 2))
            self.expected.append(order)
            key = user.encode()
            self.consents.append(
                (topics.clickstream, key, _event(user, at, "Consent Updated", email=True))
            )
            views = [
                orjson.loads(_event(user, at + timedelta(seconds=1), "Product Viewed", **SHOES))
                for _ in range(3)
            ]
            self.stream.append((topics.clickstream, key, orjson.dumps({"batch": views})))
            added = at + timedelta(seconds=2)
            self.stream.append((topics.basket, key, _event(user, added, "Product Added", **SHOES)))
            self.stream.append(
                (
                    topics.store_checkouts if till else topics.basket,
                    key,
                    _event(
                        user,
                        at + timedelta(seconds=3),
                        "Order Completed",
                        channel="store" if till else "web",
                        order_id=order.order_id,
                        total=order.total,
                        currency="EUR",
                        products=[{**SHOES, "price": order.total}],
                        **({"store_id": "store-001"} if till else {}),
                    ),
                )
            )

    def send_consents(self, applied: Callable[[], float]) -> None:
        """Publish the consents and wait until they are in the contexts (``applied``:
        events applied so far), so every order's decision finds its customer's consent."""
        produce(self.worker.services.kafka_broker, self.consents)
        wait_until(lambda: applied() >= len(self.consents), timeout_s=60, what="consents")

    def start_stream(self, rate_per_s: float = 60.0) -> threading.Thread:
        """Publish the rest at a steady rate, in the background (pacing, not waiting)."""

        def publish() -> None:
            producer = KafkaProducer(
                bootstrap_servers=self.worker.services.kafka_broker, acks="all", linger_ms=0
            )
            try:
                for topic, key, value in self.stream:
                    producer.send(topic, key=key, value=value)
                    time.sleep(1 / rate_per_s)
                producer.flush(timeout=30)
            finally:
                producer.close()

        thread = threading.Thread(target=publish, name="fault-stream", daemon=True)
        thread.start()
        return thread

    def tally(self, redis_url: str) -> Tally:
        client = redis.Redis.from_url(redis_url)
        reads = client.pipeline(transaction=False)
        for order in self.expected:
            reads.hget(PersonKeys.of(Identity.user(order.user)).context, "doc")
        tally = Tally()
        for order, raw in zip(self.expected, reads.execute(), strict=True):
            doc: dict[str, Any] = orjson.loads(unpack(raw)) if raw else {}
            events, orders = doc.get("events_total", 0), doc.get("orders_count", 0)
            spent, want = doc.get("total_spent_cents", 0), round(order.total * 100)
            # Events and orders counted; a wrong total with the right count is one order off.
            tally.lost += max(EVENTS_PER_CUSTOMER - events, 0) + max(1 - orders, 0)
            tally.double_counted += max(events - EVENTS_PER_CUSTOMER, 0) + max(orders - 1, 0)
            if orders == 1:
                tally.lost += spent < want
                tally.double_counted += spent > want
            if (events, orders, spent) != (EVENTS_PER_CUSTOMER, 1, want):
                tally.off.append(f"{order.user}: {events} events, {orders} orders, {spent} cents")
        client.close()
        delivered = Counter(
            t["trigger_id"]
            for t in read_topic(self.worker.services.kafka_broker, self.worker.topics.cross_sell)
        )
        expected_ids = {order.trigger_id for order in self.expected}
        missing = expected_ids - set(delivered)
        tally.lost += len(missing)
        tally.off += [f"{o.user}: no trigger" for o in self.expected if o.trigger_id in missing]
        tally.duplicate_ids = len(set(delivered) - expected_ids)
        tally.resent = sum(count - 1 for count in delivered.values())
        return tally


@dataclass
class Tally:
    lost: int = 0
    double_counted: int = 0
    duplicate_ids: int = 0
    resent: int = 0
    # What differs from the oracle, customer by customer.
    off: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.lost == 0


def settle(workload: Workload, redis_url: str, since: float, timeout_s: float = 90.0) -> Outcome:
    """Wait until nothing is missing (or time runs out): the last tally, and the time
    from ``since`` (monotonic: when the fault ended) to then."""
    tallies: list[Tally] = []

    def done() -> bool:
        tallies.append(workload.tally(redis_url))
        return tallies[-1].complete

    with contextlib.suppress(AssertionError):  # the figures say what is missing
        wait_until(done, timeout_s=timeout_s, interval_s=0.5, what="the oracle")
    return Outcome(tallies[-1], time.monotonic() - since, EVENTS_PER_CUSTOMER * workload.customers)


@dataclass(frozen=True)
class Outcome:
    tally: Tally
    recovery_s: float
    events: int

    def figure(self, name: str, extra: str = "") -> str:
        t = self.tally
        return (
            f"faults/{name}: {self.events} events, lost {t.lost}, double-counted "
            f"{t.double_counted}, duplicate trigger ids {t.duplicate_ids}, re-sent trigger "
            f"records {t.resent}, recovery {self.recovery_s:.1f} s{extra}"
        )


def _event(user: str, at: datetime, name: str, /, channel: str = "web", **properties: Any) -> bytes:
    return orjson.dumps(event(name, at, user=user, channel=channel, **properties))
