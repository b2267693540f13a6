"""Readers for single JSON fields, each raising :class:`InvalidEvent` with a stable code.

Messages name the field (``properties.products[2].price``) so a producer team
can find its bug from the dead-letter record alone.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from models.bounds import MAX_ID_CHARS

E = TypeVar("E", bound=StrEnum)

# What no id may hold. Control characters (C0, DEL, C1): logs, terminals and header
# values interpret them. Braces: they delimit Redis Cluster hash tags and URL templates,
# and common routers (aiohttp's default placeholder among them) refuse them in a path,
# so an id holding one could be stored but neither read, exported nor erased. Lone
# surrogates cannot be encoded as UTF-8 (orjson refuses them; a caller's dict may not).
_NOT_IN_IDS = re.compile(r"[\x00-\x1f\x7f-\x9f{}\ud800-\udfff]")
# A URL path resolves these segments away: an id equal to one cannot be addressed.
_DOT_SEGMENTS = frozenset({".", ".."})


class RejectReason(StrEnum):
    """Stable reason codes: dashboards and replay tooling depend on these names."""

    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    MISSING_FIELD = "missing_field"
    BAD_TYPE = "bad_type"
    BAD_VALUE = "bad_value"
    BAD_TIMESTAMP = "bad_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    TOO_LARGE = "too_large"
    MISSING_IDENTITY = "missing_identity"
    OUT_OF_RANGE = "out_of_range"
    INVALID_ID = "invalid_id"
    PROCESSING_ERROR = "processing_error"
    UNTRUSTED_IDENTITY_LINK = "untrusted_identity_link"


class InvalidEvent(ValueError):
    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def required_str(
    obj: dict[str, Any], key: str, label: str | None = None, max_chars: int | None = None
) -> str:
    label = label or key
    if key not in obj or obj[key] is None:
        raise InvalidEvent(RejectReason.MISSING_FIELD, f"{label} is required")
    value = obj[key]
    if not isinstance(value, str):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{label} is a {json_type(value)}, expected a string"
        )
    if not value.strip():
        raise InvalidEvent(RejectReason.BAD_VALUE, f"{label} is empty")
    if max_chars is not None:
        _check_length(value, label, max_chars)
    return value


def optional_id(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{key} is a {json_type(value)}, expected a string"
        )
    return checked_id(value, key)


def code(obj: dict[str, Any], key: str, label: str) -> str:
    """An identifier such as a product, order or store id: numbers are accepted as text."""
    value = obj.get(key)
    if value is None or value == "":
        raise InvalidEvent(RejectReason.MISSING_FIELD, f"{label} is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{label} is a {json_type(value)}, expected a string"
        )
    return checked_id(str(value), label)


def checked_id(value: str, label: str) -> str:
    """``value`` if it is in the id alphabet: 1 to MAX_ID_CHARS characters, not blank,
    not ``.`` nor ``..``, no control character, no brace. Else ``invalid_id``."""
    if len(value) > MAX_ID_CHARS:
        problem = f"is {len(value)} characters, the limit is {MAX_ID_CHARS}"
    elif not value.strip():
        problem = "is blank"
    elif value in _DOT_SEGMENTS:
        problem = f"is {value!r}, which a URL path cannot carry"
    elif (found := _NOT_IN_IDS.search(value)) is not None:
        problem = f"holds {found.group()!r}: no id holds a brace or a control character"
    else:
        return value
    raise InvalidEvent(RejectReason.INVALID_ID, f"{label} {problem}")


def optional_object(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{key} is a {json_type(value)}, expected an object"
        )
    return value


def enum_value(enum: type[E], value: str, label: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidEvent(
            RejectReason.BAD_VALUE, f"{label} is {value!r}, expected one of {allowed}"
        ) from None


def event_time(value: Any, now: datetime, max_future: timedelta) -> datetime:
    if value is None:
        raise InvalidEvent(RejectReason.MISSING_FIELD, "timestamp is required")
    if not isinstance(value, str):
        raise InvalidEvent(
            RejectReason.BAD_TIMESTAMP, f"timestamp is a {json_type(value)}, expected ISO-8601"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(
            RejectReason.BAD_TIMESTAMP, f"timestamp {value[:40]!r} is not ISO-8601"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidEvent(RejectReason.BAD_TIMESTAMP, "timestamp has no time zone")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidEvent(
            RejectReason.BAD_TIMESTAMP, f"timestamp {value[:40]!r} is out of range"
        ) from None
    if parsed - now > max_future:
        raise InvalidEvent(
            RejectReason.FUTURE_TIMESTAMP,
            f"timestamp {parsed.isoformat()} is more than {max_future} ahead of {now.isoformat()}",
        )
    return parsed


def number(obj: dict[str, Any], key: str, label: str, maximum: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{label} is a {json_type(value)}, expected a number"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidEvent(RejectReason.OUT_OF_RANGE, f"{label} is not a finite number")
    if value < 0:
        raise InvalidEvent(RejectReason.BAD_VALUE, f"{label} is negative")
    if value > maximum:
        raise InvalidEvent(RejectReason.OUT_OF_RANGE, f"{label} is over {maximum:,}")
    return float(value)


def integer(
    obj: dict[str, Any], key: str, label: str, default: int | None, minimum: int, maximum: int
) -> int:
    value = obj.get(key, default)
    if value is None:
        raise InvalidEvent(RejectReason.MISSING_FIELD, f"{label} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{label} is a {json_type(value)}, expected an integer"
        )
    if value < minimum:
        raise InvalidEvent(RejectReason.BAD_VALUE, f"{label} is {value}, the minimum is {minimum}")
    if value > maximum:
        raise InvalidEvent(RejectReason.OUT_OF_RANGE, f"{label} is over {maximum:,}")
    return value


def optional_text(obj: dict[str, Any], key: str, label: str, max_chars: int) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(
            RejectReason.BAD_TYPE, f"{label} is a {json_type(value)}, expected a string"
        )
    _check_length(value, label, max_chars)
    return value


def _check_length(value: str, label: str, max_chars: int) -> None:
    if len(value) > max_chars:
        raise InvalidEvent(
            RejectReason.TOO_LARGE,
            f"{label} is {len(value)} characters, the limit is {max_chars}",
        )
