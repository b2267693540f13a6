"""The worker's HTTP limits against a real worker, over real sockets: slow and idle
connections closed, a connection cap that keeps /health answering, the per-client rate
limit of the bearer endpoints, and a worker under a 256-file limit facing 300 idle
connections."""

from __future__ import annotations

import asyncio
import http.client
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.integration.harness import TOKEN, Services, WorkerProcess, call, wait_until
from tests.integration.raw_clients import Client, closed_within

pytestmark = pytest.mark.integration

HEADER_TIMEOUT_S = 3.0
MAX_CONNECTIONS = 20
RATE_PER_S = 5


@pytest.fixture(scope="module")
def worker(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={
            "API_TOKEN": TOKEN,
            "WEB_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
            "WEB_KEEPALIVE_TIMEOUT_S": "30",
            "WEB_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
            "API_RATE_LIMIT_PER_S": str(RATE_PER_S),
        },
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()


async def health_within(port: int, timeout_s: float) -> int:
    async with asyncio.timeout(timeout_s):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        status = int((await reader.readline()).split()[1])
        writer.close()
        return status


def test_slow_loris_and_silent_connections_are_closed_at_the_header_timeout(
    worker: WorkerProcess,
) -> None:
    async def scenario() -> list[float]:
        opened = time.monotonic()
        silent = [await asyncio.open_connection("127.0.0.1", worker.web_port) for _ in range(5)]
        slow = [await asyncio.open_connection("127.0.0.1", worker.web_port) for _ in range(5)]

        async def trickle(client: Client) -> None:
            client[1].write(b"GET /health HTTP/1.1\r\nHost: t\r\n")
            for _ in range(100):  # a header byte every 0.1 s, never the end of the head
                client[1].write(b"X")
                await asyncio.sleep(0.1)

        trickling = [asyncio.create_task(trickle(client)) for client in slow]

        async def close_time(client: Client) -> float:
            assert await closed_within(client, HEADER_TIMEOUT_S + 5)
            return time.monotonic() - opened

        closed = await asyncio.gather(*(close_time(client) for client in silent + slow))
        for task in trickling:
            task.cancel()
        assert await health_within(worker.web_port, 2) == 200
        return closed

    closed = asyncio.run(scenario())
    assert all(HEADER_TIMEOUT_S - 0.2 <= s <= HEADER_TIMEOUT_S + 2.5 for s in closed), closed


def test_beyond_the_cap_idle_connections_are_closed_and_health_still_answers(
    worker: WorkerProcess,
) -> None:
    async def scenario() -> tuple[list[bool], int, int]:
        clients = [
            await asyncio.open_connection("127.0.0.1", worker.web_port)
            for _ in range(2 * MAX_CONNECTIONS)
        ]
        # Well within the header timeout: only the cap closes anything meanwhile.
        closed = await asyncio.gather(*(closed_within(client, 0.5) for client in clients))
        status = await health_within(worker.web_port, 1.0)
        still_open = sum(
            not c for c in await asyncio.gather(*(closed_within(client, 0.3) for client in clients))
        )
        for _reader, writer in clients:
            writer.close()
        return list(closed), status, still_open

    closed, status, still_open = asyncio.run(scenario())
    assert closed == [True] * MAX_CONNECTIONS + [False] * MAX_CONNECTIONS
    assert status == 200
    assert still_open == MAX_CONNECTIONS - 1  # /health took the place of the oldest


def _get(path: str, port: int, source: str = "127.0.0.1", token: str | None = TOKEN) -> Any:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=5, source_address=(source, 0)
    )
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_client_beyond_its_rate_gets_429_with_retry_after(worker: WorkerProcess) -> None:
    port = worker.web_port
    answers = [_get("/trends", port) for _ in range(RATE_PER_S + 3)]
    statuses = [status for status, _headers, _body in answers]
    assert statuses[:RATE_PER_S] == [200] * RATE_PER_S and 429 in statuses[RATE_PER_S:]
    _status, headers, body = next(answer for answer in answers if answer[0] == 429)
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) >= 1
    assert orjson.loads(body)["error"]["code"] == "rate_limited"
    # Guessing tokens counts too; another client, and the open endpoints, are not limited.
    assert _get("/trends", port, token="guess")[0] == 429
    assert _get("/trends", port, source="127.0.0.2")[0] == 200
    assert {_get("/health", port, token=None)[0] for _ in range(3 * RATE_PER_S)} == {200}
    wait_until(lambda: _get("/trends", port)[0] == 200, timeout_s=5, what="the rate restored")


def test_under_a_256_file_limit_300_idle_connections_leave_the_worker_answering(
    make_worker: Callable[..., WorkerProcess],
) -> None:
    worker = make_worker(file_limit=256)  # the defaults: 100 connections, 5 s header timeout
    worker.create_topics()
    worker.start()
    (log_path,) = worker.log_dir.glob(f"worker-{worker.namespace}-*.log")
    log_before = log_path.stat().st_size

    async def scenario() -> tuple[list[int], int]:
        clients = [await asyncio.open_connection("127.0.0.1", worker.web_port) for _ in range(300)]
        statuses = [await health_within(worker.web_port, 1.0) for _ in range(3)]
        open_now = sum(
            not c for c in await asyncio.gather(*(closed_within(client, 0.3) for client in clients))
        )
        for _reader, writer in clients:
            writer.close()
        return statuses, open_now

    statuses, open_now = asyncio.run(scenario())
    assert statuses == [200, 200, 200]
    assert open_now <= 100
    status, ready = call(worker, "/ready", token=None)  # Redis still has its sockets
    assert (status, ready["redis"]) == (200, True)
    assert log_path.stat().st_size - log_before < 2_000  # one throttled line, not megabytes
