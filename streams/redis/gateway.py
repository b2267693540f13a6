"""One round trip at a time: commands queued together, sent as one pipeline.

Every step of the engine that talks to Redis builds a :class:`RoundTrip`, queues
its commands (each returns a :class:`Reply` to read once sent) and sends it once.
Scripts are loaded at start-up and run with EVALSHA: unlike redis-py's ``Script``
objects in a pipeline, nothing asks ``SCRIPT EXISTS`` before each send. When Redis
has lost them (a restart without persistence, ``SCRIPT FLUSH``), the commands
that failed with NOSCRIPT are sent again after one reload.

On one server a round trip is written and read on a pooled connection directly,
under one deadline (the client's ``socket_timeout``) for the whole round trip.
redis-py's pipeline arms a timeout for every reply it reads, and its timer handles
were 3-6 % of the worker's CPU while draining. The commands are packed by hiredis
in C: redis-py's asyncio connection packs them in Python (the sync client uses
hiredis), which was two thirds of the round trips' client CPU. A Redis Cluster
round trip goes through redis-py's cluster pipeline, which splits it per node.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import DataError, NoScriptError, ResponseError

from streams.redis import scripts

Decoder = Callable[[Any], Any]


class Reply:
    """The decoded reply of one queued command, readable once its round trip is sent.

    An ``isolated`` command's error stays in its reply and is raised when the reply
    is read, so one person's failing script does not fail the others' round trip.
    """

    __slots__ = ("_decode", "_error", "_sent", "_value", "isolated")

    def __init__(self, decode: Decoder | None, isolated: bool = False) -> None:
        self._decode = decode
        self._sent = False
        self._value: Any = None
        self._error: Exception | None = None
        self.isolated = isolated

    def _set(self, raw: Any) -> None:
        if isinstance(raw, Exception):
            self._error = raw
        else:
            self._value = raw if self._decode is None else self._decode(raw)
        self._sent = True

    @property
    def value(self) -> Any:
        if not self._sent:
            raise RuntimeError("the round trip holding this command was not sent yet")
        if self._error is not None:
            raise self._error
        return self._value


class RedisGateway:
    """The worker's Redis client, its preloaded scripts, and a count of round trips."""

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self.redis = redis
        self.shas = {
            name: hashlib.sha1(source.encode()).hexdigest() for name, source in scripts.ALL.items()
        }
        self.round_trips = 0

    async def load_scripts(self) -> None:
        if isinstance(self.redis, RedisCluster):
            # SCRIPT LOAD goes to every primary; a cluster pipeline would send it to one.
            for source in scripts.ALL.values():
                await self.redis.script_load(source)
                self.round_trips += 1
            return
        pipe = self.redis.pipeline(transaction=False)
        for source in scripts.ALL.values():
            pipe.script_load(source)
        await pipe.execute()
        self.round_trips += 1

    def round_trip(self) -> RoundTrip:
        return RoundTrip(self)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())


class RoundTrip:
    def __init__(self, gateway: RedisGateway) -> None:
        self._gateway = gateway
        self._commands: list[tuple[tuple[Any, ...], Reply]] = []

    def __len__(self) -> int:
        return len(self._commands)

    def call(self, *args: Any, decode: Decoder | None = None, isolated: bool = False) -> Reply:
        reply = Reply(decode, isolated)
        self._commands.append((args, reply))
        return reply

    def script(
        self,
        name: str,
        keys: Sequence[str],
        args: Sequence[Any],
        decode: Decoder | None = None,
        isolated: bool = False,
    ) -> Reply:
        sha = self._gateway.shas[name]
        return self.call("EVALSHA", sha, len(keys), *keys, *args, decode=decode, isolated=isolated)

    async def send(self) -> None:
        """Send every queued command in one pipeline; raise the first error of a command
        that is not isolated (an isolated one raises it when its reply is read)."""
        if not self._commands:
            return
        raws = await self._execute([args for args, _ in self._commands])
        retry = [i for i, raw in enumerate(raws) if isinstance(raw, NoScriptError)]
        if retry:
            await self._gateway.load_scripts()
            again = await self._execute([self._commands[i][0] for i in retry])
            for index, raw in zip(retry, again, strict=True):
                raws[index] = raw
        for (_args, reply), raw in zip(self._commands, raws, strict=True):
            if isinstance(raw, Exception) and not reply.isolated:
                raise raw
            reply._set(raw)

    async def _execute(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        self._gateway.round_trips += 1
        redis = self._gateway.redis
        if isinstance(redis, Redis):
            return await pipelined(redis, commands)
        pipe = redis.pipeline(transaction=False)
        for args in commands:
            pipe.execute_command(*args)
        return list(await pipe.execute(raise_on_error=False))


async def pipelined(redis: Redis, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Every command written at once, every reply read (a command's error in its place),
    all within the client's ``socket_timeout``. A connection that failed or was
    interrupted mid-way is closed, never handed back with replies left unread."""
    pool = redis.connection_pool
    timeout_s = pool.connection_kwargs.get("socket_timeout")
    callbacks = redis.response_callbacks
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        async with asyncio.timeout(timeout_s):
            await connection.send_packed_command(packed(commands))
            replies: list[Any] = []
            for args in commands:
                try:
                    # inf: no timeout per reply, the round trip's deadline covers them all
                    raw = await connection.read_response(timeout=math.inf)
                except ResponseError as exc:
                    replies.append(exc)
                    continue
                callback = callbacks.get(args[0])
                replies.append(raw if callback is None else callback(raw))
            return replies
    except BaseException:
        await connection.disconnect(nowait=True)
        raise
    finally:
        await pool.release(connection)


def packed(commands: list[tuple[Any, ...]]) -> bytes:
    """The commands in RESP, as redis-py would pack them: a command name of several
    words (``"SCRIPT LOAD"``) split, and an argument of another type than str, bytes,
    int or float refused with redis-py's DataError."""
    pieces = []
    for args in commands:
        name = args[0]
        if isinstance(name, str) and " " in name:
            args = (*name.split(), *args[1:])
        try:
            pieces.append(hiredis.pack_command(args))
        except TypeError as exc:
            raise DataError(f"{name!r}: an argument is not str, bytes, int or float") from exc
    return b"".join(pieces)
