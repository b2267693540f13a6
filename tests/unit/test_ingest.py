"""The ingest step's error handling, with in-memory stand-ins for Redis and Kafka.

The happy path runs against the real services in tests/integration; here we
force the failures those services rarely produce on demand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from models.context import CustomerContext, fold_new_events
from models.deadletter import original_bytes
from models.events import Event
from models.parsing import EventParser
from streams.metrics import Metrics
from streams.pipeline import ingest
from streams.pipeline.ingest import IngestPipeline, InputRecord
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
    """Folds like the Redis store, in a dict; can be told to fail."""

    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.contexts: dict[str, CustomerContext] = {}
        self.seen: set[str] = set()
        self.failures = failures or []
        self.calls = 0

    async def apply(self, events: list[Event], *_wiring: Any) -> ApplyResult:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
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
    def __init__(self, fail_times: int = 0) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail_times = fail_times

    async def send(self, key: bytes | None, value: bytes) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("broker unreachable")
        self.records.append(orjson.loads(value))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    async def no_sleep(_seconds: float) -> None:
        return None

    monkeypatch.setattr(ingest.asyncio, "sleep", no_sleep)
    yield


def _pipeline(store: MemoryStore, sink: DeadLetters, metrics: Metrics) -> IngestPipeline:
    return IngestPipeline(EventParser(), store, metrics, sink.send, clock=lambda: NOW)


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
    report = asyncio.run(_pipeline(store, sink, metrics).process(records))

    assert (report.records, report.events, report.applied, report.duplicates) == (4, 2, 1, 1)
    assert store.contexts["user:u1"].events_total == 1
    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [
        ("not_json", 11),
        ("not_json", 12),
    ]
    assert original_bytes(sink.records[0]) == b"{not json"
    assert _value(metrics, "omni_deadletters_total", reason="not_json") == 2
    assert _value(metrics, "omni_events_duplicate_total") == 1


def test_store_bug_dead_letters_every_event_with_processing_error_and_original_bytes() -> None:
    store, sink, metrics = MemoryStore([ValueError("boom")]), DeadLetters(), Metrics()
    single = orjson.dumps(_event("m1"))
    batch = orjson.dumps({"batch": [_event("m2"), {"bad": 1}, _event("m3")]})
    report = asyncio.run(_pipeline(store, sink, metrics).process([_record(single), _record(batch)]))

    assert report.applied == 0
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for record in sink.records:
        by_reason.setdefault(record["reason"], []).append(record)
    assert len(by_reason["processing_error"]) == 3
    originals = {original_bytes(r) for r in by_reason["processing_error"]}
    assert originals == {single, orjson.dumps(_event("m2")), orjson.dumps(_event("m3"))}
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
    report = asyncio.run(_pipeline(store, sink, metrics).process(records))

    assert report.applied == 2
    assert store.contexts["user:u1"].events_total == 2
    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [("processing_error", 1)]


def test_redis_outage_is_waited_out_not_dead_lettered() -> None:
    outage = [RedisConnectionError("down"), RedisConnectionError("still down")]
    store, sink, metrics = MemoryStore(outage), DeadLetters(), Metrics()
    report = asyncio.run(
        _pipeline(store, sink, metrics).process([_record(orjson.dumps(_event("m1")))])
    )

    assert report.applied == 1
    assert store.calls == 3
    assert sink.records == []
    assert _value(metrics, "omni_redis_errors_total") == 2


def test_a_failing_dead_letter_producer_retries_the_whole_batch_without_double_counting() -> None:
    store, sink, metrics = MemoryStore(), DeadLetters(fail_times=1), Metrics()
    records = [_record(orjson.dumps(_event("m1")), 0), _record(b"\xff", 1)]
    report = asyncio.run(_pipeline(store, sink, metrics).process_until_done(records))

    assert store.contexts["user:u1"].events_total == 1
    assert report.duplicates == 1  # the retry found m1 already applied
    assert [d["reason"] for d in sink.records] == ["not_utf8"]
    assert _value(metrics, "omni_batch_retries_total") == 1


def test_a_parser_crash_is_dead_lettered_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: EventParser, raw: bytes, now: datetime) -> None:
        raise RecursionError("deeply nested")

    monkeypatch.setattr(EventParser, "parse_record", explode)
    store, sink, metrics = MemoryStore(), DeadLetters(), Metrics()
    asyncio.run(_pipeline(store, sink, metrics).process([_record(b"[[[[", 7)]))

    assert [(d["reason"], d["source"]["offset"]) for d in sink.records] == [("processing_error", 7)]
    assert original_bytes(sink.records[0]) == b"[[[["
