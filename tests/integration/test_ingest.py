"""Acceptance of the foundation: real broker, real Redis, a real worker process."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from models.context.stored import unpack
from models.deadletter import original_bytes
from models.identity import Identity, IdentityKind
from streams.redis.keys import PersonKeys
from tests.integration.harness import WorkerProcess, consume_all, produce, wait_until

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


def _event(
    event: str | None, *, call: str = "track", channel: str = "web", **fields: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "type": call,
        "timestamp": (NOW - timedelta(minutes=5)).isoformat(),
        "context": {"channel": channel},
        "properties": fields.pop("properties", {}),
        **fields,
    }
    if event is not None:
        document["event"] = event
    return document


def _journeys(run: str) -> list[tuple[str, dict[str, Any]]]:
    """(topic attribute, event) pairs for three people; ids are unique to this run."""
    anna, bob, visitor = f"anna-{run}", f"bob-{run}", f"visitor-{run}"
    product = {"product_id": "sku-1", "category": "shoes", "price": 80.0}
    return [
        ("clickstream", _event(None, call="page", anonymousId=visitor, properties={"url": "/"})),
        ("clickstream", _event("Product Viewed", anonymousId=visitor, properties=product)),
        (
            "clickstream",
            _event("Products Searched", anonymousId=visitor, properties={"query": "boots"}),
        ),
        ("clickstream", _event(None, call="identify", userId=anna, anonymousId=visitor)),
        ("clickstream", _event("Consent Updated", userId=anna, properties={"email": True})),
        ("basket", _event("Product Added", userId=anna, channel="mobile", properties=product)),
        ("basket", _event("Cart Viewed", userId=anna, channel="mobile")),
        ("basket", _event("Checkout Started", userId=anna, channel="mobile")),
        (
            "store_checkouts",
            _event(
                "Order Completed",
                userId=anna,
                channel="store",
                properties={
                    "order_id": f"o-{run}",
                    "total": 80.0,
                    "store_id": "store-1",
                    "products": [product],
                },
            ),
        ),
        ("clickstream", _event("Newsletter Opened", userId=bob)),
        (
            "clickstream",
            _event(None, call="screen", userId=bob, channel="mobile", properties={"name": "Home"}),
        ),
        ("basket", _event("Product Removed", userId=bob, properties=product)),
    ]


def _person_events(journeys: list[tuple[str, dict[str, Any]]]) -> Counter[Identity]:
    """Events per person; a visitor's events count for the customer they identify as."""
    identified = {e["anonymousId"]: e["userId"] for _t, e in journeys if e["type"] == "identify"}
    counts: Counter[Identity] = Counter()
    for _topic, event in journeys:
        user = event.get("userId") or identified.get(event.get("anonymousId", ""))
        if user:
            counts[Identity(IdentityKind.USER, user)] += 1
        elif event.get("anonymousId"):
            counts[Identity(IdentityKind.ANONYMOUS, event["anonymousId"])] += 1
    return counts


def _bad_records(run: str) -> list[tuple[bytes, str]]:
    good = _event("Product Viewed", userId=f"x-{run}", properties={"product_id": "p"})
    missing_id = {k: v for k, v in good.items() if k != "messageId"}
    bad_time = {**good, "messageId": str(uuid.uuid4()), "timestamp": "yesterday at noon"}
    future = {
        **good,
        "messageId": str(uuid.uuid4()),
        "timestamp": (NOW + timedelta(days=3)).isoformat(),
    }
    oversized = {
        **good,
        "messageId": str(uuid.uuid4()),
        "properties": {"product_id": "p", "blob": "x" * 600_000},
    }
    no_identity = {k: v for k, v in good.items() if k != "userId"} | {
        "messageId": str(uuid.uuid4())
    }
    return [
        (b"\x00\x01garbage\x02", "not_json"),
        (b'["an", "array"]', "not_object"),
        (orjson.dumps(missing_id), "missing_field"),
        (orjson.dumps(bad_time), "bad_timestamp"),
        (orjson.dumps(future), "future_timestamp"),
        (orjson.dumps(oversized), "too_large"),
        (b'{"messageId": "\xff\xfe"}', "not_utf8"),
        (orjson.dumps(no_identity), "missing_identity"),
    ]


def _snapshot(client: redis.Redis, identities: list[Identity]) -> dict[str, Any]:
    return {
        str(identity): (
            client.hgetall(PersonKeys.of(identity).context),
            client.zrange(PersonKeys.of(identity).seen, 0, -1, withscores=True),
        )
        for identity in identities
    }


def _events_total(client: redis.Redis, identity: Identity) -> int:
    doc = client.hget(PersonKeys.of(identity).context, "doc")
    return 0 if doc is None else int(orjson.loads(unpack(doc))["events_total"])


def test_valid_events_reach_redis_once_and_bad_records_are_dead_lettered(
    worker: WorkerProcess,
) -> None:
    run = uuid.uuid4().hex[:8]
    topics = worker.topics
    journeys = _journeys(run)
    batch_user = f"carla-{run}"
    batch_good = [
        _event("Product Viewed", userId=batch_user, properties={"product_id": f"p{i}"})
        for i in range(2)
    ]
    batch_bad = {"messageId": str(uuid.uuid4()), "type": "track"}
    batch_record = orjson.dumps(
        {"batch": [batch_good[0], batch_bad, batch_good[1]], "sentAt": NOW.isoformat()}
    )
    till_sale = _event(
        "Order Completed",
        channel="store",
        properties={"order_id": f"t-{run}", "total": 5.0, "store_id": "s9"},
    )
    stock = _event(
        "Stock Updated",
        channel="store",
        properties={"store_id": "s9", "product_id": "p1", "quantity": 4},
    )
    bad = _bad_records(run)

    records: list[tuple[str, bytes | None, bytes]] = [
        (
            getattr(topics, topic),
            (event.get("userId") or event.get("anonymousId")).encode(),
            orjson.dumps(event),
        )
        for topic, event in journeys
    ]
    records.append((topics.clickstream, batch_user.encode(), batch_record))
    records.append((topics.store_checkouts, None, orjson.dumps(till_sale)))
    records.append((topics.inventory, b"s9", orjson.dumps(stock)))
    records += [(topics.clickstream, None, raw) for raw, _reason in bad]
    produce(worker.services.kafka_broker, records)

    expected_people = _person_events(journeys)
    expected_people[Identity(IdentityKind.USER, batch_user)] = 2
    client = redis.Redis.from_url(worker.services.redis_url)
    wait_until(
        lambda: all(_events_total(client, who) == n for who, n in expected_people.items()),
        what="every person's events in Redis",
    )

    expected_deadletters = len(bad) + 1  # the bad event inside the batch record
    dead = consume_all(worker.services.kafka_broker, topics.deadletter, expected_deadletters)
    assert len(dead) == expected_deadletters
    by_original = {original_bytes(orjson.loads(r.value)): orjson.loads(r.value) for r in dead}
    for raw, reason in bad:
        record = by_original[raw]
        assert record["reason"] == reason, record["message"]
        assert record["source"]["topic"] == topics.clickstream
        assert record["message"]
    inner = by_original[orjson.dumps(batch_bad)]
    assert (inner["reason"], inner["batch_index"]) == ("missing_field", 1)
    assert "event" in inner["message"]

    for identity, count in expected_people.items():
        doc = orjson.loads(unpack(client.hget(PersonKeys.of(identity).context, "doc")))
        assert doc["events_total"] == count
        assert sum(doc["events_by_type"].values()) == count
    anna = orjson.loads(
        unpack(
            client.hget(PersonKeys.of(Identity(IdentityKind.USER, f"anna-{run}")).context, "doc")
        )
    )
    assert anna["events_by_type"]["Order Completed"] == 1
    assert anna["events_by_channel"] == {"web": 5, "mobile": 3, "store": 1}
    assert anna["anonymous_ids"] == [f"visitor-{run}"]

    assert worker.alive()
    valid_total = sum(expected_people.values()) + 2  # + till sale + stock update
    worker.wait_processed(len(records), timeout_s=10)
    assert worker.metric_sum("omni_records_consumed_total") == len(records)
    assert worker.metric_sum("omni_events_consumed_total") == valid_total
    assert worker.metric_sum("omni_events_applied_total") == sum(expected_people.values())
    assert worker.metric_sum("omni_events_personless_total") == 2
    assert worker.metric_sum("omni_deadletters_total") == expected_deadletters
    for reason, count in Counter([r for _raw, r in bad] + ["missing_field"]).items():
        assert worker.metric_sum("omni_deadletters_total", reason=reason) == count


def test_publishing_the_same_events_twice_leaves_redis_identical(worker: WorkerProcess) -> None:
    run = uuid.uuid4().hex[:8]
    journeys = _journeys(run)
    records = [
        (
            getattr(worker.topics, topic),
            (e.get("userId") or e.get("anonymousId")).encode(),
            orjson.dumps(e),
        )
        for topic, e in journeys
    ]
    people = _person_events(journeys)
    client = redis.Redis.from_url(worker.services.redis_url)

    produce(worker.services.kafka_broker, records)
    wait_until(lambda: all(_events_total(client, who) == n for who, n in people.items()))
    worker.wait_processed(len(records), timeout_s=10)
    first = _snapshot(client, list(people))
    decoded = _context_cache(worker)

    produce(worker.services.kafka_broker, records)
    worker.wait_processed(2 * len(records), what="the replay")
    assert worker.metric_sum("omni_records_consumed_total") == 2 * len(records)
    assert _snapshot(client, list(people)) == first
    assert worker.metric_sum("omni_events_duplicate_total") == len(records)
    assert worker.metric_sum("omni_events_applied_total") == len(records)
    # The replay reads back the very documents the worker committed: no decoding again.
    replayed = _context_cache(worker)
    assert replayed["miss"] == decoded["miss"]
    assert replayed["hit"] > decoded["hit"] and replayed["entries"] >= 1


def _context_cache(worker: WorkerProcess) -> dict[str, float]:
    return {
        "hit": worker.metric_sum("omni_context_cache_lookups_total", outcome="hit"),
        "miss": worker.metric_sum("omni_context_cache_lookups_total", outcome="miss"),
        "entries": worker.metric_sum("omni_context_cache_entries"),
    }


def test_a_record_that_escapes_to_over_a_megabyte_is_dead_lettered_and_the_partition_moves_on(
    worker: WorkerProcess,
) -> None:
    # 180 KB of \x01 is valid UTF-8 but not JSON; escaped as JSON text (\u0001) its dead
    # letter would be 1.08 MB, over the producer's limit, and the batch would retry forever.
    run = uuid.uuid4().hex[:8]
    key = f"ctl-{run}".encode()
    poison = b"\x01" * 180_000
    after = _event("Product Viewed", userId=f"ctl-{run}", properties={"product_id": "p"})
    topic = worker.topics.clickstream
    produce(worker.services.kafka_broker, [(topic, key, poison)])
    wait_until(lambda: worker.metric_sum("omni_records_consumed_total") >= 1, what="the poison")
    produce(worker.services.kafka_broker, [(topic, key, orjson.dumps(after))])  # a later batch

    client = redis.Redis.from_url(worker.services.redis_url)
    who = Identity(IdentityKind.USER, f"ctl-{run}")
    wait_until(lambda: _events_total(client, who) == 1, what="the record after the poison")
    (dead,) = consume_all(worker.services.kafka_broker, worker.topics.deadletter, 1)
    record = orjson.loads(dead.value)
    assert len(dead.value) < 700_000
    assert record["reason"] in ("not_json", "too_large")
    assert record["original"]["encoding"] == "base64"
    assert original_bytes(record) == poison
