"""The ingest step, independent of faust: records in, contexts updated, rejects dead-lettered.

Agents hand it a batch of raw records; it parses, folds valid events into the
store, and dead-letters everything else. It never raises on input: a record
that breaks processing is dead-lettered with ``processing_error``. Only an
unreachable Redis stops progress, and then it waits and retries, because
dead-lettering a whole stream during an outage would turn an incident into a
replay job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import orjson
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from models.deadletter import SourcePosition, deadletter_record
from models.events import Event
from models.json_fields import RejectReason
from models.parsing import EventParser, Rejection
from streams.metrics import Metrics
from streams.redis.batch import ApplyResult, Planner

log = logging.getLogger(__name__)

DeadLetterSink = Callable[[bytes | None, bytes], Awaitable[None]]
# After the batch is committed: emit its decisions, then finish its Redis work.
AfterBatch = Callable[[ApplyResult, Sequence[Event], dict[tuple[str, int], int]], Awaitable[None]]
Clock = Callable[[], datetime]


class ContextStore(Protocol):
    async def apply(
        self,
        events: list[Event],
        planner: Planner | None = None,
        source_of: Callable[[Event], tuple[str, int]] | None = None,
    ) -> ApplyResult: ...


@dataclass(frozen=True, slots=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def partition_key(self) -> tuple[str, int]:
        return (self.topic, self.partition)

    @property
    def position(self) -> SourcePosition:
        return SourcePosition(self.topic, self.partition, self.offset)


@dataclass(frozen=True, slots=True)
class _Origin:
    record: InputRecord
    batch_index: int | None


@dataclass(frozen=True, slots=True)
class BatchReport:
    records: int
    events: int
    applied: int
    duplicates: int
    deadlettered: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


class IngestPipeline:
    def __init__(
        self,
        parser: EventParser,
        store: ContextStore,
        metrics: Metrics,
        send_deadletter: DeadLetterSink,
        *,
        clock: Clock = _utcnow,
        redis_retry_max_s: float = 5.0,
        planner: Planner | None = None,
        after_batch: AfterBatch | None = None,
    ) -> None:
        self._planner = planner
        self._after_batch = after_batch
        self._parser = parser
        self._store = store
        self._metrics = metrics
        self._send_deadletter = send_deadletter
        self._clock = clock
        self._redis_retry_max_s = redis_retry_max_s

    async def process_until_done(self, records: Sequence[InputRecord]) -> BatchReport:
        """Process a batch, retrying it whole until it succeeds.

        faust acks a ``take_events`` batch even when the agent raises, so an
        exception escaping here would lose the batch. Retrying is safe: the
        store skips messageIds it has already applied. What can fail here is
        infrastructure (the dead-letter producer, say), never the input.
        """
        delay = 0.1
        while True:
            try:
                return await self.process(records)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._metrics.batch_retries.inc()
                log.exception("batch of %d records failed; retrying in %.1fs", len(records), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._redis_retry_max_s)

    async def process(self, records: Sequence[InputRecord]) -> BatchReport:
        started = time.perf_counter()
        now = self._clock()
        events: list[Event] = []
        origins: dict[int, _Origin] = {}
        rejected: list[tuple[Rejection, InputRecord]] = []
        for record in records:
            self._metrics.records_consumed.labels(record.topic).inc()
            for event, origin in self._parse(record, now, rejected):
                events.append(event)
                origins[id(event)] = origin
                self._metrics.events_consumed.labels(
                    record.topic, event.kind.value, event.channel.value
                ).inc()

        for event in events:
            if event.identity is None:
                self._metrics.events_personless.labels(event.kind.value).inc()
        result = await self._apply(events, lambda event: origins[id(event)].record.partition_key)
        if self._after_batch is not None:
            observed = _observed(events, result.applied)
            await self._after_batch(result, observed, _clock_marks(events, origins))
        for event, exc in result.failed:
            log.error("processing failed for a %s event: %r", event.kind.value, exc)
            rejected.append(_processing_error(origins[id(event)], exc))

        await self._deadletter(rejected, now)
        self._metrics.events_applied.inc(len(result.applied))
        self._metrics.events_duplicate.inc(result.duplicates)
        self._metrics.contexts_written.inc(result.contexts_written)
        self._metrics.cas_retries.inc(result.cas_retries)
        self._metrics.identity_merges.inc(result.merges)
        self._metrics.erasures.inc(len(result.erased))
        self._metrics.events_dropped.labels("erased").inc(result.dropped_by_erasure)
        self._metrics.batch_size.observe(len(records))
        self._metrics.batch_seconds.observe(time.perf_counter() - started)
        return BatchReport(
            records=len(records),
            events=len(events),
            applied=len(result.applied),
            duplicates=result.duplicates,
            deadlettered=len(rejected),
        )

    def _parse(
        self, record: InputRecord, now: datetime, rejected: list[tuple[Rejection, InputRecord]]
    ) -> list[tuple[Event, _Origin]]:
        if record.value is None:
            rejected.append(
                (Rejection(RejectReason.NOT_JSON, "record has no value (tombstone)", b""), record)
            )
            return []
        try:
            parsed = self._parser.parse_record(record.value, now)
        except Exception as exc:  # a parser bug must not lose the record
            log.exception("parser failed on a record from %s", record.topic)
            rejected.append((_processing_rejection(record.value, None, exc), record))
            return []
        rejected.extend((rejection, record) for rejection in parsed.rejections)
        return [
            (event, _Origin(record, index))
            for event, index in zip(parsed.events, parsed.batch_indexes, strict=True)
        ]

    async def _apply(
        self, events: list[Event], source_of: Callable[[Event], tuple[str, int]]
    ) -> ApplyResult:
        delay = 0.1
        while True:
            try:
                with self._metrics.redis_seconds.labels("apply_batch").time():
                    return await self._store.apply(events, self._planner, source_of)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self._metrics.redis_errors.inc()
                log.warning("Redis unavailable (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._redis_retry_max_s)
            except Exception as exc:  # a store bug: keep every event, as a dead letter
                log.exception("context store failed on a batch of %d events", len(events))
                result = ApplyResult()
                result.failed.extend((event, exc) for event in events)
                return result

    async def _deadletter(
        self, rejected: list[tuple[Rejection, InputRecord]], now: datetime
    ) -> None:
        if not rejected:
            return
        sends = [
            self._send_deadletter(
                record.key, deadletter_record(rejection, record.position, record.key, now)
            )
            for rejection, record in rejected
        ]
        await asyncio.gather(*sends)
        for rejection, _record in rejected:
            self._metrics.deadletters.labels(rejection.reason.value).inc()


def _observed(events: list[Event], applied: list[Event]) -> list[Event]:
    """What the batch tells the world beyond people: the events applied, and every stock
    reading. Stock is a store fact, idempotent by event time, so personless and
    redelivered readings count too (a redelivery finds what the first delivery did)."""
    first = {id(event) for event in applied}
    return [*applied, *(e for e in events if e.stock is not None and id(e) not in first)]


def _clock_marks(events: list[Event], origins: dict[int, _Origin]) -> dict[tuple[str, int], int]:
    """The newest event time per input partition: what its event-time clock reaches."""
    marks: dict[tuple[str, int], int] = {}
    for event in events:
        tp = origins[id(event)].record.partition_key
        marks[tp] = max(marks.get(tp, event.event_time_ms), event.event_time_ms)
    return marks


def _processing_rejection(raw: bytes, batch_index: int | None, exc: Exception) -> Rejection:
    return Rejection(
        RejectReason.PROCESSING_ERROR,
        f"{type(exc).__name__}: {str(exc)[:200]}",
        raw,
        batch_index,
    )


def _processing_error(origin: _Origin, exc: Exception) -> tuple[Rejection, InputRecord]:
    raw = origin.record.value or b""
    if origin.batch_index is not None:
        with contextlib.suppress(Exception):
            raw = orjson.dumps(orjson.loads(raw)["batch"][origin.batch_index])
    return _processing_rejection(raw, origin.batch_index, exc), origin.record
