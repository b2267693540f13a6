"""Keeping a stopped agent's records from being committed: they are read again.

faust acknowledges a ``take_events`` batch (and :func:`~streams.kafka.batches.take_batches`,
which keeps its cleanup) in a ``finally`` clause, whatever the
agent did with it, and the consumer then commits every acknowledged offset. An
agent that gives its batch up unprocessed (the worker is stopping while the
batch waits for Redis or Kafka) must not have it committed, or its records are
lost. Nor will it ever acknowledge the records its stream has buffered since,
for which faust's shutdown would wait forever.

Marking each such message acknowledged on the message alone, without telling
the consumer, turns faust's later ack into a no-op: the consumer never records
the offsets, so it commits up to the first of them and no further, and stops
waiting for them on shutdown (it drops acknowledged messages from the ones it
waits for). The partitions' next owner reads them again.
"""

from __future__ import annotations

from collections.abc import Collection

from faust.types import ConsumerT


def withhold(consumer: ConsumerT | None, topics: Collection[str]) -> int:
    """Leave every record of ``topics`` this worker holds unacknowledged uncommitted: the
    next owner of their partitions reads them. Returns how many there were."""
    # The messages delivered to streams and not acknowledged yet; faust has no public
    # accessor. The agent is stopping, so nothing of these topics reaches it after this.
    held = [m for m in getattr(consumer, "_unacked_messages", ()) if m.topic in topics]
    for message in held:
        message.acked = True  # the flag faust's Message.ack tests before telling the consumer
    return len(held)
