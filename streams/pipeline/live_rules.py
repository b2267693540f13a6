"""Live offer rules: the worker re-reads its rules file and applies a changed, valid
version without a restart.

A marketer's edit must never half-apply or stop the worker, so a new version is
validated in full first; a file that fails (a typo, a half-written save, a file briefly
missing while a ConfigMap is swapped) keeps the rules in effect, and the error is
logged once per distinct file content, with the field path the validator names.

The version is the file's :func:`~models.offers.rules_file.rules_version`: what every
trigger and suppression carries, and what the API and console show.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from models.offers.rules import OfferRules
from models.offers.rules_file import RulesError, parse_rules_file, read_rules_file, rules_version

log = logging.getLogger(__name__)

Apply = Callable[[OfferRules], None]


@dataclass(frozen=True, slots=True)
class RulesFile:
    """One validated version of the rules file, as the worker applied it."""

    path: str
    raw: bytes
    rules: OfferRules
    applied_at_ms: int

    @property
    def version(self) -> str:
        return self.rules.version

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Rejection:
    """The newest file content that failed validation, and why; the rules in effect stay."""

    version: str
    error: str
    at_ms: int


class LiveRules:
    """The rules in effect and their source file. :meth:`check` re-reads the file;
    a changed valid version is handed to every subscriber, in the order they subscribed,
    in one synchronous step, so no await sees some components on the old rules and
    others on the new."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._path = os.fspath(path)
        self._clock_ms = clock_ms
        raw = read_rules_file(self._path)
        self.current = RulesFile(
            self._path, raw, parse_rules_file(raw, self._path), self._clock_ms()
        )
        self.rejection: Rejection | None = None
        self.applied = 0  # versions applied since start-up, the first excluded
        self.rejected = 0  # distinct file contents rejected since start-up
        self._subscribers: list[Apply] = []

    @property
    def rules(self) -> OfferRules:
        return self.current.rules

    @property
    def path(self) -> str:
        return self._path

    def subscribe(self, apply: Apply) -> None:
        self._subscribers.append(apply)

    def check(self) -> bool:
        """Re-read the file; apply it if it changed and is valid. True when applied."""
        try:
            raw = read_rules_file(self._path)
        except RulesError as exc:
            self._reject("unreadable", str(exc))
            return False
        version = rules_version(raw)
        if version == self.current.version:
            self.rejection = None  # a rejected edit was reverted: nothing is pending
            return False
        if self.rejection is not None and self.rejection.version == version:
            return False  # already reported; wait for the next edit
        try:
            rules = parse_rules_file(raw, self._path)
        except RulesError as exc:
            self._reject(version, str(exc))
            return False
        previous = self.current.version
        self.current = RulesFile(self._path, raw, rules, self._clock_ms())
        self.rejection = None
        self.applied += 1
        for apply in self._subscribers:
            apply(rules)
        log.warning("offer rules %s applied (were %s), from %s", version, previous, self._path)
        return True

    def _reject(self, version: str, error: str) -> None:
        if self.rejection is not None and self.rejection.version == version:
            return
        self.rejection = Rejection(version, error, self._clock_ms())
        self.rejected += 1
        log.error(
            "offer rules file rejected, rules %s stay in effect: %s", self.current.version, error
        )
