"""The per-person customer context and the pure fold of events into it.

The store loads a context, folds the new events with :func:`fold` and writes
it back atomically; nothing here knows about Redis. Folding is written so that
the order of events does not matter where it need not: times only move
forward, counters are sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from models.events import Event

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class CustomerContext:
    user_id: str | None = None
    anonymous_ids: tuple[str, ...] = ()
    first_seen_ms: int | None = None
    last_seen_ms: int | None = None
    last_channel: str | None = None
    events_total: int = 0
    events_by_type: dict[str, int] = field(default_factory=dict)
    events_by_channel: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """Canonical bytes: the same context always encodes the same way."""
        return orjson.dumps(
            {
                "schema": SCHEMA_VERSION,
                "user_id": self.user_id,
                "anonymous_ids": list(self.anonymous_ids),
                "first_seen_ms": self.first_seen_ms,
                "last_seen_ms": self.last_seen_ms,
                "last_channel": self.last_channel,
                "events_total": self.events_total,
                "events_by_type": self.events_by_type,
                "events_by_channel": self.events_by_channel,
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> CustomerContext:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(
            user_id=data["user_id"],
            anonymous_ids=tuple(data["anonymous_ids"]),
            first_seen_ms=data["first_seen_ms"],
            last_seen_ms=data["last_seen_ms"],
            last_channel=data["last_channel"],
            events_total=data["events_total"],
            events_by_type=dict(data["events_by_type"]),
            events_by_channel=dict(data["events_by_channel"]),
        )

    def to_document(self) -> dict[str, Any]:
        """The API view, with the field names of PRODUCT.md's context document."""
        return {
            "userId": self.user_id,
            "anonymousIds": list(self.anonymous_ids),
            "first_seen": _iso(self.first_seen_ms),
            "last_seen": _iso(self.last_seen_ms),
            "last_channel": self.last_channel,
            "events_total": self.events_total,
            "events_by_type": dict(self.events_by_type),
            "events_by_channel": dict(self.events_by_channel),
        }


def fold(context: CustomerContext, event: Event) -> CustomerContext:
    """The context after ``event``. Deduplication is the caller's job."""
    at = event.event_time_ms
    channel = event.channel.value
    anonymous_ids = context.anonymous_ids
    if event.anonymous_id is not None and event.anonymous_id not in anonymous_ids:
        anonymous_ids = (*anonymous_ids, event.anonymous_id)
    is_latest = (
        context.last_seen_ms is None
        or at > context.last_seen_ms
        or (at == context.last_seen_ms and channel > (context.last_channel or ""))
    )
    return replace(
        context,
        user_id=context.user_id or event.user_id,
        anonymous_ids=anonymous_ids,
        first_seen_ms=at if context.first_seen_ms is None else min(context.first_seen_ms, at),
        last_seen_ms=at if is_latest else context.last_seen_ms,
        last_channel=channel if is_latest else context.last_channel,
        events_total=context.events_total + 1,
        events_by_type=_increment(context.events_by_type, event.kind.value),
        events_by_channel=_increment(context.events_by_channel, channel),
    )


def _increment(counts: dict[str, int], key: str) -> dict[str, int]:
    updated = dict(counts)
    updated[key] = updated.get(key, 0) + 1
    return updated


def _iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class FoldOutcome:
    """What folding a batch into one context did."""

    context: CustomerContext
    applied: tuple[Event, ...]
    duplicates: int
    failed: tuple[tuple[Event, Exception], ...]


def fold_new_events(
    context: CustomerContext, events: list[Event], already_seen: set[str]
) -> FoldOutcome:
    """Fold the events not seen before, each messageId once.

    An event whose fold raises is reported in ``failed`` and left out, so one
    poisoned event never blocks the rest of its person's batch.
    """
    seen = set(already_seen)
    applied: list[Event] = []
    failed: list[tuple[Event, Exception]] = []
    duplicates = 0
    for event in sorted(events, key=lambda e: (e.event_time_ms, e.message_id)):
        if event.message_id in seen:
            duplicates += 1
            continue
        seen.add(event.message_id)
        try:
            context = fold(context, event)
        except Exception as exc:  # a bug on odd input must not stop the batch
            failed.append((event, exc))
            continue
        applied.append(event)
    return FoldOutcome(context, tuple(applied), duplicates, tuple(failed))
