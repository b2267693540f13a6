"""Which failures retrying can fix: the infrastructure's, never the input's.

The ingest retries a batch with back-off while Redis or Kafka is unreachable,
slow, loading, failing over or out of memory: waiting fixes those, and
dead-lettering a stream during an outage would turn an incident into a replay
job. Any other error comes from the records themselves (a value the code cannot
handle, a bug on odd input, a record the broker refuses): retrying it would hold
its partition forever, so the records it concerns are dead-lettered instead.
"""

from __future__ import annotations

from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)
from faust.exceptions import ProducerSendError
from redis.exceptions import (
    ClusterDownError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Redis replies that say "not now" (redis-py keeps the code in the message when it has
# no class for it): a script running too long, a failed background save, no replicas.
_REDIS_NOT_NOW = ("BUSY ", "MISCONF ", "NOREPLICAS ", "LOADING ", "MASTERDOWN ")

# Kafka refusing the record itself: the same record would be refused again.
_KAFKA_RECORD_ERRORS = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidMessageError,
    CorruptRecordException,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
)


class Contention(Exception):
    """Writers kept changing what a batch read: a later attempt can win the race."""


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed without the input changing."""
    # Redis down, slow or refusing connections; sockets; timeouts (asyncio's included).
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | Contention):
        return True
    if isinstance(exc, ClusterDownError | TryAgainError | ReadOnlyError | RedisOutOfMemoryError):
        return True
    if isinstance(exc, ResponseError):
        return str(exc).startswith(_REDIS_NOT_NOW)
    if isinstance(exc, ProducerSendError) and exc.__cause__ is not None:
        return is_transient(exc.__cause__)  # faust wraps the producer's own error
    if isinstance(exc, KafkaError):
        # Broker unavailable, leader moving, request timed out, producer closing...
        return not isinstance(exc, _KAFKA_RECORD_ERRORS)
    return False
