"""The throttled log line of the HTTP server, on a fake clock."""

from __future__ import annotations

import logging

import pytest

from streams.throttled_log import ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_throttled_line_is_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    throttled = ThrottledLog(interval_s=10, clock=clock)
    logger = logging.getLogger("tests.throttled")
    with caplog.at_level(logging.WARNING, logger="tests.throttled"):
        for _ in range(960):
            throttled.warning(logger, "cannot accept: %s", "EMFILE")
            clock.now += 1 / 32  # 30 s in all, in steps a float adds exactly
    assert [r.getMessage() for r in caplog.records] == [
        "cannot accept: EMFILE",
        "cannot accept: EMFILE (319 more in the last 10 s not logged)",
        "cannot accept: EMFILE (319 more in the last 10 s not logged)",
    ]
