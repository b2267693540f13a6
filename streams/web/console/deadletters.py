"""Recent dead letters, masked, for the console's Live page: a small ring buffer per
reason, in this worker's memory only.

The worker records each dead letter it delivered (:meth:`DeadLetterSamples.add`, from
``streams.app``). Only a masked, cut copy is kept (:mod:`.masking`): never an id, an
email or the full original, and at most :data:`PER_REASON` per reason, so a flood of bad
records costs a bounded amount of memory and little time.
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson

from streams.web.console.masking import mask_raw, mask_text

PER_REASON = 5
MAX_REASONS = 32  # reasons are the parser's stable codes; the bound is a safety net
# What one sample keeps of the original before masking: masking is paid on this at most.
ORIGINAL_BYTES = 2048


@dataclass(frozen=True, slots=True)
class DeadLetterSample:
    reason: str
    message: str
    topic: str
    partition: int
    offset: int
    rejected_at: str
    original: str  # masked and cut
    batch_index: int | None = None


class DeadLetterSamples:
    def __init__(self, per_reason: int = PER_REASON) -> None:
        self._per_reason = per_reason
        self._by_reason: dict[str, deque[DeadLetterSample]] = {}

    def add(self, record: bytes) -> None:
        """Keep a masked sample of one dead-letter record (``models.deadletter`` format).
        Never raises: a sample is a convenience, the dead letter itself is delivered."""
        try:
            sample = sample_of(orjson.loads(record))
        except Exception:
            return
        kept = self._by_reason.get(sample.reason)
        if kept is None:
            if len(self._by_reason) >= MAX_REASONS:
                return
            kept = self._by_reason[sample.reason] = deque(maxlen=self._per_reason)
        kept.appendleft(sample)

    def by_reason(self) -> dict[str, list[DeadLetterSample]]:
        """Newest first per reason."""
        return {reason: list(kept) for reason, kept in sorted(self._by_reason.items())}


def sample_of(record: dict[str, Any]) -> DeadLetterSample:
    source = record.get("source") or {}
    return DeadLetterSample(
        reason=str(record.get("reason", "unknown")),
        message=mask_text(str(record.get("message", "")))[:300],
        topic=str(source.get("topic", "")),
        partition=int(source.get("partition", -1)),
        offset=int(source.get("offset", -1)),
        rejected_at=str(record.get("rejected_at", "")),
        original=mask_raw(original_prefix(record.get("original"))),
        batch_index=record.get("batch_index"),
    )


def original_prefix(encoded: dict[str, Any] | None) -> bytes:
    """The first :data:`ORIGINAL_BYTES` of a dead letter's original bytes."""
    if not encoded:
        return b""
    data = str(encoded.get("data", ""))
    if encoded.get("encoding") == "base64":
        try:
            return base64.b64decode(data[: (ORIGINAL_BYTES // 3 + 1) * 4])[:ORIGINAL_BYTES]
        except (binascii.Error, ValueError):
            return b""
    raw = data.encode("utf-8", "replace")
    # A cut original is no longer JSON; mask_raw masks it as text, which is the point.
    return raw[:ORIGINAL_BYTES] if len(raw) > ORIGINAL_BYTES else raw
