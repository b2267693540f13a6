"""The customer's own time zone, as their devices last reported it.

The latest report by event time wins, as for consent, so a late event never
overrides a newer zone and a replay folds to the same zone. Two reports at the
same instant resolve to the greater name: any fixed choice would do, this one
does not depend on the order they arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    zone: str  # an IANA name zoneinfo knows (checked when parsed)
    updated_ms: int


def update(known: ZoneChoice | None, zone: str, at_ms: int) -> ZoneChoice:
    reported = ZoneChoice(zone, at_ms)
    return reported if known is None else _later(known, reported)


def merge(ours: ZoneChoice | None, theirs: ZoneChoice | None) -> ZoneChoice | None:
    if ours is None or theirs is None:
        return ours or theirs
    return _later(ours, theirs)


def _later(ours: ZoneChoice, theirs: ZoneChoice) -> ZoneChoice:
    return max(ours, theirs, key=lambda choice: (choice.updated_ms, choice.zone))
