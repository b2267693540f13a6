"""Contact pressure: caps across every type and channel, and a cooldown per type.

This module is the one home of the rule: the atomic reservation the Redis
script performs (``streams.redis.offer_keys.RESERVE_CONTACT``) mirrors it with
the constants below, and :func:`pressure_text` words its verdict wherever it is
taken. Both apply exactly these rules, in this order, all in event time:

1. The same trigger id already in the history is allowed: re-emitting a
   decision after a crash is not a new contact.
2. ``cooldown``: a contact of the same type less than ``cooldown_ms`` away
   from ``at_ms``, before or after.
3. ``capped``: ``per_day`` contacts less than 24 h away, or ``per_week`` less
   than 7 days away, before or after.

The windows look both ways because one person's decisions do not arrive in
event-time order: two workers handle their anonymous and identified events,
and a late event or a backfill decides behind recorded contacts. Looking both
ways, no rolling 24 h (7 d) window ever holds more than ``per_day``
(``per_week``) contacts. For caps above 1 it is stricter than a calendar day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from models.context.document import iso
from models.context.limits import DAY_MS
from models.offers.rules import ContactCaps, SuppressionReason, TriggerType
from models.offers.texts import duration_text

WEEK_MS = 7 * DAY_MS
# How far back the history is kept, from its newest contact: the week window looks
# both ways, plus a day for decisions that arrive late.
HISTORY_MS = 8 * DAY_MS

__all__ = [
    "DAY_MS",
    "HISTORY_MS",
    "WEEK_MS",
    "Contact",
    "PressureVerdict",
    "contact_documents",
    "pressure_text",
    "pressure_verdict",
]


@dataclass(frozen=True, slots=True)
class Contact:
    trigger_id: str
    # A plain string for a type this version does not know (written by a newer
    # one during a rolling deploy): it still counts against the caps.
    type: TriggerType | str
    at_ms: int
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class PressureVerdict:
    """Whether a contact is allowed, and the counts it was judged on."""

    reason: SuppressionReason | None  # None: allowed; else capped or cooldown
    # Contacts less than 24 h (7 days) from the decision, before or after it.
    day_count: int
    week_count: int


def pressure_verdict(
    history: Sequence[Contact],
    trigger_id: str,
    trigger_type: TriggerType,
    at_ms: int,
    caps: ContactCaps,
    cooldown_ms: int,
) -> PressureVerdict:
    day = sum(_within(c, at_ms, DAY_MS) for c in history)
    week = sum(_within(c, at_ms, WEEK_MS) for c in history)
    if any(c.trigger_id == trigger_id for c in history):
        return PressureVerdict(None, day, week)
    if any(c.type == trigger_type and _within(c, at_ms, cooldown_ms) for c in history):
        return PressureVerdict(SuppressionReason.COOLDOWN, day, week)
    if day >= caps.per_day or week >= caps.per_week:
        return PressureVerdict(SuppressionReason.CAPPED, day, week)
    return PressureVerdict(None, day, week)


def pressure_text(verdict: PressureVerdict, caps: ContactCaps, cooldown_ms: int) -> str:
    """The verdict in words, for suppressions and the API's explanations."""
    if verdict.reason is SuppressionReason.COOLDOWN:
        return f"same offer type sent less than {duration_text(cooldown_ms)} ago"
    day, week = verdict.day_count, verdict.week_count
    counts = f"{day}/{caps.per_day} in 24 h, {week}/{caps.per_week} in 7 days"
    if verdict.reason is SuppressionReason.CAPPED:
        return f"contact cap reached: {counts}"
    return f"within the contact caps: {counts}"


def contact_documents(contacts: Iterable[Contact]) -> list[dict[str, Any]]:
    """The context document's ``contacts``: recent triggers sent, newest first."""
    return [
        {
            "trigger_id": contact.trigger_id,
            "type": str(contact.type),
            "channel": contact.channel,
            "at": iso(contact.at_ms),
        }
        for contact in sorted(contacts, key=lambda c: (-c.at_ms, c.trigger_id))
    ]


def _within(contact: Contact, at_ms: int, span_ms: int) -> bool:
    return abs(at_ms - contact.at_ms) < span_ms
