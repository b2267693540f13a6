"""What the console reads besides the API's dependencies: the rules file as text and its
version, the sessions, the dead-letter samples, and a throughput meter."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from streams.pipeline.live_rules import LiveRules
from streams.web.console.deadletters import DeadLetterSamples
from streams.web.console.session import Sessions


class RateMeter:
    """Records per second between the Live page's views (and since the worker started)."""

    def __init__(self, clock: float | None = None) -> None:
        self.started = time.monotonic() if clock is None else clock
        self._seen: deque[tuple[float, float]] = deque(maxlen=120)

    def observe(self, total: float, now: float | None = None) -> tuple[float | None, float]:
        """(rate since the previous view at least 1 s ago, or None; average since start)."""
        now = time.monotonic() if now is None else now
        recent = None
        for at, count in reversed(self._seen):
            if now - at >= 1.0:
                recent = (total - count) / (now - at)
                break
        self._seen.append((now, total))
        elapsed = max(now - self.started, 1e-9)
        return recent, total / elapsed


@dataclass
class ConsoleDeps:
    rules: LiveRules  # the rules file in effect, its version, and a rejected edit
    sessions: Sessions
    samples: DeadLetterSamples = field(default_factory=DeadLetterSamples)
    meter: RateMeter = field(default_factory=RateMeter)


CONSOLE_DEPS = web.AppKey("console_deps", ConsoleDeps)
