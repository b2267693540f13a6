"""The customer's own time zone: checking a name a tracker sent, and local calendar days.

Segment's ``context.timezone`` is an IANA name ("Europe/Paris"). A tracker may send
anything, so a name is only kept when :mod:`zoneinfo` knows it; a bad one is a
problem of that field, not of the event (:func:`zone_problem`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The longest IANA name is about 30 characters; longer text is not a zone.
MAX_ZONE_CHARS = 64

# Names the zone database answers that are no place: the machine's own zone (it would
# differ from worker to worker) and the tz database's placeholder for "not set".
_NOT_A_PLACE = frozenset({"localtime", "posixrules", "Factory"})

# Why a sent zone was ignored: stable codes, a metric counts them.
NOT_TEXT = "not_text"
UNKNOWN_ZONE = "unknown_zone"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone_problem(value: Any) -> str | None:
    """None when ``value`` is a zone this machine knows, else why it is not."""
    if not isinstance(value, str):
        return NOT_TEXT
    if len(value) > MAX_ZONE_CHARS or value in _NOT_A_PLACE or not _known(value):
        return UNKNOWN_ZONE
    return None


@lru_cache(maxsize=1024)
def _known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_day_ms(at_ms: int, zone: str) -> tuple[int, int]:
    """The local calendar day ``at_ms`` falls in, in ``zone``: ``[midnight, next midnight)``
    in epoch ms. A daylight-saving day lasts 23 or 25 hours.

    fold=0 gives the right instant either way: an ambiguous midnight (clocks fall back
    over it) starts the day at its first occurrence; a skipped one (clocks spring forward
    at 00:00) takes the offset before the jump, which lands on the jump itself, the
    first instant of that date.
    """
    tz = ZoneInfo(zone)
    day = (_EPOCH + timedelta(milliseconds=at_ms)).astimezone(tz).date()
    following = day + timedelta(days=1)
    return _epoch_ms(datetime.combine(day, time(), tz)), _epoch_ms(
        datetime.combine(following, time(), tz)
    )


def _epoch_ms(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1)
