"""The ingest step's error handling, with in-memory stand-ins for Redis and Kafka.

The happy path runs against the real services in tests/integration; here we
force the failures those services rarely produce on demand.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka.errors import MessageSizeTooLargeError
from redis.exceptions import ConnectionError as RedisConnectionError

from models.context import CustomerContext, fold_new_events
from models.deadletter import original_bytes
from models.events import Event
from models.parsing import EventParser
from streams.metrics import Metrics
from streams.pipeline.ingest import AfterBatch, BatchReport, IngestPipeline, InputRecord
from streams.pipeline.retries import Retries, ShutdownRequested
from streams.redis.batch import ApplyResult

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _event(message_id: str, user: str = "u1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "type": "track",
        "event": "Product Viewed",
        "userId": user,
        "timestamp": "2026-11-22T11:00:00Z",
        "context": {"channel": "web"},
        "properties": {"product_id": "p1"},
    }


def _record(value: bytes | None, offset: int = 0) -> InputRecord:
    return InputRecord("clickstream", 2, offset, b"u1", value)


class MemoryStore:
    """Folds like the Redis store, in a dict; can be told to fail.

    ``failures`` are raised by the next calls, one each; a call with an event of a
    ``poisoned`` person raises that person's error, as the real store would fail on
    that person's data (it isolates them; this stand-in fails the call).
    """

    def __init__(
        self,
        failures: list[BaseException] | None = None,
        poisoned: dict[str, Exception] | None = None,
    ) -> None:
        self.contexts: dict[str, CustomerContext] = {}
        self.seen: set[str] = set()
        self.failures = failures or []
        self.poisoned = poisoned or {}
        self.calls = 0

    async def apply(self, events: list[Event], *_wiring: Any) -> ApplyResult:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        for event in events:
            if event.identity is not None and event.identity.value in self.poisoned:
                raise self.poisoned[event.identity.value]
        result = ApplyResult()
        for event in events:
            if event.identity is None:
                continue
            key = str(event.identity)
            outcome = fold_new_events(self.contexts.get(key, CustomerContext()), [event], self.seen)
            self.contexts[key] = outcome.context
            self.seen |= {e.message_id for e in outcome.applied}
            result.applied += outcome.applied
            result.duplicates += outcome.duplicates
            result.failed += outcome.failed
        return result


class DeadLetters:
    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail_times = fail_times
        self.error = error or ConnectionError("broker unreachable")

    async def send(self, key: bytes | None, value: bytes) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise self.error
        self.records.append(orjson.loads(value))


def _pipeline(
    store: MemoryStore,
    sink: DeadLetters,
    metrics: Metrics,
    after_batch: AfterBatch | None = None,
) -> IngestPipeline:
    # No back-off: the retries themselves are what these tests count.
    retries = Retries(max_delay_s=0, stall_after_s=60, first_delay_s=0)
    return IngestPipeline(
        EventParser(),
        store,
        metrics,
        sink.send,
        clock=lambda: NOW,
        retries=retries,
        after_batch=after_batch,
    )


def _run(pipeline: IngestPipeline, records: list[InputRecord]) -> BatchReport:
    """Process a batch; a test of a loop that never ends fails instead of hanging."""
    return asyncio.run(asyncio.wait_for(pipeline.process_until_done(records), 10))


VIEW_LABELS = {"topic": "clickstream", "type": "Product Viewed", "channel": "web"}


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_valid_events_are_stored_and_invalid_records_dead_lettered_with_position() -> None:
    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    records = [
        _record(orjson.dumps(_event("m1")), 10),
        _record(b"{not json", 11),
        _record(None, 12),
        _record(orjson.dumps(_event("m1")), 13),
    ]
    report = _run(_pipeline(store, sink, metrics), records)

    assert (report.records, report.events, report.applied, report.duplicates) == (4, 2, 1, 1)
    assert store.contexts["user:u1"].events_total == 1
    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [
        ("not_json", 11),
        ("not_json", 12),
    ]
    assert original_bytes(sink.records[0]) == b"{not json"
    assert _value(metrics, "omni_deadletters_total", reason="not_json") == 2
    assert _value(metrics, "omni_events_duplicate_total") == 1


def test_a_store_failing_on_everyone_dead_letters_every_event_with_its_original_bytes() -> None:
    store = MemoryStore(poisoned={"u1": ValueError("boom"), "u2": ValueError("boom")})
    sink, metrics = DeadLetters(), Metrics()
    single = orjson.dumps(_event("m1"))
    batch = orjson.dumps({"batch": [_event("m2", "u2"), {"bad": 1}, _event("m3", "u2")]})
    report = _run(_pipeline(store, sink, metrics), [_record(single), _record(batch)])

    assert report.applied == 0
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for record in sink.records:
        by_reason.setdefault(record["reason"], []).append(record)
    assert len(by_reason["processing_error"]) == 3
    originals = {original_bytes(r) for r in by_reason["processing_error"]}
    assert originals == {single, orjson.dumps(_event("m2", "u2")), orjson.dumps(_event("m3", "u2"))}
    assert {r["batch_index"] for r in by_reason["processing_error"]} == {None, 0, 2}
    assert "ValueError: boom" in by_reason["processing_error"][0]["message"]
    assert [r["batch_index"] for r in by_reason["missing_field"]] == [1]


def test_fold_failure_of_one_event_dead_letters_only_that_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import models.context.folding

    real_fold = models.context.folding.fold

    def fold(context: CustomerContext, event: Event) -> CustomerContext:
        if event.message_id == "poison":
            raise KeyError("unexpected shape")
        return real_fold(context, event)

    monkeypatch.setattr(models.context.folding, "fold", fold)
    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    records = [_record(orjson.dumps(_event(m)), i) for i, m in enumerate(["a", "poison", "b"])]
    report = _run(_pipeline(store, sink, metrics), records)

    assert report.applied == 2
    assert store.contexts["user:u1"].events_total == 2
    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [("processing_error", 1)]


def test_redis_outage_is_waited_out_not_dead_lettered() -> None:
    outage = [RedisConnectionError("down"), RedisConnectionError("still down")]
    store, sink, metrics = MemoryStore(outage), DeadLetters(), Metrics()
    report = _run(_pipeline(store, sink, metrics), [_record(orjson.dumps(_event("m1")))])

    assert report.applied == 1
    assert store.calls == 3
    assert sink.records == []
    assert _value(metrics, "omni_redis_errors_total") == 2


def test_a_failing_dead_letter_producer_retries_the_whole_batch_without_double_counting() -> None:
    store, sink, metrics = MemoryStore(), DeadLetters(fail_times=1), Metrics()
    records = [_record(orjson.dumps(_event("m1")), 0), _record(b"\xff", 1)]
    report = _run(_pipeline(store, sink, metrics), records)

    assert store.contexts["user:u1"].events_total == 1
    assert report.duplicates == 1  # the retry found m1 already applied
    assert [d["reason"] for d in sink.records] == ["not_utf8"]
    assert _value(metrics, "omni_batch_retries_total") == 1


def test_a_parser_crash_is_dead_lettered_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: EventParser, raw: bytes, now: datetime) -> None:
        raise RecursionError("deeply nested")

    monkeypatch.setattr(EventParser, "parse_record", explode)
    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    _run(_pipeline(store, sink, metrics), [_record(b"[[[[", 7)])

    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [("processing_error", 7)]
    assert original_bytes(sink.records[0]) == b"[[[["


def test_a_store_failing_on_one_person_dead_letters_only_that_persons_events() -> None:
    # The Redis store isolates a failing person itself (tests/integration/pipeline/
    # test_poison.py); when the store fails on the batch as a whole instead, each
    # person's events are applied apart to find whose fail.
    store = MemoryStore(poisoned={"poison": TypeError("Integer exceeds 64-bit range")})
    sink, metrics = DeadLetters(), Metrics()
    people = [f"u{i}" for i in range(20)]
    records = [_record(orjson.dumps(_event(f"m-{u}", u)), i) for i, u in enumerate(people)]
    records.insert(7, _record(orjson.dumps(_event("m-poison", "poison")), 99))
    report = _run(_pipeline(store, sink, metrics), records)

    assert report.applied == 20
    assert all(store.contexts[f"user:{u}"].events_total == 1 for u in people)
    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [
        ("processing_error", 99)
    ]
    assert "Integer exceeds 64-bit range" in sink.records[0]["message"]
    assert _value(metrics, "omni_batch_retries_total") == 0


def test_records_are_counted_once_however_often_their_batch_is_retried() -> None:
    # The dead-letter producer fails twice, so the batch is attempted three times.
    store, sink, metrics = MemoryStore(), DeadLetters(fail_times=2), Metrics()
    pipeline = _pipeline(store, sink, metrics)
    records = [_record(orjson.dumps(_event("m1")), 12), _record(b"{not json", 13)]
    _run(pipeline, records)

    assert store.calls == 3
    assert _value(metrics, "omni_records_consumed_total", topic="clickstream") == 2
    assert _value(metrics, "omni_events_consumed_total", **VIEW_LABELS) == 1
    assert _value(metrics, "omni_batch_retries_total") == 2
    assert pipeline.processed == {("clickstream", 2): 14}


def test_a_redis_outage_counts_its_retries_and_redis_errors() -> None:
    outage = [RedisConnectionError("down")] * 3
    store, sink, metrics = MemoryStore(outage), DeadLetters(), Metrics()
    _run(_pipeline(store, sink, metrics), [_record(orjson.dumps(_event("m1")))])

    assert store.calls == 4
    assert _value(metrics, "omni_records_consumed_total", topic="clickstream") == 1
    assert _value(metrics, "omni_redis_errors_total") == 3


def test_a_failure_after_the_commit_that_retrying_cannot_fix_dead_letters_and_moves_on() -> None:
    async def after_batch(result: ApplyResult, observed: Any, marks: Any) -> None:
        raise ValueError("a trigger document that cannot be encoded")

    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    pipeline = _pipeline(store, sink, metrics, after_batch)
    report = _run(pipeline, [_record(orjson.dumps(_event("m1")), 3)])

    assert store.contexts["user:u1"].events_total == 1  # committed before the failure
    assert report.applied == 1
    (dead,) = sink.records
    assert (dead["reason"], dead["source"]["offset"]) == ("processing_error", 3)
    assert dead["message"].startswith("after commit: ValueError")
    assert _value(metrics, "omni_batch_retries_total") == 0


def test_an_infrastructure_failure_after_the_commit_retries_the_batch() -> None:
    failures = [RedisConnectionError("down while finishing")]

    async def after_batch(result: ApplyResult, observed: Any, marks: Any) -> None:
        if failures:
            raise failures.pop()

    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    report = _run(
        _pipeline(store, sink, metrics, after_batch), [_record(orjson.dumps(_event("m1")))]
    )

    assert (report.applied, report.duplicates, report.deadlettered) == (0, 1, 0)
    assert sink.records == []
    assert _value(metrics, "omni_batch_retries_total") == 1


def test_a_dead_letter_the_broker_refuses_is_retried_never_dropped() -> None:
    sink = DeadLetters(fail_times=2, error=MessageSizeTooLargeError("too large"))
    store, metrics = MemoryStore(), Metrics()
    _run(_pipeline(store, sink, metrics), [_record(b"\xff", 5)])

    assert [d["reason"] for d in sink.records] == ["not_utf8"]
    assert _value(metrics, "omni_batch_retries_total") == 2
    assert _value(metrics, "omni_deadletters_total", reason="not_utf8") == 1


def test_a_bad_time_zone_is_counted_once_and_loses_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    zoned = {**_event("m1"), "context": {"channel": "web", "timezone": "Mars/Olympus"}}
    good = {**_event("m2"), "context": {"channel": "web", "timezone": "Asia/Tokyo"}}
    records = [_record(orjson.dumps(doc), n) for n, doc in enumerate((zoned, good, zoned))]
    pipeline = _pipeline(store, sink, metrics)
    report = _run(pipeline, records)
    _run(pipeline, records[:1])  # a redelivery

    assert (report.applied, report.duplicates, report.deadlettered) == (2, 1, 0)
    assert store.contexts["user:u1"].timezone is not None
    assert store.contexts["user:u1"].timezone.zone == "Asia/Tokyo"
    assert _value(metrics, "omni_timezones_ignored_total", reason="unknown_zone") == 1
    logged = [r.getMessage() for r in caplog.records if "context.timezone" in r.getMessage()]
    assert logged == ["context.timezone ignored on 1 event(s): unknown_zone"]
    assert "u1" not in logged[0] and "Mars" not in logged[0]


class GatedStore(MemoryStore):
    """Applies only once a dead letter is on its way: a pipeline that sent dead letters
    after applying would wait here until the test's time limit."""

    def __init__(self, sending: asyncio.Event, failures: list[BaseException] | None = None) -> None:
        super().__init__(failures)
        self.sending = sending

    async def apply(self, events: list[Event], *wiring: Any) -> ApplyResult:
        await self.sending.wait()
        return await super().apply(events, *wiring)


class SignallingDeadLetters(DeadLetters):
    def __init__(self, sending: asyncio.Event) -> None:
        super().__init__()
        self.sending = sending

    async def send(self, key: bytes | None, value: bytes) -> None:
        self.sending.set()
        await super().send(key, value)


def test_an_unparsable_records_dead_letter_is_on_its_way_while_the_batch_applies() -> None:
    async def scenario() -> tuple[BatchReport, SignallingDeadLetters, Metrics]:
        sending = asyncio.Event()
        sink, metrics = SignallingDeadLetters(sending), Metrics()
        pipeline = _pipeline(GatedStore(sending), sink, metrics)
        records = [_record(orjson.dumps(_event("m1")), 0), _record(b"\xff", 1)]
        return await asyncio.wait_for(pipeline.process_until_done(records), 10), sink, metrics

    report, sink, metrics = asyncio.run(scenario())
    assert (report.applied, report.deadlettered) == (1, 1)
    assert [d["reason"] for d in sink.records] == ["not_utf8"]
    assert _value(metrics, "omni_deadletters_total", reason="not_utf8") == 1


def test_a_dead_letter_already_acknowledged_is_not_sent_again_when_the_batch_is_retried() -> None:
    store, sink, metrics = MemoryStore([RedisConnectionError("down")]), DeadLetters(), Metrics()
    records = [_record(orjson.dumps(_event("m1")), 0), _record(b"\xff", 1)]
    report = _run(_pipeline(store, sink, metrics), records)

    assert store.calls == 2
    assert report.deadlettered == 1
    assert [d["reason"] for d in sink.records] == ["not_utf8"]
    assert _value(metrics, "omni_deadletters_total", reason="not_utf8") == 1


class UnansweredDeadLetters(DeadLetters):
    """A broker that never acknowledges: each send waits until it is cancelled."""

    async def send(self, key: bytes | None, value: bytes) -> None:
        await asyncio.Event().wait()


def test_a_batch_given_up_at_shutdown_leaves_no_dead_letter_send_behind() -> None:
    sink, metrics = UnansweredDeadLetters(), Metrics()
    pipeline = _pipeline(MemoryStore([RedisConnectionError("down")] * 3), sink, metrics)
    pipeline.retries.stop()  # the worker is stopping: a failing batch is given up

    async def scenario() -> set[asyncio.Task[Any]]:
        records = [_record(orjson.dumps(_event("m1")), 0), _record(b"\xff", 1)]
        with pytest.raises(ShutdownRequested):
            await asyncio.wait_for(pipeline.process_until_done(records), 10)
        await asyncio.sleep(0)  # the cancellation is delivered
        return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}

    assert asyncio.run(scenario()) == set()
    assert _value(metrics, "omni_deadletters_total", reason="not_utf8") == 0
