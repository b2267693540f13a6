"""Contact pressure: caps across every type and channel, per-channel caps, and a
cooldown per type.

This module is the one home of the rule: the atomic reservation the Redis
script performs (``streams.redis.commit_script.COMMIT_PERSON``) mirrors it with
the constants below and the :class:`ContactAsk` it is given, and
:func:`pressure_text` words its verdict wherever it is taken. Both apply exactly
these rules, in this order, all in event time:

1. The same trigger id already in the history is allowed, on the channel it was
   reserved on: re-emitting a decision after a crash is not a new contact.
2. ``cooldown``: a contact of the same type less than ``cooldown_ms`` away
   from ``at_ms``, before or after.
3. ``capped`` (not for a type ``exempt_from_caps``): ``per_day`` contacts in the
   customer's local calendar day of ``at_ms`` (their zone, else the rules'), or
   ``per_week`` less than 7 days away, before or after. Contacts of exempt types
   are not counted.
4. ``channel_capped``: each consented channel, preferred first, is tried against
   its own caps (``ContactCaps.channels``, the same two windows, counting every
   contact on that channel, exempt ones included); the first one under them is
   granted. None left: ``channel_capped``.

The week window looks both ways because one person's decisions do not arrive in
event-time order: two workers handle their anonymous and identified events, and
a late event or a backfill decides behind recorded contacts. Looking both ways,
no rolling 7 d window ever holds more than ``per_week`` contacts. The day is a
calendar day, so it holds at most ``per_day`` whatever the order, on the clock of
the zone each decision was judged in (a customer whose zone changes, a traveller,
is judged by the zone known at each decision).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models.context.document import iso
from models.context.limits import DAY_MS
from models.offers.channels import ChannelChoice
from models.offers.rules import (
    ChannelCaps,
    ContactCaps,
    SuppressionReason,
    TriggerRule,
    TriggerType,
)
from models.offers.texts import duration_text
from models.timezones import local_day_ms

WEEK_MS = 7 * DAY_MS
# How far back the history is kept, from its newest contact: the week window looks
# both ways, plus a day for decisions that arrive late.
HISTORY_MS = 8 * DAY_MS

__all__ = [
    "DAY_MS",
    "HISTORY_MS",
    "WEEK_MS",
    "ChannelCount",
    "Contact",
    "ContactAsk",
    "PressureVerdict",
    "contact_ask",
    "contact_documents",
    "global_counts",
    "granted_choice",
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
class ContactAsk:
    """A decision asking for a contact slot, as the rule and its Redis twin judge it."""

    trigger_id: str
    trigger_type: str
    at_ms: int
    cooldown_ms: int
    # The customer's local calendar day around at_ms: [midnight, next midnight).
    day_start_ms: int
    day_end_ms: int
    # Consented channels, preferred first: the first one under its own caps is granted.
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelCount:
    """A channel's contacts in the two windows, for one that was at its cap."""

    channel: str
    day_count: int
    week_count: int


@dataclass(frozen=True, slots=True)
class PressureVerdict:
    """Whether a contact is allowed, on which channel, and the counts it was judged on."""

    reason: SuppressionReason | None  # None: allowed; else cooldown, capped, channel_capped
    # Contacts the global caps count: in the local day, and less than 7 days away.
    day_count: int
    week_count: int
    channel: str | None = None  # the channel granted
    skipped: tuple[ChannelCount, ...] = ()  # preferred channels passed over, at their cap


def pressure_verdict(
    history: Sequence[Contact],
    ask: ContactAsk,
    caps: ContactCaps,
) -> PressureVerdict:
    day_window = (ask.day_start_ms, ask.day_end_ms)
    day, week = _global_counts(history, ask.at_ms, day_window, caps.exempt_types)
    again = next((c for c in history if c.trigger_id == ask.trigger_id), None)
    if again is not None:
        return PressureVerdict(None, day, week, again.channel)
    if any(
        str(c.type) == ask.trigger_type and _within(c, ask.at_ms, ask.cooldown_ms) for c in history
    ):
        return PressureVerdict(SuppressionReason.COOLDOWN, day, week)
    exempt = ask.trigger_type in caps.exempt_types  # a service message: never stopped
    if not exempt and (day >= caps.per_day or week >= caps.per_week):
        return PressureVerdict(SuppressionReason.CAPPED, day, week)
    skipped: list[ChannelCount] = []
    for channel in ask.channels:
        count = _channel_count(history, channel, ask)
        if not _at_cap(count, caps.channels.get(channel)):
            return PressureVerdict(None, day, week, channel, tuple(skipped))
        skipped.append(count)
    return PressureVerdict(SuppressionReason.CHANNEL_CAPPED, day, week, None, tuple(skipped))


def global_counts(
    history: Sequence[Contact], at_ms: int, zone: str, caps: ContactCaps
) -> tuple[int, int]:
    """The contacts the global caps count at ``at_ms``: in its local day, in 7 days."""
    return _global_counts(history, at_ms, local_day_ms(at_ms, zone), caps.exempt_types)


def _global_counts(
    history: Sequence[Contact], at_ms: int, day: tuple[int, int], exempt_types: frozenset[str]
) -> tuple[int, int]:
    counted = [c for c in history if str(c.type) not in exempt_types]
    return (
        sum(day[0] <= c.at_ms < day[1] for c in counted),
        sum(_within(c, at_ms, WEEK_MS) for c in counted),
    )


def contact_ask(
    trigger_id: str,
    rule: TriggerRule,
    at_ms: int,
    zone: str,
    channels: Sequence[ChannelChoice],
) -> ContactAsk:
    """What a decision asks for: its day is the local calendar day in ``zone``."""
    day_start, day_end = local_day_ms(at_ms, zone)
    names = tuple(c.channel.value for c in channels if c.channel is not None)
    return ContactAsk(
        trigger_id,
        rule.type.value,
        at_ms,
        rule.cooldown_ms,
        day_start,
        day_end,
        names,
    )


def granted_choice(
    options: Sequence[ChannelChoice], verdict: PressureVerdict, caps: ContactCaps
) -> ChannelChoice:
    """The consented channel the verdict granted, its detail naming the channels passed
    over. A re-emission whose channel is no longer consented goes on the preferred one."""
    choice = next(
        (o for o in options if o.channel is not None and o.channel.value == verdict.channel),
        options[0],
    )
    if not verdict.skipped:
        return choice
    full = "; ".join(_channel_text(count, caps) for count in verdict.skipped)
    return replace(choice, detail=f"{choice.detail} ({full})")


def pressure_text(
    verdict: PressureVerdict, caps: ContactCaps, cooldown_ms: int, *, exempt: bool = False
) -> str:
    """The verdict in words, for suppressions and the API's explanations."""
    if verdict.reason is SuppressionReason.COOLDOWN:
        return f"same offer type sent less than {duration_text(cooldown_ms)} ago"
    day, week = verdict.day_count, verdict.week_count
    counts = f"{day}/{caps.per_day} today (local day), {week}/{caps.per_week} in 7 days"
    full = "; ".join(_channel_text(count, caps) for count in verdict.skipped)
    if verdict.reason is SuppressionReason.CAPPED:
        return f"contact cap reached: {counts}"
    if verdict.reason is SuppressionReason.CHANNEL_CAPPED:
        return f"every consented channel is at its own cap: {full}"
    within = "exempt from the contact caps" if exempt else "within the contact caps"
    if verdict.skipped:
        return f"{within}: {counts}; {full}, so {verdict.channel}"
    return f"{within}: {counts}"


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


def _channel_count(history: Sequence[Contact], channel: str, ask: ContactAsk) -> ChannelCount:
    on_channel = [c for c in history if c.channel == channel]
    return ChannelCount(
        channel,
        sum(ask.day_start_ms <= c.at_ms < ask.day_end_ms for c in on_channel),
        sum(_within(c, ask.at_ms, WEEK_MS) for c in on_channel),
    )


def _at_cap(count: ChannelCount, limits: ChannelCaps | None) -> bool:
    if limits is None:
        return False
    day_full = limits.per_day is not None and count.day_count >= limits.per_day
    week_full = limits.per_week is not None and count.week_count >= limits.per_week
    return day_full or week_full


def _channel_text(count: ChannelCount, caps: ContactCaps) -> str:
    limits = caps.channels.get(count.channel) or ChannelCaps()
    windows = [
        f"{used}/{cap} {span}"
        for used, cap, span in (
            (count.day_count, limits.per_day, "today"),
            (count.week_count, limits.per_week, "in 7 days"),
        )
        if cap is not None
    ]
    return f"{count.channel} at its cap ({', '.join(windows)})"
