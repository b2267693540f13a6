"""Read and validate the marketer's offer rules file (``config/offers.toml``).

The file is data a person edits by hand, so validation is strict and
all-or-nothing: :func:`parse_rules` either returns a complete, frozen
:class:`~models.offers.rules.OfferRules` or raises :class:`RulesError` whose
message names the offending field by its dotted path, e.g.::

    triggers.abandoned_basket.delay: "30 minutes" is not a duration like "30m", "2h" or "45s"

Unknown keys are errors (a misspelt ``prority`` must not silently fall back to a
default), every key shown in the shipped file is required, and every one of the
five trigger types must be present (``enabled = false`` turns one off).

Durations are written as text: ``"45s"``, ``"30m"``, ``"24h"``, ``"90d"``,
``"500ms"``, or combinations, largest unit first: ``"1h30m"``, ``"2d 12h"``.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.offers.rules import (
    ContactCaps,
    ContactChannel,
    OfferRules,
    OfferTemplate,
    QuietHours,
    TriggerRule,
    TriggerType,
)

__all__ = [
    "DEFAULT_RULES_PATH",
    "MAX_DURATION_MS",
    "RulesError",
    "load_rules",
    "parse_duration_ms",
    "parse_rules",
]

#: The rules file shipped with the repository.
DEFAULT_RULES_PATH: Path = Path(__file__).resolve().parents[2] / "config" / "offers.toml"

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
        raise RulesError(f"{field}: must be {_DURATION_HINT} (in quotes), not {_show(text)}", field)
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
        raise RulesError(f"{field}: {_show(text)} is not {_DURATION_HINT}", field)
    if negative and total:
        raise RulesError(f"{field}: {_show(text)} is negative; durations are 0 or more", field)
    if total > MAX_DURATION_MS:
        raise RulesError(f"{field}: {_show(text)} is longer than the maximum of 3650d", field)
    return total


# --------------------------------------------------------------------------- layout

_SECTIONS = ("contact_pressure", "quiet_hours", "trends", "cross_sell", "triggers")
_CAPS_KEYS = ("max_per_day", "max_per_week")
_QUIET_KEYS = ("start", "end", "timezone", "channels")
_TRENDS_KEYS = ("window",)
_TRIGGER_KEYS = ("enabled", "priority", "delay", "cooldown", "channels", "offer")
_OFFER_KEYS = ("offer_id", "incentive", "expires")
# Thresholds each trigger type requires (and the only extra keys it accepts).
_THRESHOLD_KEYS: dict[TriggerType, tuple[str, ...]] = {
    TriggerType.ABANDONED_BASKET: (),
    TriggerType.BROWSE_ABANDONMENT: ("min_views", "window"),
    TriggerType.WEB_TO_STORE: ("min_views", "window"),
    TriggerType.CROSS_SELL: (),
    TriggerType.REACTIVATION: ("lapse",),
}
_CHANNEL_NAMES = tuple(channel.value for channel in ContactChannel)
_CHANNEL_HINT = "use " + ", ".join(_CHANNEL_NAMES[:-1]) + " or " + _CHANNEL_NAMES[-1]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_rules(document: Mapping[str, Any]) -> OfferRules:
    """Validate a parsed rules document (e.g. from :func:`tomllib.load`) into
    :class:`OfferRules`, durations in milliseconds. Raises :class:`RulesError` on the
    first problem found; nothing is returned half-built."""
    root = _table(document, "")
    _check_keys(root, "", _SECTIONS, _SECTIONS, what="section")
    caps = _parse_caps(_table(root["contact_pressure"], "contact_pressure"), "contact_pressure")
    quiet_hours = _parse_quiet_hours(_table(root["quiet_hours"], "quiet_hours"), "quiet_hours")
    trends = _table(root["trends"], "trends")
    _check_keys(trends, "trends", _TRENDS_KEYS, _TRENDS_KEYS)
    trend_window_ms = _positive_duration(trends["window"], "trends.window")
    cross_sell = _parse_cross_sell(_table(root["cross_sell"], "cross_sell"), "cross_sell")
    triggers = _parse_triggers(_table(root["triggers"], "triggers"), "triggers")
    return OfferRules(
        triggers=triggers,
        caps=caps,
        quiet_hours=quiet_hours,
        cross_sell=cross_sell,
        trend_window_ms=trend_window_ms,
    )


def load_rules(path: str | os.PathLike[str]) -> OfferRules:
    """Read and validate a rules file. Any problem (unreadable file, TOML syntax
    error, invalid value) raises :class:`RulesError` whose message starts with the
    file's path (and, for syntax errors, the line and column)."""
    shown = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise RulesError(f"{shown}: cannot read the offer rules file: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RulesError(f"{shown}: the offer rules file is not UTF-8 text: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{shown}{_toml_error_location(str(exc))}") from None
    try:
        return parse_rules(document)
    except RulesError as exc:
        raise RulesError(f"{shown}: {exc}", exc.field) from None


# --------------------------------------------------------------------------- sections


def _parse_caps(table: Mapping[str, Any], path: str) -> ContactCaps:
    _check_keys(table, path, _CAPS_KEYS, _CAPS_KEYS)
    per_day = _whole_number(table["max_per_day"], f"{path}.max_per_day", minimum=1)
    per_week = _whole_number(table["max_per_week"], f"{path}.max_per_week", minimum=1)
    if per_week < per_day:
        raise RulesError(
            f"{path}.max_per_week: {per_week} is less than {path}.max_per_day ({per_day}); "
            "a week must allow at least one day's worth",
            f"{path}.max_per_week",
        )
    return ContactCaps(per_day=per_day, per_week=per_week)


def _parse_quiet_hours(table: Mapping[str, Any], path: str) -> QuietHours:
    _check_keys(table, path, _QUIET_KEYS, _QUIET_KEYS)
    start = _clock_time(table["start"], f"{path}.start")
    end = _clock_time(table["end"], f"{path}.end")
    if start == end:
        raise RulesError(
            f"{path}.end: equals {path}.start ({start:%H:%M}); the window would be empty "
            f"or all day (to turn quiet hours off, set {path}.channels = [])",
            f"{path}.end",
        )
    timezone = _time_zone(table["timezone"], f"{path}.timezone")
    channels = _channels(table["channels"], f"{path}.channels", allow_empty=True)
    return QuietHours(start=start, end=end, timezone=timezone, channels=channels)


def _parse_cross_sell(table: Mapping[str, Any], path: str) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for category, complements in table.items():
        field = _join(path, category)
        if not category.strip():
            raise RulesError(f"{field}: a category name must not be empty", field)
        result[category] = _category_list(complements, field)
    return result


def _parse_triggers(table: Mapping[str, Any], path: str) -> dict[TriggerType, TriggerRule]:
    names = tuple(trigger_type.value for trigger_type in TriggerType)
    for name in table:
        if name not in names:
            field = _join(path, name)
            raise RulesError(
                f"{field}: unknown trigger type{_suggestion(name, names)}; "
                f"the types are {', '.join(names)}",
                field,
            )
    rules: dict[TriggerType, TriggerRule] = {}
    for trigger_type in TriggerType:
        field = _join(path, trigger_type.value)
        if trigger_type.value not in table:
            raise RulesError(
                f"{field} is missing; set enabled = false to turn it off",
                field,
            )
        rules[trigger_type] = _parse_trigger(
            trigger_type, _table(table[trigger_type.value], field), field
        )
    return rules


def _parse_trigger(trigger_type: TriggerType, table: Mapping[str, Any], path: str) -> TriggerRule:
    thresholds = _THRESHOLD_KEYS[trigger_type]
    keys = _TRIGGER_KEYS + thresholds
    for key in table:
        if key not in keys and any(key in other for other in _THRESHOLD_KEYS.values()):
            field = _join(path, key)
            raise RulesError(
                f"{field}: {trigger_type.value} does not use {key} "
                f"(its keys are {', '.join(keys)})",
                field,
            )
    _check_keys(table, path, keys, _TRIGGER_KEYS)
    for key in thresholds:
        if key not in table:
            field = _join(path, key)
            raise RulesError(
                f"{field} is missing ({trigger_type.value} needs {' and '.join(thresholds)})",
                field,
            )
    enabled = table["enabled"]
    if not isinstance(enabled, bool):
        raise RulesError(
            f"{path}.enabled: must be true or false, not {_show(enabled)}", f"{path}.enabled"
        )
    priority = _priority(table["priority"], f"{path}.priority")
    delay_ms = parse_duration_ms(table["delay"], f"{path}.delay")
    cooldown_ms = parse_duration_ms(table["cooldown"], f"{path}.cooldown")
    channels = _channels(table["channels"], f"{path}.channels", allow_empty=not enabled)
    offer = _parse_offer(_table(table["offer"], f"{path}.offer"), f"{path}.offer")
    min_views = window_ms = lapse_ms = 0
    if "min_views" in thresholds:
        min_views = _whole_number(table["min_views"], f"{path}.min_views", minimum=1)
    if "window" in thresholds:
        window_ms = _positive_duration(table["window"], f"{path}.window")
    if "lapse" in thresholds:
        lapse_ms = _positive_duration(table["lapse"], f"{path}.lapse")
    return TriggerRule(
        type=trigger_type,
        enabled=enabled,
        priority=priority,
        delay_ms=delay_ms,
        cooldown_ms=cooldown_ms,
        channels=channels,
        offer=offer,
        min_views=min_views,
        window_ms=window_ms,
        lapse_ms=lapse_ms,
    )


def _parse_offer(table: Mapping[str, Any], path: str) -> OfferTemplate:
    _check_keys(table, path, _OFFER_KEYS, _OFFER_KEYS)
    return OfferTemplate(
        offer_id=_text(table["offer_id"], f"{path}.offer_id"),
        incentive=_text(table["incentive"], f"{path}.incentive"),
        expires_after_ms=_positive_duration(table["expires"], f"{path}.expires"),
    )


# --------------------------------------------------------------------------- values


def _table(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        if not path:
            raise RulesError(f"the rules document must be a table, not {_show(value)}")
        raise RulesError(f"{path}: must be a table ([{path}]), not {_show(value)}", path)
    return value


def _check_keys(
    table: Mapping[str, Any],
    path: str,
    allowed: Sequence[str],
    required: Iterable[str],
    *,
    what: str = "key",
) -> None:
    for key in table:
        if key not in allowed:
            field = _join(path, key)
            raise RulesError(
                f"{field}: unknown {what}{_suggestion(key, allowed)}; "
                f"allowed: {', '.join(allowed)}",
                field,
            )
    for key in required:
        if key not in table:
            field = _join(path, key)
            raise RulesError(f"{field} is missing", field)


def _whole_number(value: Any, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(
            f"{field}: must be a whole number of at least {minimum}, not {_show(value)}", field
        )
    if value < minimum:
        raise RulesError(f"{field}: must be at least {minimum}, not {value}", field)
    return value


def _priority(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{field}: must be a number greater than 0, not {_show(value)}", field)
    if not math.isfinite(value) or value <= 0:
        raise RulesError(f"{field}: must be a number greater than 0, not {_show(value)}", field)
    return float(value)


def _positive_duration(value: Any, field: str) -> int:
    milliseconds = parse_duration_ms(value, field)
    if milliseconds <= 0:
        raise RulesError(f"{field}: must be longer than zero, not {_show(value)}", field)
    return milliseconds


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RulesError(f"{field}: must be text (in quotes), not {_show(value)}", field)
    if not value.strip():
        raise RulesError(f"{field}: must not be empty", field)
    return value


def _channels(value: Any, field: str, *, allow_empty: bool) -> tuple[ContactChannel, ...]:
    if not isinstance(value, list):
        raise RulesError(
            f'{field}: must be a list of channels such as ["email", "push"], not {_show(value)}',
            field,
        )
    channels: list[ContactChannel] = []
    for item in value:
        if not isinstance(item, str) or item not in _CHANNEL_NAMES:
            raise RulesError(f"{field}: {_show(item)} is not a channel; {_CHANNEL_HINT}", field)
        channel = ContactChannel(item)
        if channel in channels:
            raise RulesError(f"{field}: {_show(item)} is listed twice", field)
        channels.append(channel)
    if not channels and not allow_empty:
        raise RulesError(
            f"{field}: the list is empty while the trigger is enabled; list at least one "
            f"channel ({', '.join(_CHANNEL_NAMES)}) or set enabled = false",
            field,
        )
    return tuple(channels)


def _category_list(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise RulesError(
            f'{field}: must be a list of categories such as ["socks", "bags"], not {_show(value)}',
            field,
        )
    categories: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise RulesError(
                f"{field}: {_show(item)} is not a category name (non-empty text)", field
            )
        if item in categories:
            raise RulesError(f"{field}: {_show(item)} is listed twice", field)
        categories.append(item)
    return tuple(categories)


def _clock_time(value: Any, field: str) -> time:
    hint = f'{field}: must be a time "HH:MM" on the 24-hour clock, e.g. "21:00", not {_show(value)}'
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


def _time_zone(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(
            f'{field}: must be a time zone name such as "Europe/Paris", not {_show(value)}', field
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise RulesError(
            f"{field}: {_show(value)} is not a known IANA time zone "
            '(e.g. "Europe/Paris", "America/New_York", "UTC")',
            field,
        ) from None
    return value


# --------------------------------------------------------------------------- messages


def _join(path: str, key: str) -> str:
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{path}.{shown}" if path else shown


def _suggestion(key: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _show(value: Any) -> str:
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


_TOML_LOCATION = re.compile(r"^(?P<problem>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def _toml_error_location(message: str) -> str:
    """``"Invalid value (at line 3, column 10)"`` -> ``", line 3, column 10: ..."``."""
    match = _TOML_LOCATION.match(message)
    if match is None:
        return f": not valid TOML: {message}"
    return (
        f", line {match.group('line')}, column {match.group('col')}: "
        f"not valid TOML: {match.group('problem')}"
    )
