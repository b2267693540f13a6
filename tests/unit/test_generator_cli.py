"""``python -m streams.local.generator``: arguments, sending, pacing, a fake Kafka producer."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, ClassVar

import kafka
import orjson
import pytest

from streams.local.generator import GeneratorOptions, generate, main
from tests.unit.generator_support import START


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--bootstrap", "--count", "--rate", "--bad-share", "--batch-share", "--loop"):
        assert flag in out


@pytest.mark.parametrize(
    "argv",
    [["--bad-share", "1.5"], ["--rate", "-1"], ["--loop", "--start", "2026-01-01T00:00:00Z"]],
)
def test_bad_arguments_exit_two(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


class FakeFuture:
    def add_errback(self, callback: Any) -> FakeFuture:
        return self


class FakeProducer:
    instances: ClassVar[list[FakeProducer]] = []
    interrupt_after: ClassVar[int | None] = None

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.flushed = self.closed = False
        FakeProducer.instances.append(self)

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> FakeFuture:
        if self.interrupt_after is not None and len(self.sent) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.sent.append((topic, key, value))
        return FakeFuture()

    def flush(self, timeout: float | None = None) -> None:
        self.flushed = True

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


@pytest.fixture
def fake_producer(monkeypatch: pytest.MonkeyPatch) -> type[FakeProducer]:
    FakeProducer.instances = []
    FakeProducer.interrupt_after = None
    monkeypatch.setattr(kafka, "KafkaProducer", FakeProducer)
    for var in ("KAFKA_BROKER", "TOPIC_CLICKSTREAM", "TOPIC_BASKET", "TOPIC_STORE_CHECKOUTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("TOPIC_INVENTORY", raising=False)
    return FakeProducer


def test_main_sends_capped_records(
    fake_producer: type[FakeProducer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--customers", "20", "--count", "50", "--rate", "0", "--quiet"]) == 0
    (producer,) = fake_producer.instances
    assert len(producer.sent) == 50
    assert producer.flushed and producer.closed
    assert producer.config["bootstrap_servers"] == ["127.0.0.1:9092"]
    assert producer.config["max_request_size"] >= 2 * 1024 * 1024
    err = capsys.readouterr().err
    assert "\r" in err and "sent 50 records" in err and err.endswith("\n")


def test_main_sends_everything_generated(fake_producer: type[FakeProducer]) -> None:
    argv = ["--customers", "10", "--seed", "3", "--rate", "0", "--quiet"]
    argv += ["--start", "2026-11-22T10:00:00+00:00", "--bad-share", "0.05", "--batch-share", "0.2"]
    assert main(argv) == 0
    options = GeneratorOptions(10, 3, 0.05, 0.2, START)
    expected = [(r.topic, r.key, r.value) for r in generate(options)]
    assert fake_producer.instances[0].sent == expected


def test_main_reads_broker_and_topics_from_env(
    fake_producer: type[FakeProducer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BROKER", "kafka://broker-a:9092,kafka://broker-b:9093")
    monkeypatch.setenv("TOPIC_STORE_CHECKOUTS", "tills")
    assert main(["--customers", "40", "--rate", "0", "--quiet"]) == 0
    (producer,) = fake_producer.instances
    assert producer.config["bootstrap_servers"] == ["broker-a:9092", "broker-b:9093"]
    topics = {topic for topic, _, _ in producer.sent}
    assert "tills" in topics and "store-checkouts" not in topics


def test_main_loops_until_interrupted(fake_producer: type[FakeProducer]) -> None:
    fake_producer.interrupt_after = 3000
    argv = ["--customers", "5", "--loop", "--rate", "0", "--quiet", "--bad-share", "0"]
    assert main(argv) == 0
    (producer,) = fake_producer.instances
    assert len(producer.sent) == 3000
    assert producer.flushed and producer.closed
    documents = [orjson.loads(value) for _, _, value in producer.sent]
    assert len({d["messageId"] for d in documents}) == len(documents)
    now = datetime.now(UTC)
    assert max(datetime.fromisoformat(d["timestamp"]) for d in documents) <= now


def test_rate_limits_sending(fake_producer: type[FakeProducer]) -> None:
    started = time.monotonic()
    assert main(["--customers", "5", "--count", "60", "--rate", "300", "--quiet"]) == 0
    assert time.monotonic() - started >= 0.15
