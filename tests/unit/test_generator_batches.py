"""Batch records of up to N events, each holding only events of one partition."""

from __future__ import annotations

from collections import defaultdict

import orjson
import pytest

from streams.local.demo.batching import kafka_partition, pack_batches
from streams.local.demo.records import record_key
from tests.unit.generator_support import TOPICS, events, records

PARTITIONS = 4
BATCHABLE = frozenset((TOPICS.clickstream, TOPICS.basket, TOPICS.inventory))
partition_of = kafka_partition(lambda _topic: PARTITIONS)


def _per_partition(recs: list) -> dict[tuple[str, int], list[str]]:
    order: dict[tuple[str, int], list[str]] = defaultdict(list)
    for record, event in events(recs):
        key = record_key(event)
        if key:
            order[(record.topic, partition_of(record.topic, key))].append(event["messageId"])
    return order


@pytest.mark.parametrize("size", [2, 20])
def test_batches_keep_every_event_on_its_partition_in_order(size: int) -> None:
    single = records(customers=80, bad_share=0.05)
    packed = list(pack_batches(single, size, partition_of, BATCHABLE))

    assert [e["messageId"] for _r, e in events(packed)] != []
    assert sorted(e["messageId"] for _r, e in events(packed)) == sorted(
        e["messageId"] for _r, e in events(single)
    )
    assert _per_partition(packed) == _per_partition(single)
    assert [r for r in packed if not r.valid] == [r for r in single if not r.valid]
    batches = [orjson.loads(r.value) for r in packed if r.value.startswith(b'{"batch"')]
    assert max(len(b["batch"]) for b in batches) == size
    for record in packed:
        if record.value.startswith(b'{"batch"'):
            assert record.topic in BATCHABLE
            keys = [record_key(event) for event in orjson.loads(record.value)["batch"]]
            if record.key is None:
                assert keys == [None] * len(keys)
                continue
            home = partition_of(record.topic, record.key)
            assert {partition_of(record.topic, key or b"") for key in keys} == {home}


def test_size_one_changes_nothing_and_packed_input_is_refused() -> None:
    single = records(customers=10)
    assert list(pack_batches(single, 1, partition_of, BATCHABLE)) == single
    with pytest.raises(ValueError, match="single-event"):
        list(pack_batches(records(customers=10, batch_share=1.0), 5, partition_of, BATCHABLE))
    with pytest.raises(ValueError, match=">= 1"):
        list(pack_batches(single, 0, partition_of, BATCHABLE))
