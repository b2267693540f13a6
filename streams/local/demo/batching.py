"""Segment batch records: many events in one Kafka record, as a server-side source sends.

A batch record (``{"batch": [...], "sentAt": ...}``) is keyed like any record and
so lands on one partition. For each person's events to stay on the partition
their own key hashes to (the worker keeps one person per partition), a batch
only holds events whose keys hash to the same partition (keyless events, such
as stock updates, go together with no key). ``pack_batches`` packs a stream of
single-event records that way, up to ``size`` events each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson
from kafka.partitioner.default import murmur2

from streams.local.demo.records import GeneratedRecord

PartitionOf = Callable[[str, bytes], int]


def kafka_partition(partitions: Callable[[str], int]) -> PartitionOf:
    """The partition Kafka's default partitioner (murmur2, as the Java client and
    aiokafka) picks for a key, given a topic's partition count."""

    def partition_of(topic: str, key: bytes) -> int:
        return int(murmur2(key) & 0x7FFFFFFF) % partitions(topic)

    return partition_of


def pack_batches(
    records: Iterable[GeneratedRecord],
    size: int,
    partition_of: PartitionOf,
    batchable: frozenset[str],
) -> Iterator[GeneratedRecord]:
    """Pack valid records of the ``batchable`` topics into batch records of up to
    ``size`` events bound for one partition (or all keyless); the others, malformed
    records included, pass through unchanged.

    Within a topic-partition the order of events is kept, which is all Kafka orders.
    """
    if size < 1:
        raise ValueError("size must be >= 1")
    if size == 1:
        yield from records
        return
    pending: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = {}
    for record in records:
        if not (record.valid and record.topic in batchable):
            yield record
            continue
        if record.value.startswith(b'{"batch"'):
            raise ValueError("pack_batches packs single-event records (batch_share=0)")
        slot = (record.topic, -1 if record.key is None else partition_of(record.topic, record.key))
        group = pending.setdefault(slot, [])
        group.append((record.key, record.value))
        if len(group) == size:
            yield _batch_record(slot[0], pending.pop(slot))
    for (topic, _partition), group in pending.items():
        yield _batch_record(topic, group)


def _batch_record(topic: str, group: list[tuple[bytes | None, bytes]]) -> GeneratedRecord:
    events = [orjson.loads(value) for _key, value in group]
    value = orjson.dumps({"batch": events, "sentAt": events[-1]["timestamp"]})
    return GeneratedRecord(topic, group[-1][0], value, True, None)
