"""The HTTP API under load: concurrent GETs for known customers, latency and throughput."""

from __future__ import annotations

import random
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.bench.latency import percentiles

API_TOKEN = "bench-token"
API_CLIENTS = 8
API_REQUESTS = 2000


def _api_load(
    base_url: str, route: str, customer_ids: list[str], requests: int
) -> tuple[list[float], float]:
    """Concurrent GETs for random known customers; latency per request and throughput."""
    rng = random.Random(7)
    paths = [f"/customers/{rng.choice(customer_ids)}/{route}" for _ in range(requests)]

    def fetch(path: str) -> float:
        request = urllib.request.Request(base_url + path)
        request.add_header("Authorization", f"Bearer {API_TOKEN}")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            assert response.status == 200
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(API_CLIENTS) as pool:
        latencies = list(pool.map(fetch, paths))
    return latencies, requests / (time.perf_counter() - started)


def bench_api(base_url: str, customer_ids: list[str]) -> None:
    for route in ("context", "next-best-offer"):
        latencies, rate = _api_load(base_url, route, customer_ids, API_REQUESTS)
        print(
            f"api       GET /customers/{{id}}/{route}, {API_REQUESTS} requests from "
            f"{API_CLIENTS} clients: {rate:,.0f} req/s, {percentiles(latencies)}"
        )
