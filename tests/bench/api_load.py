"""The steady phase's API load, in a process of its own:
``python -m tests.bench.api_load`` (arguments below), latencies written as JSON.

In the bench's process the clients' threads waited for the GIL behind the probes
(the producer's loop, the arrivals' consumer): a response that had arrived was read
up to a switch interval (5 ms) late, several times over, and counted as the API's.
Here the clients have the interpreter to themselves. Each is a keep-alive connection
sending on a fixed schedule (open loop), alternating ``/context`` and
``/next-best-offer``; the schedule starts at a CLOCK_MONOTONIC time the bench picks,
so it is the same clock in both processes, and requests due before ``--timed-from``
(the bench's warm-up) are sent but not timed.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

from tests.integration.harness import REPO_ROOT


class ApiClient(threading.Thread):
    """One client: a keep-alive connection, requests on a fixed schedule."""

    def __init__(
        self,
        port: int,
        token: str,
        customers: list[str],
        rate: float,
        schedule: tuple[float, float, float],
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.customers, self.rate = port, token, customers, rate
        self.start_at, self.timed_from, self.until = schedule
        self.latencies: list[float] = []
        self.errors = 0

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}"}
        due = self.start_at
        n = 0
        while due < self.until:
            time.sleep(max(0.0, due - time.monotonic()))
            route = ("context", "next-best-offer")[n % 2]
            path = f"/customers/{self.customers[n % len(self.customers)]}/{route}"
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            if due >= self.timed_from:
                self.latencies.append(time.perf_counter() - started)
                self.errors += not ok
            n += 1
            due += 1 / self.rate
        connection.close()


def start_api_load(
    directory: Path,
    port: int,
    token: str,
    customers: list[str],
    per_s: float,
    start_at: float,
    timed_from: float,
    until: float,
    clients: int = 4,
) -> tuple[subprocess.Popen[bytes], Path]:
    """The load process, and the file it writes ``{"latencies_s": [...], "errors": n}`` to."""
    ids = directory / "api-load-ids.json"
    ids.write_bytes(orjson.dumps(customers))
    out = directory / "api-load.json"
    out.unlink(missing_ok=True)
    arguments = [
        f"--port={port}",
        f"--token={token}",
        f"--ids={ids}",
        f"--per-s={per_s}",
        f"--start-at={start_at}",
        f"--timed-from={timed_from}",
        f"--until={until}",
        f"--clients={clients}",
        f"--out={out}",
    ]
    log = (directory / "api-load.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.api_load", *arguments],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return process, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--port", type=int, required=True)
    add("--token", required=True)
    add("--ids", type=Path, required=True, help="JSON list of the customer ids asked for")
    add("--per-s", type=float, required=True, help="requests per second, all clients")
    add("--start-at", type=float, required=True, help="time.monotonic() of the first request")
    add("--timed-from", type=float, required=True, help="the first request timed (a due time)")
    add("--until", type=float, required=True, help="time.monotonic() after which none is sent")
    add("--clients", type=int, default=4)
    add("--out", type=Path, required=True)
    args = parser.parse_args()
    asked: list[str] = orjson.loads(args.ids.read_bytes())
    clients = [
        ApiClient(
            args.port,
            args.token,
            asked[i :: args.clients] or asked,
            args.per_s / args.clients,
            (args.start_at, args.timed_from, args.until),
        )
        for i in range(args.clients)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    latencies = [s for client in clients for s in client.latencies]
    errors = sum(client.errors for client in clients)
    args.out.write_bytes(orjson.dumps({"latencies_s": latencies, "errors": errors}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
