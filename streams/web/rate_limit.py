"""Per-client rate limit of the bearer endpoints: a token bucket per IP address.

A client may make ``rate`` requests a second, in bursts of up to one second's worth;
beyond, it is told how long to wait. Clients are told apart by the peer address of the
connection (a ``X-Forwarded-For`` header is the client's own claim, so it is not read):
behind a proxy every caller is one client, and the rate should be set for the proxy.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Buckets of the clients seen last are kept; the oldest beyond this are forgotten (a
# forgotten client starts again with a full bucket): memory stays bounded whatever
# number of addresses a flood comes from.
MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated_at: float


class ClientRateLimiter:
    def __init__(
        self,
        rate_per_s: float,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self.rate = rate_per_s
        self.burst = max(1.0, rate_per_s)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_s(self, client: str) -> float:
        """0 when ``client`` may go ahead (the request is counted), else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.pop(client, None) or _Bucket(self.burst, now)
        self._buckets[client] = bucket  # the most recently seen last
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated_at) * self.rate)
        bucket.updated_at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate
