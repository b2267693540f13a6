"""The fields of a trend bucket (``trends:{minute}``): ``kind|scope|part...`` -> count.

The parts are product ids, categories and store ids from input, and an input may
hold ``|``. Each part is percent-escaped (``%`` as ``%25``, ``|`` as ``%7C``), so no
input can add a part to a field: the category ``socks|INJECTED`` is counted as that
category, and never lists a product ``INJECTED`` under ``socks``.

Fields written before the escaping (buckets live a few hours) read the
same unless a part holds ``|`` or ``%``. One with a ``|`` in a part has more parts
than its scope, which is what a forged field looks like: it is ignored, not guessed.
"""

from __future__ import annotations

import re
from typing import NamedTuple

KINDS = {"v": "views", "a": "adds", "b": "purchases"}
# How many parts follow ``kind|scope``: product; category; category and product;
# store and product; store.
SCOPE_PARTS = {"p": 1, "c": 1, "cp": 2, "sp": 2, "s": 1}
_ESCAPED = re.compile("%(25|7C)")


class TrendField(NamedTuple):
    kind: str
    scope: str
    parts: tuple[str, ...]


def trend_field(kind: str, scope: str, *parts: str) -> str:
    return "|".join((kind, scope, *(_escape(part) for part in parts)))


def parse_trend_field(field: str) -> TrendField | None:
    """The field's kind, scope and parts; None for a field of no known shape."""
    kind, _, rest = field.partition("|")
    scope, _, joined = rest.partition("|")
    parts = joined.split("|")
    if kind not in KINDS or SCOPE_PARTS.get(scope) != len(parts):
        return None
    return TrendField(kind, scope, tuple(_unescape(part) for part in parts))


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace("|", "%7C")


def _unescape(part: str) -> str:
    if "%" not in part:
        return part
    return _ESCAPED.sub(lambda found: "%" if found.group(1) == "25" else "|", part)
