"""The dead-letter record: what ``events.deadletter`` holds for each rejected input.

It carries everything an operator needs to fix and replay the input: the
original bytes (base64 when they are not UTF-8, or when escaping them as JSON
text would make them much larger), where they came from, and why they were
refused.

A dead letter must always fit in one Kafka request: one that the producer
refuses is retried with its whole batch, and the partition stops there. So
every part of the record is bounded, whatever the input: an original too large
for :data:`ORIGINAL_MAX_CHARS` keeps its first bytes, with its full size and
SHA-256 so the operator can find and check the whole record in the source
topic; the key likewise; the message is cut.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from models.parsing import Rejection

# The longest serialized dead letter, with every part at its bound: a third under
# Kafka's and faust's default producer limit of 1,000,000 bytes.
DEADLETTER_MAX_BYTES = 660 * 1024
# JSON characters the encoded original (or key) may take in the record: an accepted
# record (MAX_RECORD_BYTES, 512 KiB by default) fits whole as text or as base64.
ORIGINAL_MAX_CHARS = 640 * 1024
KEY_MAX_CHARS = 4 * 1024
MESSAGE_MAX_CHARS = 1000


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
        "message": _cut_text(rejection.message, MESSAGE_MAX_CHARS),
        # A topic name is at most 249 characters (Kafka's own limit).
        "source": {"topic": source.topic, "partition": source.partition, "offset": source.offset},
        "key": _encode(key, KEY_MAX_CHARS),
        "original": _encode(rejection.original, ORIGINAL_MAX_CHARS),
        "batch_index": rejection.batch_index,
        "rejected_at": rejected_at.isoformat(),
    }
    return orjson.dumps(document)


def original_bytes(record: dict[str, Any]) -> bytes:
    """Inverse of the encoding above, for replay tooling and tests. For a cut original
    (``"truncated": true``) these are its first bytes only."""
    encoded = record["original"]
    if encoded["encoding"] == "base64":
        return base64.b64decode(encoded["data"])
    return str(encoded["data"]).encode("utf-8")


def _encode(raw: bytes | None, max_chars: int) -> dict[str, Any] | None:
    """Text when the bytes are UTF-8 and stay small as JSON text, else base64; cut to
    ``max_chars`` when even base64 is too long."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Control characters take six JSON characters each (\u0001): measure, don't guess.
        if len(text) <= max_chars // 6 or len(orjson.dumps(text)) <= max_chars:
            return {"encoding": "utf-8", "data": text}
    if _base64_chars(len(raw)) <= max_chars:
        return {"encoding": "base64", "data": _base64(raw)}
    kept = max_chars // 4 * 3  # the most bytes whose base64 fits
    return {
        "encoding": "base64",
        "data": _base64(raw[:kept]),
        "truncated": True,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def _base64_chars(size: int) -> int:
    return (size + 2) // 3 * 4


def _base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _cut_text(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
