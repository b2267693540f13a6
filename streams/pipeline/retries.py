"""Retrying a batch: its back-off, how long it has been stuck, and shutdown.

A batch is retried whole, with back-off, while the infrastructure fails
(:func:`streams.transient.is_transient`); anything else is the caller's to
dead-letter. Operators must see a batch that does not finish, whether it keeps
failing or hangs in one attempt (a paused Redis answers nothing until the socket
times out), so the age of the oldest batch in progress feeds ``/ready`` and the
stall gauges. A shutdown cuts the back-off short: the batch is given up
unprocessed (:class:`ShutdownRequested`), for its partition's next owner to read
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from streams.transient import is_transient

T = TypeVar("T")
Clock = Callable[[], float]


class ShutdownRequested(Exception):
    """The worker is stopping: the batch in hand is given up, not acknowledged."""


@dataclass
class Retrying:
    """A batch in progress: since its first attempt (monotonic), its failed attempts so
    far and the last one's error."""

    label: str
    records: int
    since: float
    attempts: int = 0
    error: str = ""


class Retries:
    """Every batch of this worker in progress, and the request to stop."""

    def __init__(
        self,
        *,
        max_delay_s: float,
        stall_after_s: float,
        first_delay_s: float = 0.1,
        clock: Clock = time.monotonic,
    ) -> None:
        self.max_delay_s = max_delay_s
        self.stall_after_s = stall_after_s
        self._first_delay_s = first_delay_s
        self._clock = clock
        self._stopping = asyncio.Event()
        self._batches: dict[int, Retrying] = {}
        self._keys = itertools.count()

    def stop(self) -> None:
        """Interrupt every back-off, now and later: the worker is shutting down."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run(
        self,
        label: str,
        records: int,
        attempt: Callable[[], Awaitable[T]],
        *,
        transient: Callable[[BaseException], bool] = is_transient,
        on_retry: Callable[[BaseException, float], None] | None = None,
    ) -> T:
        """``attempt()`` until it succeeds. A transient failure backs off and tries again;
        any other propagates; a shutdown during the back-off raises ShutdownRequested."""
        key = next(self._keys)
        delay = self._first_delay_s
        self._batches[key] = batch = Retrying(label, records, self._clock())
        try:
            while True:
                try:
                    return await attempt()
                except Exception as exc:
                    if not transient(exc):
                        raise
                    batch.attempts += 1
                    batch.error = f"{type(exc).__name__}: {str(exc)[:200]}"
                    if on_retry is not None:
                        on_retry(exc, delay)
                await self._pause(delay)
                delay = min(max(delay * 2, self._first_delay_s), self.max_delay_s)
        finally:
            self._batches.pop(key, None)

    def longest(self) -> Retrying | None:
        """The oldest batch in progress, if any."""
        return min(self._batches.values(), key=lambda r: r.since, default=None)

    def longest_s(self) -> float:
        """Seconds the oldest batch in progress has been at it (0 when none is)."""
        longest = self.longest()
        return 0.0 if longest is None else self._clock() - longest.since

    def stalled(self) -> bool:
        """A batch has been in progress for longer than ``stall_after_s``."""
        return self.longest() is not None and self.longest_s() >= self.stall_after_s

    def stall(self) -> dict[str, object] | None:
        """What /ready says of the oldest batch in progress, once past ``stall_after_s``."""
        longest = self.longest()
        if longest is None or not self.stalled():
            return None
        return {
            "topic": longest.label,
            "records": longest.records,
            "in_progress_s": round(self.longest_s(), 1),
            "failed_attempts": longest.attempts,
            "error": longest.error,
        }

    async def _pause(self, delay: float) -> None:
        if not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        if self._stopping.is_set():
            raise ShutdownRequested("the worker is stopping")
