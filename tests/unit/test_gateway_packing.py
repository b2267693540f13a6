"""Round trips are packed by hiredis; the bytes must be the ones redis-py would send."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from streams.redis.gateway import packed

COMMANDS = [
    ("EVALSHA", "0" * 40, 2, "ctx:u:42", b"seen:u:42", 1.5, -3, 10**30, "é", b"\x00\xff"),
    ("SCRIPT LOAD", "return 1"),
    ("HMGET", "ctx:u:42", "doc", "v", "moved_to"),
    ("ZADD", "seen:u:42", 0.1, "id", 1e20, "other", float("inf"), ""),
]


def test_the_bytes_are_the_ones_redis_py_packs() -> None:
    assert packed(COMMANDS) == b"".join(Connection().pack_commands(COMMANDS))


@pytest.mark.parametrize("argument", [None, True, [1], {"a": 1}])
def test_an_argument_redis_py_refuses_is_refused_with_its_error(argument: object) -> None:
    with pytest.raises(DataError, match="'SET': an argument"):
        packed([("GET", "k"), ("SET", "k", argument)])
    with pytest.raises(DataError):
        Connection().pack_commands([("SET", "k", argument)])
