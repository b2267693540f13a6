"""A batch of input records as parsed: the events, where each came from, the rejects.

Parsing is done once per batch, however many attempts its processing takes, and
a record that breaks processing later is dead-lettered from here with
``processing_error``: the record's bytes, or its event's inside a batch record.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from models.deadletter import SourcePosition
from models.events import Event
from models.json_fields import RejectReason
from models.parsing import EventParser, Rejection
from streams.loop_slices import pause

log = logging.getLogger(__name__)

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def partition_key(self) -> Partition:
        return (self.topic, self.partition)

    @property
    def position(self) -> SourcePosition:
        return SourcePosition(self.topic, self.partition, self.offset)


@dataclass(frozen=True, slots=True)
class _Origin:
    record: InputRecord
    batch_index: int | None


@dataclass
class ParsedBatch:
    """A batch parsed once, whatever the number of attempts."""

    records: Sequence[InputRecord]
    now: datetime
    events: list[Event] = field(default_factory=list)
    origins: dict[int, _Origin] = field(default_factory=dict)
    rejected: list[tuple[Rejection, InputRecord]] = field(default_factory=list)

    def origin(self, event: Event) -> _Origin:
        return self.origins[id(event)]

    def source_of(self, event: Event) -> Partition:
        return self.origin(event).record.partition_key


async def parse_batch(
    parser: EventParser, records: Sequence[InputRecord], now: datetime
) -> ParsedBatch:
    """Every record's events and rejections, handing the event loop over between records
    when a slice has run out (:mod:`streams.loop_slices`)."""
    batch = ParsedBatch(records, now)
    for record in records:
        await pause()
        _add(batch, parser, record)
    return batch


def _add(batch: ParsedBatch, parser: EventParser, record: InputRecord) -> None:
    for event, origin in _parse(parser, record, batch.now, batch.rejected):
        batch.events.append(event)
        batch.origins[id(event)] = origin


def _parse(
    parser: EventParser,
    record: InputRecord,
    now: datetime,
    rejected: list[tuple[Rejection, InputRecord]],
) -> list[tuple[Event, _Origin]]:
    if record.value is None:
        rejected.append(
            (Rejection(RejectReason.NOT_JSON, "record has no value (tombstone)", b""), record)
        )
        return []
    try:
        parsed = parser.parse_record(record.value, now)
    except Exception as exc:  # a parser bug must not lose the record
        log.exception("parser failed on a record from %s", record.topic)
        rejected.append((_processing_rejection(record.value, None, exc), record))
        return []
    rejected.extend((rejection, record) for rejection in parsed.rejections)
    return [
        (event, _Origin(record, index))
        for event, index in zip(parsed.events, parsed.batch_indexes, strict=True)
    ]


def _processing_rejection(
    raw: bytes, batch_index: int | None, exc: BaseException, stage: str = ""
) -> Rejection:
    return Rejection(
        RejectReason.PROCESSING_ERROR,
        f"{stage}{type(exc).__name__}: {str(exc)[:200]}",
        raw,
        batch_index,
    )


def processing_error(
    origin: _Origin, exc: BaseException, stage: str = ""
) -> tuple[Rejection, InputRecord]:
    raw = origin.record.value or b""
    if origin.batch_index is not None:
        with contextlib.suppress(Exception):
            raw = orjson.dumps(orjson.loads(raw)["batch"][origin.batch_index])
    return _processing_rejection(raw, origin.batch_index, exc, stage), origin.record
