"""Masking of personal data in what the console shows operators (dead-letter samples).

Ids and contact details are replaced by a hint of their shape: the first two
characters of a long id, dots, and the length (``cu•••(15)``), enough to tell two
apart at a glance, not enough to find the person. Emails and phone numbers are masked
wherever they appear, and every trait (a Segment ``traits`` object holds names,
addresses, birthdays) is masked whole.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# Keys whose values identify a person, as the Segment spec and our events name them.
ID_KEYS = frozenset(
    {
        "userId",
        "anonymousId",
        "previousId",
        "groupId",
        "user_id",
        "anonymous_id",
        "email",
        "phone",
        "name",
        "firstName",
        "lastName",
        "address",
        "ip",
        "userAgent",
        "key",
    }
)
TRAIT_KEYS = frozenset({"traits"})
EMAIL = re.compile(r"[^\s\"'<>@,;:]{1,64}@[^\s\"'<>@,;:]{1,255}\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+?\d[\d .()-]{7,}\d")
# An id-like value after one of ID_KEYS in JSON text that is not valid JSON (truncated).
_KEYED = re.compile(r'("(?:' + "|".join(sorted(ID_KEYS)) + r')"\s*:\s*")((?:[^"\\]|\\.)*)')
PREVIEW_CHARS = 600


def mask_id(value: str) -> str:
    """``cust-42abcdef`` -> ``cu•••(13)``; short ids show nothing but their length."""
    head = value[:2] if len(value) >= 8 else ""
    return f"{head}•••({len(value)})"


def mask_text(text: str) -> str:
    """Emails and phone numbers masked wherever they are in free text."""
    text = EMAIL.sub(lambda m: mask_id(m.group(0)), text)
    return PHONE.sub(lambda m: mask_id(m.group(0)), text)


def mask_value(value: Any, key: str = "") -> Any:
    """A parsed JSON value with every identifying part masked."""
    if key in TRAIT_KEYS and value is not None:
        return _mask_all(value)
    if isinstance(value, dict):
        return {str(k): mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str):
        return mask_id(value) if key in ID_KEYS else mask_text(value)
    if key in ID_KEYS and value is not None and not isinstance(value, bool):
        return mask_id(str(value))
    return value


def mask_raw(raw: bytes) -> str:
    """Some input bytes shown safely: masked JSON when they parse, else masked text,
    cut to :data:`PREVIEW_CHARS`."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = raw[: PREVIEW_CHARS * 4].decode("utf-8", "replace")
        masked = _KEYED.sub(lambda m: m.group(1) + mask_id(m.group(2)), text)
        return _cut(mask_text(masked))
    return _cut(orjson.dumps(mask_value(parsed)).decode())


def _mask_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    return mask_id(str(value))


def _cut(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
