"""What the console reads besides the API's dependencies: the rules file as text and its
version, the sessions, the dead-letter samples, and a throughput meter."""

from __future__ import annotations

import hashlib
import os
import time
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from models.offers.rules import OfferRules
from models.offers.rules_file import RulesError, parse_rules
from streams.web.console.deadletters import DeadLetterSamples
from streams.web.console.session import Sessions


@dataclass(frozen=True, slots=True)
class RulesInEffect:
    """The rules file the worker runs on. There is no version field in the file, so its
    version is the SHA-256 of its bytes; ``matches`` is False when the file on disk no
    longer gives the rules the worker loaded (edited since: a restart applies it)."""

    path: str
    text: str
    sha256: str
    matches: bool


def rules_in_effect(path: str | os.PathLike[str], loaded: OfferRules) -> RulesInEffect:
    raw = Path(path).read_bytes()
    try:
        matches = parse_rules(tomllib.loads(raw.decode("utf-8"))) == loaded
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RulesError):
        matches = False
    return RulesInEffect(
        os.fspath(path), raw.decode("utf-8", "replace"), hashlib.sha256(raw).hexdigest(), matches
    )


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
    rules: RulesInEffect
    sessions: Sessions
    samples: DeadLetterSamples = field(default_factory=DeadLetterSamples)
    meter: RateMeter = field(default_factory=RateMeter)


CONSOLE_DEPS = web.AppKey("console_deps", ConsoleDeps)
