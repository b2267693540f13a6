"""The ingest step, independent of faust: records in, contexts updated, rejects dead-lettered.

Agents hand it a batch of raw records; it parses them once, folds valid events
into the store, and dead-letters everything else. It never raises on input.
Failures are sorted by what can fix them (:mod:`streams.transient`):

- the infrastructure's (Redis or Kafka unreachable, slow, failing over): the
  batch is retried whole with back-off (:mod:`.retries`), because dead-lettering
  a stream during an outage would turn an incident into a replay job; retrying
  is safe, the store skips messageIds it has already applied;
- the input's: only the records concerned are dead-lettered with
  ``processing_error`` (one person's events when the store fails on that person,
  every event of the batch only when it fails on the batch as a whole), and the
  batch moves on.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from models.events import Event
from models.identity import Identity
from models.identity_trust import IdentityTrust
from models.parsing import EventParser
from streams.metrics import Metrics
from streams.pipeline.deadletters import (
    BatchDeadLetters,
    DeadLetterRefused,
    DeadLetterSink,
    Rejected,
)
from streams.pipeline.records import (
    InputRecord,
    ParsedBatch,
    Partition,
    parse_batch,
    processing_error,
)
from streams.pipeline.retries import Retries, ShutdownRequested
from streams.redis.batch import ApplyResult, Planner
from streams.throttled_log import ThrottledLog
from streams.transient import is_transient

log = logging.getLogger(__name__)

# After the batch is committed: emit its decisions, then finish its Redis work.
AfterBatch = Callable[[ApplyResult, Sequence[Event], dict[tuple[str, int], int]], Awaitable[None]]
Clock = Callable[[], datetime]

__all__ = ["BatchReport", "IngestPipeline", "InputRecord"]


class ContextStore(Protocol):
    async def apply(
        self,
        events: list[Event],
        planner: Planner | None = None,
        source_of: Callable[[Event], tuple[str, int]] | None = None,
    ) -> ApplyResult: ...


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
        retries: Retries | None = None,
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
        self._zones_ignored_log = ThrottledLog()
        self.retries = retries or Retries(max_delay_s=5.0, stall_after_s=60.0)
        # Per input partition, the offset after the last record processed: what the lag
        # is measured from (a record read but not processed is still behind).
        self.processed: dict[Partition, int] = {}

    async def process_until_done(self, records: Sequence[InputRecord]) -> BatchReport:
        """Process a batch until it is done: applied, or dead-lettered where retrying
        cannot help. Raises only ShutdownRequested: the batch was not processed and
        must not be acknowledged (faust acks a ``take_events`` batch even when the
        agent raises, hence the retries here)."""
        started = time.perf_counter()
        batch = await self._parse_all(records)
        label = records[0].topic if records else ""
        # The unparsable records' dead letters are on their way while the batch applies.
        deadletters = BatchDeadLetters(
            self._send_deadletter, self._metrics, batch.now, batch.rejected
        )
        try:
            report = await self._process(batch, deadletters, label)
        except ShutdownRequested:
            deadletters.cancel()
            raise
        for record in records:
            tp = record.partition_key
            self.processed[tp] = max(self.processed.get(tp, 0), record.offset + 1)
        self._metrics.batch_size.observe(len(records))
        self._metrics.batch_seconds.observe(time.perf_counter() - started)
        return report

    async def _process(
        self, batch: ParsedBatch, deadletters: BatchDeadLetters, label: str
    ) -> BatchReport:
        records = len(batch.records)
        try:
            return await self._retry(label, records, lambda: self._attempt(batch, deadletters))
        except ShutdownRequested:
            raise
        except Exception as exc:  # not the infrastructure's: every event of the batch
            log.exception("processing a batch of %d records failed", records)
            failed = [processing_error(batch.origin(e), exc) for e in batch.events]
            return await self._retry(
                label, records, lambda: self._finish(batch, deadletters, failed, ApplyResult())
            )

    async def _retry(
        self, label: str, records: int, attempt: Callable[[], Awaitable[BatchReport]]
    ) -> BatchReport:
        return await self.retries.run(
            label, records, attempt, transient=_retryable, on_retry=self._retrying
        )

    def trust_identities(self, trust: IdentityTrust) -> None:
        """Live rules: links from these sources only, from the next batch on."""
        self._parser = replace(self._parser, identity_trust=trust)

    def _retrying(self, exc: BaseException, delay: float) -> None:
        self._metrics.batch_retries.inc()
        if type(exc).__module__.startswith("redis"):
            self._metrics.redis_errors.inc()
        log.warning("batch failed (%r); retrying in %.1fs", exc, delay)

    async def _parse_all(self, records: Sequence[InputRecord]) -> ParsedBatch:
        """Parse and count every record and event, once per batch."""
        batch = await parse_batch(self._parser, records, self._clock())
        # Counted per label set, not per record: a labelled increment takes a lock.
        for topic, count in Counter(record.topic for record in records).items():
            self._metrics.records_consumed.labels(topic).inc(count)
        consumed = Counter(
            (batch.origin(e).record.topic, e.kind.value, e.channel.value) for e in batch.events
        )
        for labels, count in consumed.items():
            self._metrics.events_consumed.labels(*labels).inc(count)
        personless = Counter(e.kind.value for e in batch.events if e.identity is None)
        for kind, count in personless.items():
            self._metrics.events_personless.labels(kind).inc(count)
        unlinked = Counter(e.channel.value for e in batch.events if e.link_refused)
        for channel, count in unlinked.items():
            self._metrics.identity_claims_unlinked.labels(channel).inc(count)
        return batch

    async def _attempt(self, batch: ParsedBatch, deadletters: BatchDeadLetters) -> BatchReport:
        rejected: list[Rejected] = []
        result = await self._apply(batch.events, batch.source_of)
        if self._after_batch is not None:
            observed = _observed(batch.events, result.applied)
            try:
                await self._after_batch(result, observed, _clock_marks(batch))
            except Exception as exc:
                if is_transient(exc):
                    raise
                # The contexts are committed; what follows them (triggers, trends, stock,
                # clocks) is not: a replay of these redoes it, deduplicated.
                log.exception("finishing a batch failed after its commit")
                rejected += [
                    processing_error(batch.origin(e), exc, "after commit: ") for e in observed
                ]
        return await self._finish(batch, deadletters, rejected, result)

    async def _finish(
        self,
        batch: ParsedBatch,
        deadletters: BatchDeadLetters,
        rejected: list[Rejected],
        result: ApplyResult,
    ) -> BatchReport:
        """Dead-letter what applying rejected, and wait for every dead letter of the batch."""
        rejected = list(rejected)
        for event, exc in result.failed:
            log.error("processing failed for a %s event: %r", event.kind.value, exc)
            rejected.append(processing_error(batch.origin(event), exc))
        await deadletters.settle(rejected)
        self._metrics.events_applied.inc(len(result.applied))
        self._metrics.events_duplicate.inc(result.duplicates)
        self._metrics.contexts_written.inc(result.contexts_written)
        self._metrics.cas_retries.inc(result.cas_retries)
        self._metrics.identity_merges.inc(result.merges)
        self._metrics.erasures.inc(len(result.erased))
        self._metrics.events_dropped.labels("erased").inc(result.dropped_by_erasure)
        self._count_ignored_zones(result.applied)
        return BatchReport(
            records=len(batch.records),
            events=len(batch.events),
            applied=len(result.applied),
            duplicates=result.duplicates,
            deadlettered=deadletters.early + len(rejected),
        )

    def _count_ignored_zones(self, applied: Sequence[Event]) -> None:
        """A context.timezone that names no known zone: the event was folded without it.
        Counted on first delivery only (applied), so a replay counts nothing again; the
        log names the reason, never the person."""
        for reason, count in _zones_ignored(applied).items():
            self._metrics.timezones_ignored.labels(reason).inc(count)
            self._zones_ignored_log.warning(
                log, "context.timezone ignored on %d event(s): %s", count, reason
            )

    async def _apply(
        self, events: list[Event], source_of: Callable[[Event], Partition]
    ) -> ApplyResult:
        """The store isolates a failing person itself; when it fails on the whole batch
        instead, each person's events are applied apart, to find whose fail."""
        try:
            with self._metrics.redis_seconds.labels("apply_batch").time():
                return await self._store.apply(events, self._planner, source_of)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("context store failed on a batch of %d events", len(events))
        result = ApplyResult()
        by_identity: dict[Identity | None, list[Event]] = defaultdict(list)
        for event in events:
            by_identity[event.identity].append(event)
        for identity, part in by_identity.items():
            if identity is None:
                continue  # about no person: nothing of theirs is stored
            try:
                result.absorb(await self._store.apply(part, self._planner, source_of))
            except Exception as exc:
                if is_transient(exc):
                    raise
                result.fail(part, exc)
        return result


def _zones_ignored(applied: Sequence[Event]) -> Counter[str]:
    return Counter(e.timezone_ignored for e in applied if e.timezone_ignored is not None)


def _observed(events: list[Event], applied: list[Event]) -> list[Event]:
    """What the batch tells the world beyond people: the events applied, and every stock
    reading. Stock is a store fact, idempotent by event time, so personless and
    redelivered readings count too (a redelivery finds what the first delivery did)."""
    first = {id(event) for event in applied}
    return [*applied, *(e for e in events if e.stock is not None and id(e) not in first)]


def _clock_marks(batch: ParsedBatch) -> dict[Partition, int]:
    """The newest event time per input partition: what its event-time clock reaches."""
    marks: dict[Partition, int] = {}
    for event in batch.events:
        tp = batch.source_of(event)
        marks[tp] = max(marks.get(tp, event.event_time_ms), event.event_time_ms)
    return marks


def _retryable(exc: BaseException) -> bool:
    return is_transient(exc) or isinstance(exc, DeadLetterRefused)
