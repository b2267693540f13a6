"""Contact pressure: caps across every type and channel, and a cooldown per type.

This is the pure mirror of the atomic reservation the Redis script performs
(``streams.redis.offer_keys.RESERVE_CONTACT``); both apply exactly these rules, in
this order, all in event time:

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

from collections.abc import Sequence
from dataclasses import dataclass

from models.context.limits import DAY_MS

__all__ = ["DAY_MS", "HISTORY_MS", "WEEK_MS", "Contact", "pressure_verdict"]
from models.context.state import CustomerContext
from models.offers.rules import ContactCaps, SuppressionReason, TriggerType

WEEK_MS = 7 * DAY_MS
# How long contacts are kept: the week window looks both ways, plus a day of slack.
HISTORY_MS = WEEK_MS + DAY_MS


@dataclass(frozen=True, slots=True)
class Contact:
    trigger_id: str
    # A plain string for a type this version does not know (written by a newer
    # one during a rolling deploy): it still counts against the caps.
    type: TriggerType | str
    at_ms: int
    channel: str | None = None


def history(context: CustomerContext) -> tuple[Contact, ...]:
    """The contacts recorded in a context, as the verdict reads them."""
    known: dict[str, TriggerType | str] = {t.value: t for t in TriggerType}
    return tuple(
        Contact(c.trigger_id, known.get(c.trigger_type, c.trigger_type), c.at_ms)
        for c in context.contacts
    )


def pressure_verdict(
    history: Sequence[Contact],
    trigger_id: str,
    trigger_type: TriggerType,
    at_ms: int,
    caps: ContactCaps,
    cooldown_ms: int,
) -> SuppressionReason | None:
    """None when the contact is allowed, else why not."""
    if any(c.trigger_id == trigger_id for c in history):
        return None
    if any(c.type == trigger_type and _within(c, at_ms, cooldown_ms) for c in history):
        return SuppressionReason.COOLDOWN
    day = sum(_within(c, at_ms, DAY_MS) for c in history)
    week = sum(_within(c, at_ms, WEEK_MS) for c in history)
    if day >= caps.per_day or week >= caps.per_week:
        return SuppressionReason.CAPPED
    return None


def _within(contact: Contact, at_ms: int, span_ms: int) -> bool:
    return abs(at_ms - contact.at_ms) < span_ms
