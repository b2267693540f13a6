"""Channel choice: consent first, then quiet hours.

The first channel of the rule's list that the person consented to wins; no
consent means no message (consent defaults to refused). Anonymous visitors can
only be reached through ads, and only with ads consent.

Quiet-hours policy: a channel in ``QuietHours.channels`` chosen inside the
local quiet window is kept, and the trigger carries ``send_after`` = the end of
the window, rather than falling back to a less preferred channel: the rule's
order is the marketer's choice, and a morning SMS beats an email now (only a
channel at its own cap falls back, :mod:`.pressure`). The window is local wall
time on the customer's clock (their ``context.timezone``, else
``QuietHours.timezone``), ``[start, end)``, and
wraps midnight when ``start > end``; ``start == end`` means no quiet hours. On
daylight-saving days the end is the wall time on the shifted clock; an end time
that does not exist (spring forward) resolves to the gap's length after the jump
(where the old offset puts it: later, never inside the window), and an ambiguous
one (fall back) to its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.context.state import CustomerContext
from models.identity import Identity
from models.offers.local_time import customer_quiet_hours
from models.offers.rules import ContactChannel, QuietHours, TriggerRule

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ChannelChoice:
    channel: ContactChannel | None
    send_after_ms: int | None = None
    detail: str = ""


def choose_channel(
    rule: TriggerRule, context: CustomerContext, person: Identity, quiet: QuietHours, now_ms: int
) -> ChannelChoice:
    """The preferred consented channel, or none with why not."""
    options = consented_channels(rule, context, person, quiet, now_ms)
    if options:
        return options[0]
    if person.is_anonymous and ContactChannel.ADS not in rule.channels:
        return ChannelChoice(None, detail="anonymous visitor: only ads, not a channel of the rule")
    allowed = _reachable(rule, person)
    return ChannelChoice(None, detail=f"no consent for {', '.join(allowed) or 'none'}")


def consented_channels(
    rule: TriggerRule, context: CustomerContext, person: Identity, quiet: QuietHours, now_ms: int
) -> tuple[ChannelChoice, ...]:
    """Every channel the decision may use, preferred first, each with its quiet-hours
    delay on the customer's clock. Per-channel caps pick among them (the first one under
    its own caps): a capped channel falls back to the next."""
    local_quiet = customer_quiet_hours(context, quiet)
    return tuple(
        _quiet_choice(channel, index, local_quiet, now_ms)
        for index, channel in enumerate(
            c for c in _reachable(rule, person) if context.consented(c.value)
        )
    )


def _reachable(rule: TriggerRule, person: Identity) -> tuple[ContactChannel, ...]:
    if person.is_anonymous:
        return tuple(c for c in rule.channels if c is ContactChannel.ADS)
    return rule.channels


def _quiet_choice(
    channel: ContactChannel, index: int, quiet: QuietHours, now_ms: int
) -> ChannelChoice:
    ranked = "first consented channel" if index == 0 else "next consented channel"
    end_ms = quiet_end_ms(quiet, now_ms) if channel in quiet.channels else None
    if end_ms is None:
        return ChannelChoice(channel, detail=f"{channel.value}: {ranked}")
    window = f"{quiet.start:%H:%M}-{quiet.end:%H:%M} {quiet.timezone}"
    local_end = _at(end_ms).astimezone(ZoneInfo(quiet.timezone))
    detail = f"{channel.value} in quiet hours {window}: sent after {local_end.isoformat()}"
    return ChannelChoice(channel, end_ms, detail)


def quiet_end_ms(quiet: QuietHours, now_ms: int) -> int | None:
    """The end of the quiet window ``now_ms`` falls in, or None outside quiet hours."""
    start, end = quiet.start.replace(tzinfo=None), quiet.end.replace(tzinfo=None)
    if start == end:
        return None
    zone = ZoneInfo(quiet.timezone)
    local = _at(now_ms).astimezone(zone)
    clock = local.time()
    today = local.date()
    if start < end:
        inside = start <= clock < end
        end_day = today
    else:
        inside = clock >= start or clock < end
        end_day = today + timedelta(days=1) if clock >= start else today
    if not inside:
        return None
    # Never earlier than now, whatever a clock change did to the wall time.
    return max(_wall_ms(end_day, end, zone), now_ms)


def _wall_ms(day: date, wall: time, zone: ZoneInfo) -> int:
    # fold=0: the first occurrence of an ambiguous time, the old offset for a skipped one.
    local = datetime.combine(day, wall, tzinfo=zone)
    return (local.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1)


def _at(epoch_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=epoch_ms)
