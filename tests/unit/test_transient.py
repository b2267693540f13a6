"""Which failures a batch waits out (the infrastructure's) and which it dead-letters."""

from __future__ import annotations

import orjson
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    RecordTooLargeError,
    RequestTimedOutError,
)
from faust.exceptions import ProducerSendError
from redis.exceptions import (
    BusyLoadingError,
    DataError,
    NoScriptError,
    ReadOnlyError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams.transient import Contention, is_transient


def _wrapped(cause: Exception) -> ProducerSendError:
    try:
        raise ProducerSendError(f"Error while sending: {cause!r}") from cause
    except ProducerSendError as exc:
        return exc


@pytest.mark.parametrize(
    "exc",
    [
        RedisConnectionError("Connection refused"),
        RedisTimeoutError("Timeout reading from socket"),
        BusyLoadingError("Redis is loading the dataset in memory"),
        ReadOnlyError("You can't write against a read only replica."),
        RedisOutOfMemoryError("command not allowed when used memory > 'maxmemory'"),
        ResponseError("BUSY Redis is busy running a script."),
        ResponseError("MISCONF Redis is configured to save RDB snapshots"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        KafkaConnectionError("Connection at kafka:9092 closed"),
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),
        RequestTimedOutError(),
        _wrapped(KafkaTimeoutError()),
        Contention("kept racing"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_infrastructure_failures_are_waited_out(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        TypeError("Integer exceeds 64-bit range"),
        orjson.JSONEncodeError("Integer exceeds 64-bit range"),
        KeyError("products"),
        ValueError("bad value"),
        RecursionError("maximum recursion depth exceeded"),
        ResponseError("ERR Error running script (call to f_...): user_script:12: bad argument"),
        ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        NoScriptError("NOSCRIPT No matching script"),
        DataError("Invalid input of type: 'dict'"),
        MessageSizeTooLargeError(),
        RecordTooLargeError(),
        _wrapped(MessageSizeTooLargeError()),
        RuntimeError("a bug"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_failures_of_the_input_are_not_retried(exc: Exception) -> None:
    assert not is_transient(exc)
