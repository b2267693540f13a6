"""Building blocks for the offer-engine scenarios: test rules, events, trigger reading."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from models.identity import Identity
from models.offers.holdout import Group, Holdout, group_of
from models.offers.rules import TriggerType
from models.offers.rules_file import DEFAULT_RULES_PATH, load_rules
from tests.integration.harness import WorkerProcess, produce

BASKET_DELAY_S = 4
BROWSE_DELAY_S = 4


def rules_for_tests(directory: Path) -> Path:
    """The shipped rules with test-sized delays and no quiet hours (tests run at any hour)."""
    text = DEFAULT_RULES_PATH.read_text()
    text = text.replace('delay = "30m"', f'delay = "{BASKET_DELAY_S}s"', 1)
    text = text.replace('delay = "1h"', f'delay = "{BROWSE_DELAY_S}s"', 1)
    text = text.replace('channels = ["sms", "push"]      # channels affected', "channels = []  #")
    path = directory / f"offers-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(text)
    rules = load_rules(path)
    basket = rules.triggers[TriggerType.ABANDONED_BASKET]
    browse = rules.triggers[TriggerType.BROWSE_ABANDONMENT]
    assert (basket.delay_ms, browse.delay_ms) == (BASKET_DELAY_S * 1000, BROWSE_DELAY_S * 1000)
    assert rules.quiet_hours.channels == (), "config/offers.toml changed shape"
    return path


def rules_with_holdout(
    directory: Path, percent: int = 50, kind: TriggerType = TriggerType.CROSS_SELL
) -> Path:
    """The test rules, with ``percent`` of the people held out of ``kind``."""
    path = rules_for_tests(directory)
    head, marker, tail = path.read_text().partition(f"[triggers.{kind.value}]\n")
    assert marker and "holdout = 0 " in tail, "config/offers.toml changed shape"
    path.write_text(head + marker + tail.replace("holdout = 0 ", f"holdout = {percent} ", 1))
    assert load_rules(path).triggers[kind].holdout.basis_points == percent * 100
    return path


def customer_in_group(worker: WorkerProcess, group: Group, holdout: Holdout) -> Customer:
    """A fresh customer whose cross-sell group, as the worker computes it, is ``group``."""
    while True:
        user = f"cust-{uuid.uuid4().hex[:10]}"
        if group_of(Identity.user(user), TriggerType.CROSS_SELL.value, holdout) is group:
            return Customer(worker, user=user)


SHOES = {"product_id": "SHO-001", "category": "shoes", "name": "Trail runner", "price": 90.0}
SOCKS = {"product_id": "SOC-001", "category": "socks", "name": "Wool socks", "price": 12.0}
JACKET = {"product_id": "JAC-001", "category": "jackets", "name": "Rain jacket", "price": 150.0}


@dataclass
class Customer:
    """One test customer; every event gets a fresh messageId and an explicit event time."""

    worker: WorkerProcess
    user: str = field(default_factory=lambda: f"cust-{uuid.uuid4().hex[:10]}")
    anonymous: str = field(default_factory=lambda: f"anon-{uuid.uuid4().hex[:10]}")
    sent: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)

    def event(
        self,
        topic: str,
        event_name: str | None,
        /,
        *,
        channel: str = "web",
        at: datetime | None = None,
        anonymous: bool = False,
        key: bytes | None = None,
        call: str = "track",
        **properties: Any,
    ) -> dict[str, Any]:
        document = _document(event_name, call, channel, at, properties)
        if anonymous:
            document["anonymousId"] = self.anonymous
        else:
            document["userId"] = self.user
        record_key = (
            key if key is not None else (self.anonymous if anonymous else self.user).encode()
        )
        self.sent.append((getattr(self.worker.topics, topic), record_key, orjson.dumps(document)))
        return document

    def identify(self, at: datetime | None = None) -> None:
        """The visitor logs in: links ``anonymous`` to ``user``."""
        document = self.event("clickstream", None, call="identify", at=at)
        document["anonymousId"] = self.anonymous
        topic, key, _old = self.sent[-1]
        self.sent[-1] = (topic, key, orjson.dumps(document))

    def consent(self, at: datetime | None = None, **channels: bool) -> None:
        self.event("clickstream", "Consent Updated", at=at, **channels)

    def till_order(
        self, store: str, products: list[dict[str, Any]], at: datetime | None = None
    ) -> None:
        self.event(
            "store_checkouts",
            "Order Completed",
            channel="store",
            at=at,
            order_id=f"till-{uuid.uuid4().hex[:8]}",
            store_id=store,
            total=round(sum(p["price"] for p in products), 2),
            currency="EUR",
            products=products,
        )

    def flush(self, settle: bool = False) -> None:
        """Publish; with ``settle``, return once the worker has processed them.

        Settling stands for time passing between a customer's steps: events on
        different topics are consumed by different agents, in no set order.
        """
        count = len(self.sent)
        before = self.worker.metric_sum("omni_records_consumed_total") if settle else 0.0
        produce(self.worker.services.kafka_broker, self.sent)
        self.sent = []
        if settle:
            self.worker.wait_processed(before + count, what="records processed")


def stock_update(
    worker: WorkerProcess,
    store: str | None,
    product_id: str,
    units: int,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Publish a ``Stock Updated`` as PRODUCT.md describes it: about no person, keyed by
    store; with no store, the web shop's online stock."""
    properties: dict[str, Any] = {"product_id": product_id, "quantity": units}
    if store is not None:
        properties["store_id"] = store
    channel = "store" if store is not None else "web"
    document = _document("Stock Updated", "track", channel, at, properties)
    produce(
        worker.services.kafka_broker,
        [(worker.topics.inventory, (store or "online").encode(), orjson.dumps(document))],
    )
    return document


def _document(
    event_name: str | None,
    call: str,
    channel: str,
    at: datetime | None,
    properties: dict[str, Any],
) -> dict[str, Any]:
    """An event with a fresh messageId and an explicit event time, about no one yet."""
    document: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "type": call,
        "timestamp": (at or datetime.now(UTC)).isoformat(),
        "context": {"channel": channel},
        "properties": properties,
    }
    if event_name is not None:
        document["event"] = event_name
    return document


def read_records(broker: str, topic: str) -> list[ConsumerRecord]:
    """Every record on a topic, from the beginning, as published."""
    consumer = KafkaConsumer(bootstrap_servers=broker, group_id=None, fetch_max_wait_ms=50)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assignment = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        records: list[ConsumerRecord] = []
        while True:
            batch = consumer.poll(timeout_ms=300)
            if not batch:
                return records
            for rows in batch.values():
                records += rows
    finally:
        consumer.close()


def read_raw(broker: str, topic: str) -> list[bytes]:
    return [record.value for record in read_records(broker, topic)]


def read_topic(broker: str, topic: str) -> list[dict[str, Any]]:
    return [orjson.loads(value) for value in read_raw(broker, topic)]


def published_at(worker: WorkerProcess, topic_attr: str, user: str) -> list[int]:
    """When each record about ``user`` on a trigger topic was published (epoch ms): the
    worker's producer stamps it as it sends, so it is when the trigger fired."""
    records = read_records(worker.services.kafka_broker, getattr(worker.topics, topic_attr))
    return [
        record.timestamp
        for record in records
        if user in (orjson.loads(record.value).get(key) for key in ("userId", "anonymousId"))
    ]


def wait_for(
    worker: WorkerProcess,
    topic_attr: str,
    user: str,
    *,
    count: int = 1,
    timeout_s: float = 30.0,
    settle_s: float = 0.0,
) -> list[dict[str, Any]]:
    """Records about ``user`` on a trigger topic, once at least ``count`` arrived."""
    topic = getattr(worker.topics, topic_attr)
    deadline = time.monotonic() + timeout_s
    while True:
        found = [
            record
            for record in read_topic(worker.services.kafka_broker, topic)
            if user in (record.get("userId"), record.get("anonymousId"))
        ]
        if len(found) >= count or time.monotonic() > deadline:
            if settle_s:
                time.sleep(settle_s)
                found = [
                    record
                    for record in read_topic(worker.services.kafka_broker, topic)
                    if user in (record.get("userId"), record.get("anonymousId"))
                ]
            return found
        time.sleep(0.3)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def suppressed(worker: WorkerProcess, who: str, reason: str, timeout_s: float = 30.0) -> list[dict]:
    """Suppressions of ``who`` with ``reason``, waiting for one (others may come first)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [
            record
            for record in wait_for(worker, "suppressed", who, timeout_s=0)
            if record["reason"]["code"] == reason
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)
