"""Hostile input through the real worker: over 10,000 records that must each be
dead-lettered with their reason, mixed with valid events that must each be applied once.

Every record is accounted for by its position (topic, partition, offset) and, in a
batch, its member's index: a hostile item by a dead letter with an expected reason, a
valid one by its person's context in Redis matching the oracle (events, orders,
money). The worker must stay up, with no batch retried whole.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import redis
from kafka import KafkaProducer

from models.context.stored import unpack
from streams.redis.keys import PersonKeys
from tests.integration.harness import TOKEN, WorkerProcess, call, consume_all, wait_until
from tests.integration.hostile_records import (
    INPUT_TOPICS,
    HostileInput,
    Item,
    Oracle,
    Record,
    dead,
)

pytestmark = pytest.mark.integration

HOSTILE_RECORDS = 10_000
VALID_RECORDS = 2_000
BATCH_RECORDS = 200
SEED = 20240601  # fixed, so a failure can be replayed; ids are unique to each run
Position = tuple[str, int, int, int | None]  # topic, partition, offset, batch index


def build_records(hostile: HostileInput) -> list[Record]:
    rng = hostile.rng
    records: list[Record] = []
    for index in range(HOSTILE_RECORDS):
        make: Callable[[], tuple[bytes | None, frozenset[str]]]
        if index < 10:
            make = hostile.huge
        elif index % 25 == 0:
            make = hostile.demo_malformed
        else:
            make = hostile.hostile_raw
        value, reasons = make()
        topic = rng.choice(INPUT_TOPICS)
        key = rng.choice([None, rng.randbytes(8), b"a{b}", b"x|y"])
        if value is None and key is None:
            key = b"tombstone"  # Kafka wants a key or a value
        records.append(Record(topic, key, value, [Item(reasons)]))
    valid: list[Record] = []
    for _ in range(VALID_RECORDS):
        topic, doc, item = hostile.valid()
        assert item.person is not None
        valid.append(Record(topic, item.person.value.encode(), orjson.dumps(doc), [item]))
    records += valid + rng.sample(valid, 100)  # a hundred are delivered twice
    records += [batch_record(hostile, with_huge=index < 10) for index in range(BATCH_RECORDS)]
    records.append(Record("clickstream", None, b'{"batch": "m-1"}', [dead("bad_type")]))
    records.append(Record("basket", None, b'{"batch": []}', [dead("bad_value")]))
    rng.shuffle(records)
    return records


def batch_record(hostile: HostileInput, with_huge: bool) -> Record:
    """Valid and hostile members side by side: each member is judged on its own."""
    rng = hostile.rng
    members: list[bytes] = []
    items: list[Item] = []
    for _ in range(rng.randint(2, 8)):
        roll = rng.random()
        if roll < 0.5:
            _topic, doc, item = hostile.valid()
            members.append(orjson.dumps(doc))
        elif roll < 0.8:
            doc, reasons = hostile.hostile_event()
            members.append(orjson.dumps(doc))
            item = Item(reasons)
        elif roll < 0.9 or with_huge:  # a batch with a 450 KB member stays under 512 KB
            members.append(orjson.dumps(rng.choice([[1], "page", 7, None])))
            item = dead("not_object")
        else:  # over MAX_EVENT_BYTES, or nested deeper than can be re-encoded
            deep = rng.random() < 0.5
            members.append(
                b"[" * 300 + b"]" * 300
                if deep
                else orjson.dumps(hostile.base() | {"notes": "x" * 40_000})
            )
            item = dead("too_large")
        items.append(item)
    if with_huge:  # the case: a 450 KB event inside a batch
        members.append(orjson.dumps(hostile.base() | {"notes": "x" * 450_000}))
        items.append(dead("too_large"))
    value = b'{"batch": [' + b", ".join(members) + b'], "sentAt": "2024-01-01T00:00:00Z"}'
    return Record(rng.choice(["clickstream", "basket"]), None, value, items, batch=True)


def produce_records(broker: str, topics: Any, records: list[Record]) -> list[tuple[str, int, int]]:
    producer = KafkaProducer(
        bootstrap_servers=broker,
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=2 << 20,
    )
    try:
        futures = [
            producer.send(getattr(topics, r.topic), key=r.key, value=r.value) for r in records
        ]
        producer.flush(timeout=120)
        done = [future.get(timeout=30) for future in futures]
    finally:
        producer.close()
    return [(meta.topic, meta.partition, meta.offset) for meta in done]


def context_facts(client: redis.Redis, oracle: Oracle) -> dict[Any, tuple[int, int, int]]:
    facts = {}
    for person in oracle.messages:
        raw = client.hget(PersonKeys.of(person).context, "doc")
        doc = orjson.loads(unpack(raw)) if raw else {}
        facts[person] = (
            doc.get("events_total", 0),
            doc.get("orders_count", 0),
            doc.get("total_spent_cents", 0),
        )
    return facts


def expected_facts(oracle: Oracle) -> dict[Any, tuple[int, int, int]]:
    return {
        person: (
            len(messages),
            len(oracle.orders[person]),
            sum(oracle.orders[person].values()),
        )
        for person, messages in oracle.messages.items()
    }


def test_hostile_input_is_dead_lettered_and_valid_events_applied_once(
    make_worker: Callable[..., WorkerProcess], report_figure: Callable[[str], None]
) -> None:
    started = time.monotonic()
    worker = make_worker(extra_env={"API_TOKEN": TOKEN})
    worker.create_topics()
    worker.start()
    run = uuid.uuid4().hex[:8]
    hostile = HostileInput(run, seed=SEED, now=datetime.now(UTC))
    records = build_records(hostile)
    positions = produce_records(worker.services.kafka_broker, worker.topics, records)

    hostile_items: dict[Position, frozenset[str]] = {}
    valid_items: set[Position] = set()
    oracle = Oracle()
    for record, (topic, partition, offset) in zip(records, positions, strict=True):
        for index, item in enumerate(record.items):
            where = (topic, partition, offset, index if record.batch else None)
            if item.reasons:
                hostile_items[where] = item.reasons
            else:
                valid_items.add(where)
                oracle.add(item)

    letters = consume_all(
        worker.services.kafka_broker, worker.topics.deadletter, len(hostile_items), 120
    )
    by_position: dict[Position, list[str]] = {}
    for letter in letters:
        body = orjson.loads(letter.value)
        source = body["source"]
        where = (source["topic"], source["partition"], source["offset"], body["batch_index"])
        by_position.setdefault(where, []).append(body["reason"])
    client = redis.Redis.from_url(worker.services.redis_url)
    expected = expected_facts(oracle)
    with contextlib.suppress(AssertionError):  # what is still off is counted below
        wait_until(lambda: context_facts(client, oracle) == expected, 60, 0.5, "the oracle")
    facts = context_facts(client, oracle)

    wrong = {w for w, reasons in hostile_items.items() if set(by_position.get(w, ())) - reasons}
    missing = {w for w in hostile_items if w not in by_position}
    lettered_valid = valid_items & set(by_position)
    strays = [w for w in by_position if w not in hostile_items and w not in valid_items]
    mismatched = [p for p in expected if facts[p] != expected[p]]
    unaccounted = (
        len(wrong)
        + len(missing)
        + len(lettered_valid)
        + len(strays)
        + sum(len(oracle.messages[p]) for p in mismatched)
    )
    alive = worker.alive()
    crashes = (0 if alive else 1) + int(worker.metric_sum("omni_batch_retries_total"))
    valid_applied = sum(facts[p][0] for p in expected if p not in mismatched)
    reasons = Counter(reason for found in by_position.values() for reason in found)
    report_figure(
        f"hostile input: sent {len(records)}, valid {valid_applied}, "
        f"dead-lettered {len(letters)}, unaccounted {unaccounted}, crashes {crashes}"
    )
    report_figure(
        f"hostile input: {len(hostile_items)} hostile items, {len(valid_items)} valid "
        f"({len(oracle.messages)} people), {time.monotonic() - started:.1f} s; dead letters "
        + ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    )
    details = {
        "wrong reason": sorted((w, by_position[w], hostile_items[w]) for w in wrong)[:5],
        "missing": sorted(missing)[:5],
        "valid but dead-lettered": [(w, by_position[w]) for w in sorted(lettered_valid)][:5],
        "strays": strays[:5],
        "contexts off": [(p, facts[p], expected[p]) for p in mismatched[:5]],
    }
    assert unaccounted == 0, details
    assert crashes == 0, worker.log_tail()
    assert len(letters) == len(hostile_items)  # exactly one dead letter each
    check_the_api(worker, hostile, oracle)


def check_the_api(worker: WorkerProcess, hostile: HostileInput, oracle: Oracle) -> None:
    """Odd valid ids answer through the API, refused ones as JSON, and a '|' in a category
    forged no trending product."""
    for person in list(oracle.messages)[:10]:
        kind = "user" if person.user_id else "anonymous"
        status, body = call(
            worker, f"/customers/{quote(person.value, safe='')}/context?kind={kind}"
        )
        assert status == 200, (person, body)
    status, body = call(worker, f"/customers/{quote('a{b}', safe='')}/context")
    assert (status, body["error"]["code"]) == (404, "customer_not_found")
    status, trends = call(worker, f"/trends?limit=100&category={quote(hostile.category)}")
    assert status == 200 and trends["products"] == [], trends
    forged = f"/trends?limit=100&category={quote(hostile.category + '|' + hostile.injected)}"
    status, trends = call(worker, forged)
    assert trends["products"] and all(hostile.run in p["product_id"] for p in trends["products"])
    status, everything = call(worker, "/trends?limit=100")
    assert all(p["product_id"] != hostile.injected for p in everything["products"])
