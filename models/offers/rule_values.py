"""Readers for single values of the offer rules file; each raises :class:`RulesError`
naming the field by its dotted path."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.offers.rules import ContactChannel

#: Longest accepted duration (ten years): guards against typos such as "9000000d"
#: overflowing timers and TTLs downstream.
MAX_DURATION_MS = 3650 * 86_400_000


class RulesError(ValueError):
    """The offer rules are invalid. ``str(error)`` is a one-line message for the
    marketer naming the field by its dotted path; ``field`` is that path (None for
    errors about the file as a whole, such as a TOML syntax error)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------- durations

_UNIT_MS: dict[str, int] = {
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1_000,
    "ms": 1,
}
_UNIT_ORDER = ("d", "h", "m", "s", "ms")
# One "<digits><unit>" part; the unit must not run on into more letters ("30minutes").
# ASCII digits only, and few enough of them that int() is cheap and bounded.
_DURATION_PART = re.compile(r"([0-9]{1,15})(ms|d|h|m|s)(?![A-Za-z])\s*")
_DURATION_HINT = 'a duration like "30m", "2h" or "45s"'


def parse_duration_ms(text: str, field: str) -> int:
    """``"1h30m"`` -> 5_400_000. Units: d, h, m, s, ms, largest first, each at most
    once, optionally separated by spaces. ``"0s"`` is zero. Raises
    :class:`RulesError` naming ``field`` for anything else, negatives included."""
    if not isinstance(text, str):
        raise RulesError(f"{field}: must be {_DURATION_HINT} (in quotes), not {show(text)}", field)
    body = text.strip()
    negative = body.startswith("-")
    if negative:
        body = body[1:].lstrip()
    total = 0
    previous = -1
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None:
            break
        rank = _UNIT_ORDER.index(match.group(2))
        if rank <= previous:  # repeated or out-of-order unit: "30m1h", "1h1h"
            break
        previous = rank
        total += int(match.group(1)) * _UNIT_MS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise RulesError(f"{field}: {show(text)} is not {_DURATION_HINT}", field)
    if negative and total:
        raise RulesError(f"{field}: {show(text)} is negative; durations are 0 or more", field)
    if total > MAX_DURATION_MS:
        raise RulesError(f"{field}: {show(text)} is longer than the maximum of 3650d", field)
    return total


# --------------------------------------------------------------------------- layout

_CHANNEL_NAMES = tuple(channel.value for channel in ContactChannel)
_CHANNEL_HINT = "use " + ", ".join(_CHANNEL_NAMES[:-1]) + " or " + _CHANNEL_NAMES[-1]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def table(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        if not path:
            raise RulesError(f"the rules document must be a table, not {show(value)}")
        raise RulesError(f"{path}: must be a table ([{path}]), not {show(value)}", path)
    return value


def check_keys(
    table: Mapping[str, Any],
    path: str,
    allowed: Sequence[str],
    required: Iterable[str],
    *,
    what: str = "key",
) -> None:
    for key in table:
        if key not in allowed:
            field = join(path, key)
            raise RulesError(
                f"{field}: unknown {what}{suggestion(key, allowed)}; allowed: {', '.join(allowed)}",
                field,
            )
    for key in required:
        if key not in table:
            field = join(path, key)
            raise RulesError(f"{field} is missing", field)


def whole_number(value: Any, field: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(
            f"{field}: must be a whole number of at least {minimum}, not {show(value)}", field
        )
    if value < minimum:
        raise RulesError(f"{field}: must be at least {minimum}, not {value}", field)
    if maximum is not None and value > maximum:
        raise RulesError(f"{field}: must be at most {maximum}, not {value}", field)
    return value


def priority(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{field}: must be a number greater than 0, not {show(value)}", field)
    if not math.isfinite(value) or value <= 0:
        raise RulesError(f"{field}: must be a number greater than 0, not {show(value)}", field)
    return float(value)


def positive_duration(value: Any, field: str) -> int:
    milliseconds = parse_duration_ms(value, field)
    if milliseconds <= 0:
        raise RulesError(f"{field}: must be longer than zero, not {show(value)}", field)
    return milliseconds


def text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RulesError(f"{field}: must be text (in quotes), not {show(value)}", field)
    if not value.strip():
        raise RulesError(f"{field}: must not be empty", field)
    return value


def channels(value: Any, field: str, *, allow_empty: bool) -> tuple[ContactChannel, ...]:
    if not isinstance(value, list):
        raise RulesError(
            f'{field}: must be a list of channels such as ["email", "push"], not {show(value)}',
            field,
        )
    channels: list[ContactChannel] = []
    for item in value:
        if not isinstance(item, str) or item not in _CHANNEL_NAMES:
            raise RulesError(f"{field}: {show(item)} is not a channel; {_CHANNEL_HINT}", field)
        channel = ContactChannel(item)
        if channel in channels:
            raise RulesError(f"{field}: {show(item)} is listed twice", field)
        channels.append(channel)
    if not channels and not allow_empty:
        raise RulesError(
            f"{field}: the list is empty while the trigger is enabled; list at least one "
            f"channel ({', '.join(_CHANNEL_NAMES)}) or set enabled = false",
            field,
        )
    return tuple(channels)


def category_list(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise RulesError(
            f'{field}: must be a list of categories such as ["socks", "bags"], not {show(value)}',
            field,
        )
    categories: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise RulesError(
                f"{field}: {show(item)} is not a category name (non-empty text)", field
            )
        if item in categories:
            raise RulesError(f"{field}: {show(item)} is listed twice", field)
        categories.append(item)
    return tuple(categories)


def clock_time(value: Any, field: str) -> time:
    hint = f'{field}: must be a time "HH:MM" on the 24-hour clock, e.g. "21:00", not {show(value)}'
    if isinstance(value, time):  # a TOML local time, e.g. start = 21:00:00
        if value.tzinfo is not None or value.second or value.microsecond:
            raise RulesError(hint, field)
        return value
    if not isinstance(value, str):
        raise RulesError(hint, field)
    match = _CLOCK.fullmatch(value.strip())
    if match is None:
        raise RulesError(hint, field)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise RulesError(hint, field)
    return time(hour, minute)


def time_zone(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(
            f'{field}: must be a time zone name such as "Europe/Paris", not {show(value)}', field
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise RulesError(
            f"{field}: {show(value)} is not a known IANA time zone "
            '(e.g. "Europe/Paris", "America/New_York", "UTC")',
            field,
        ) from None
    return value


# --------------------------------------------------------------------------- messages


def join(path: str, key: str) -> str:
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{path}.{shown}" if path else shown


def suggestion(key: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def show(value: Any) -> str:
    """A value as the marketer wrote it in TOML, shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
        return shown
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime | time):
        return value.isoformat()
    return type(value).__name__
