"""A log line that a flood would repeat thousands of times a second, once per interval.

Out of files, a server fails every accept; at its connection cap it closes connection
after connection. Logging each would fill the disk (77 MB in 25 s were measured), and
one line per interval with a count of those held back tells the same story.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

INTERVAL_S = 10.0


class ThrottledLog:
    """Lets one line per interval through, and counts those it holds back."""

    def __init__(
        self, interval_s: float = INTERVAL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s, self.clock = interval_s, clock
        self._next_at = float("-inf")
        self._held_back = 0

    def warning(self, logger: logging.Logger, message: str, *args: object) -> None:
        now = self.clock()
        if now < self._next_at:
            self._held_back += 1
            return
        if self._held_back:
            message += f" ({self._held_back} more in the last {self.interval_s:g} s not logged)"
        self._held_back = 0
        self._next_at = now + self.interval_s
        logger.warning(message, *args)
