"""The per-client token buckets of the API, on a fake clock."""

from __future__ import annotations

import pytest

from streams.web.rate_limit import ClientRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_one_seconds_worth_at_once_then_the_rate() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(5, clock=clock)
    assert [limiter.wait_s("a") for _ in range(5)] == [0.0] * 5
    assert limiter.wait_s("a") == pytest.approx(0.2)
    clock.now += 0.2
    assert limiter.wait_s("a") == 0.0
    assert limiter.wait_s("a") == pytest.approx(0.2)
    clock.now += 10  # a quiet client refills up to the burst, no further
    assert [limiter.wait_s("a") for _ in range(6)] == [0.0] * 5 + [pytest.approx(0.2)]


def test_refused_requests_do_not_count_against_the_client() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(2, clock=clock)
    assert [limiter.wait_s("a") for _ in range(2)] == [0.0, 0.0]
    assert all(limiter.wait_s("a") == pytest.approx(0.5) for _ in range(100))
    clock.now += 0.5
    assert limiter.wait_s("a") == 0.0


def test_clients_are_limited_separately() -> None:
    limiter = ClientRateLimiter(1, clock=Clock())
    assert (limiter.wait_s("a"), limiter.wait_s("b")) == (0.0, 0.0)
    assert limiter.wait_s("a") > 0 and limiter.wait_s("b") > 0


def test_a_rate_below_one_still_lets_one_request_through() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(0.5, clock=clock)
    assert limiter.wait_s("a") == 0.0
    assert limiter.wait_s("a") == pytest.approx(2.0)


def test_memory_is_bounded_by_forgetting_the_least_recently_seen_clients() -> None:
    limiter = ClientRateLimiter(1, max_clients=3, clock=Clock())
    for client in ("a", "b", "c"):
        limiter.wait_s(client)
    limiter.wait_s("a")  # seen again: "b" is now the oldest
    limiter.wait_s("d")
    assert limiter.wait_s("a") > 0 and limiter.wait_s("c") > 0  # remembered
    assert limiter.wait_s("b") == 0.0  # forgotten: a full bucket again
