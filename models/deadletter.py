"""The dead-letter record: what ``events.deadletter`` holds for each rejected input.

It carries everything an operator needs to fix and replay the input: the
original bytes (base64 when they are not UTF-8), where they came from, and why
they were refused.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from models.parsing import Rejection


@dataclass(frozen=True, slots=True)
class SourcePosition:
    topic: str
    partition: int
    offset: int


def deadletter_record(
    rejection: Rejection,
    source: SourcePosition,
    key: bytes | None,
    rejected_at: datetime,
) -> bytes:
    document: dict[str, Any] = {
        "reason": rejection.reason.value,
        "message": rejection.message,
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "key": _encode(key),
        "original": _encode(rejection.original),
        "batch_index": rejection.batch_index,
        "rejected_at": rejected_at.isoformat(),
    }
    return orjson.dumps(document)


def original_bytes(record: dict[str, Any]) -> bytes:
    """Inverse of the encoding above, for replay tooling and tests."""
    encoded = record["original"]
    if encoded["encoding"] == "base64":
        return base64.b64decode(encoded["data"])
    return str(encoded["data"]).encode("utf-8")


def _encode(raw: bytes | None) -> dict[str, str] | None:
    if raw is None:
        return None
    try:
        return {"encoding": "utf-8", "data": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"encoding": "base64", "data": base64.b64encode(raw).decode("ascii")}
