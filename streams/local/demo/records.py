"""What the generator yields: Kafka records, and the event drafts they are packed from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class GeneratedRecord:
    topic: str
    key: bytes | None
    value: bytes
    valid: bool
    reason: str | None


@dataclass(slots=True)
class Draft:
    """An event at an offset in seconds from its journey's start, not yet stamped."""

    at: float
    topic: str
    event: dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_key(event: Mapping[str, Any]) -> bytes | None:
    person = event.get("userId") or event.get("anonymousId")
    return person.encode() if person else None
