"""The worker's listening socket in process, over real loopback sockets: header
timeout, keep-alive timeout, connection cap, throttled accept errors.

An aiohttp application served by the worker's :class:`GuardedSite` and an AppRunner
set up as the worker's; the clients are plain sockets (asyncio streams), so slow and
silent clients are exactly that.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

from streams.local.services import free_port
from streams.web.guarded_site import ConnectionLimits, GuardedSite
from tests.integration.raw_clients import Client, closed_within

pytestmark = pytest.mark.integration

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[3]
HEALTH = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"


@asynccontextmanager
async def serving(
    limits: ConnectionLimits,
    keepalive_s: float = 30.0,
    release: asyncio.Event | None = None,
    holding: asyncio.Queue[None] | None = None,
) -> AsyncIterator[int]:
    """An application on a GuardedSite; ``/hold`` tells ``holding`` it is in, and answers
    once ``release`` is set."""

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def hold(_request: web.Request) -> web.Response:
        assert release is not None and holding is not None
        holding.put_nowait(None)
        await release.wait()
        return web.json_response({"held": True})

    application = web.Application()
    application.router.add_get("/health", health)
    application.router.add_get("/hold", hold)
    runner = web.AppRunner(application, access_log=None, keepalive_timeout=keepalive_s)
    await runner.setup()
    port = free_port()
    await GuardedSite(runner, "127.0.0.1", port, limits).start()
    try:
        yield port
    finally:
        await runner.cleanup()


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())


async def connect(port: int, send: bytes = b"") -> Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(send)
    await writer.drain()
    return reader, writer


async def status_of(port: int, request: bytes = HEALTH) -> int:
    reader, writer = await connect(port, request)
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status_line.split()[1])


def test_slow_and_silent_clients_are_closed_at_the_header_timeout() -> None:
    async def scenario() -> list[float]:
        async with serving(ConnectionLimits(header_timeout_s=0.5, max_connections=50)) as port:
            opened = time.monotonic()
            silent = [await connect(port) for _ in range(3)]
            slow = [await connect(port, b"GET /health HTTP/1.1\r\nHost: t\r\n") for _ in range(3)]

            async def trickle(client: Client) -> None:
                # One header byte every 0.1 s: each one is progress, none completes the head.
                for _ in range(40):
                    client[1].write(b"X")
                    await asyncio.sleep(0.1)

            trickling = [asyncio.create_task(trickle(client)) for client in slow]
            elapsed = []
            for client in silent + slow:
                assert await closed_within(client, 5.0)
                elapsed.append(time.monotonic() - opened)
            for task in trickling:
                task.cancel()
            assert await status_of(port) == 200
            return elapsed

    elapsed = run(scenario)
    # Closed by the 0.5 s header timeout, long before the 30 s keep-alive timeout.
    assert all(0.4 <= seconds <= 2.5 for seconds in elapsed), elapsed


def test_a_served_keep_alive_connection_lives_until_the_keepalive_timeout() -> None:
    async def scenario() -> float:
        limits = ConnectionLimits(header_timeout_s=0.3, max_connections=50)
        async with serving(limits, keepalive_s=1.5) as port:
            client = await connect(port, HEALTH)
            assert (await client[0].readline()).startswith(b"HTTP/1.1 200")
            answered = time.monotonic()
            assert await closed_within(client, 6.0)
            return time.monotonic() - answered

    idle = run(scenario)
    assert 1.2 <= idle <= 4.0, idle  # not the 0.3 s header timeout: its head came in time


def test_beyond_the_cap_the_longest_open_idle_connections_close_and_health_answers() -> None:
    async def scenario() -> tuple[list[bool], int, list[bool]]:
        limits = ConnectionLimits(header_timeout_s=30.0, max_connections=5)
        async with serving(limits) as port:
            clients = [await connect(port) for _ in range(8)]
            first = [await closed_within(client, 0.5) for client in clients]
            status = await status_of(port)  # a ninth: closes the fourth
            after = [await closed_within(client, 0.5) for client in clients[3:]]
            return first, status, after

    first, status, after = run(scenario)
    assert first == [True] * 3 + [False] * 5
    assert status == 200
    assert after == [True] + [False] * 4


def test_busy_connections_are_kept_and_a_newcomer_is_closed_when_all_are_busy() -> None:
    async def scenario() -> tuple[bool, list[bytes], int]:
        release, holding = asyncio.Event(), asyncio.Queue[None]()
        limits = ConnectionLimits(header_timeout_s=30.0, max_connections=2)
        async with serving(limits, release=release, holding=holding) as port:
            hold = b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"
            busy = [await connect(port, hold) for _ in range(2)]
            for _ in busy:  # both requests are in the handler
                await asyncio.wait_for(holding.get(), 5)
            newcomer = await connect(port)
            refused = await closed_within(newcomer, 2.0)
            release.set()
            answers = [await asyncio.wait_for(reader.readline(), 5) for reader, _ in busy]
            for _reader, writer in busy:
                writer.close()
            return refused, answers, await status_of(port)

    refused, answers, status = run(scenario)
    assert refused
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    assert status == 200


# Out of files: a child process with an open-file limit of 64 and a cap far above it,
# so accepts fail for want of a file. It reports the warnings logged (throttled to one
# a second here, instead of one per 10 s, to see several intervals in 3 s).
OUT_OF_FILES = """
import asyncio, functools, logging, resource, socket, sys
from aiohttp import web
from streams.web import guarded_site
from streams.web.guarded_site import ConnectionLimits, GuardedSite
from tests.integration.raw_clients import Client, closed_within
from streams.throttled_log import ThrottledLog

guarded_site.ThrottledLog = functools.partial(ThrottledLog, interval_s=1.0)

_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
lines = []
class Keep(logging.Handler):
    def emit(self, record): lines.append(record.getMessage())
logging.getLogger("streams.web.guarded_site").addHandler(Keep())

async def main():
    runner = web.AppRunner(web.Application(), access_log=None)
    await runner.setup()
    port = int(sys.argv[1])
    await GuardedSite(runner, "127.0.0.1", port, ConnectionLimits(30.0, 10_000)).start()
    # Connections from another process: this one has no file left for them.
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, str(port), stdout=asyncio.subprocess.PIPE)
    started = asyncio.get_running_loop().time()
    await client.stdout.readline()  # "held": it holds 100 connections, for 3 s
    await client.wait()
    elapsed = asyncio.get_running_loop().time() - started
    print(len(lines), f"{elapsed:.1f}", flush=True)
    print(*lines, sep="\\n", flush=True)

CLIENT = '''
import resource, socket, sys, time
_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server's limit, not ours
# More than the server has files for, fewer than those plus its listen backlog.
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(100)]
print("held", flush=True)
time.sleep(3)
'''
asyncio.run(main())
"""


def test_accept_errors_for_want_of_files_are_logged_once_per_interval() -> None:
    done = subprocess.run(
        [sys.executable, "-c", OUT_OF_FILES, str(free_port())],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    counts, *lines = done.stdout.splitlines()
    logged, elapsed = int(counts.split()[0]), float(counts.split()[1])
    # Accepts fail for over 3 s, retried every 0.1 s: one line a second, the later ones
    # counting the failures they stand for.
    assert 3 <= logged <= 1 + elapsed, done.stdout
    assert len(lines) == logged
    assert all(line.startswith("cannot accept a connection: [Errno 24]") for line in lines)
    held_back = [int(line.split("(")[1].split()[0]) for line in lines[1:]]
    assert all(count >= 5 for count in held_back), lines
