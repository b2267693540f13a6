"""Demo and load generator CLI: ``python -m streams.local.generator``.

Publishes the seeded journeys of :mod:`streams.local.demo.journeys` to Kafka with
pacing and a progress line.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from config import TopicNames
from config.kafka_security import KafkaSecurity
from streams.local.demo.batching import kafka_partition, pack_batches
from streams.local.demo.journeys import WINDOW, generate
from streams.local.demo.malformed import BAD_REASONS, FAR_FUTURE, OVERSIZED_BYTES
from streams.local.demo.options import GeneratorOptions
from streams.local.demo.records import GeneratedRecord
from streams.local.demo.totals import CustomerTotals, expected_totals

if TYPE_CHECKING:
    from kafka import KafkaProducer

__all__ = [
    "BAD_REASONS",
    "FAR_FUTURE",
    "OVERSIZED_BYTES",
    "WINDOW",
    "CustomerTotals",
    "GeneratedRecord",
    "GeneratorOptions",
    "TopicNames",
    "expected_totals",
    "generate",
    "main",
]


class _Pacer:
    """Token bucket: sleeps only when more than ``slack`` ahead, bursts at most one second."""

    def __init__(self, rate: float, slack: float = 0.01) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.slack = slack
        self.due: float | None = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.due is None or now - self.due > 1.0:
            self.due = now
        if self.due - now > self.slack:
            time.sleep(self.due - now)
        self.due += self.interval


class _Progress:
    def __init__(self, quiet: bool, stream: TextIO) -> None:
        self.quiet = quiet
        self.stream = stream
        self.started = self.drawn_at = time.monotonic()
        self.sent = self.bad = self.failed = self.drawn_sent = 0
        self.width = 0

    def record(self, record: GeneratedRecord) -> None:
        self.sent += 1
        self.bad += 0 if record.valid else 1
        now = time.monotonic()
        if not self.quiet and now - self.drawn_at >= 0.5:
            rate = (self.sent - self.drawn_sent) / (now - self.drawn_at)
            self._draw(f"sent {self.sent}  rate {rate:,.0f} rec/s  bad {self.bad}", end="")
            self.drawn_at, self.drawn_sent = now, self.sent

    def failure(self, _error: BaseException) -> None:
        self.failed += 1

    def finish(self, interrupted: bool) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        status = "interrupted" if interrupted else "done"
        self._draw(
            f"{status}: sent {self.sent} records ({self.bad} malformed, {self.failed} failed)"
            f" in {elapsed:.1f}s, {self.sent / elapsed:,.0f} rec/s",
            end="\n",
        )

    def _draw(self, line: str, end: str) -> None:
        self.stream.write("\r" + line.ljust(self.width) + end)
        self.stream.flush()
        self.width = 0 if end else len(line)


def _bootstrap_default(environ: Mapping[str, str]) -> str:
    servers = environ.get("KAFKA_BROKER", "").replace(";", ",")
    hosts = [s.strip().removeprefix("kafka://") for s in servers.split(",") if s.strip()]
    return ",".join(hosts) or "127.0.0.1:9092"


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m streams.local.generator",
        description="Publish seeded web, mobile and store customer journeys to Kafka.",
    )
    add = parser.add_argument
    add("--bootstrap", default=_bootstrap_default(os.environ), help="Kafka bootstrap servers")
    add("--customers", type=int, default=100, help="customers per round")
    add("--count", type=int, default=0, help="stop after N records (0: all generated)")
    add("--rate", type=float, default=200.0, help="records per second (0: unthrottled)")
    add("--seed", type=int, default=42)
    add("--bad-share", type=float, default=0.01, help="share of malformed records")
    add("--batch-share", type=float, default=0.0, help="share of journeys sent as batches")
    add(
        "--batch-size",
        type=int,
        default=1,
        help="events per Segment batch record, packed per partition (1: one event per record)",
    )
    add("--start", type=_timestamp, help="base event time, ISO-8601 (default: now - 1h)")
    add("--loop", action="store_true", help="new customers each round (seed + round) until Ctrl-C")
    add("--quiet", action="store_true", help="no live progress line")
    return parser


def _partition_counts(producer: KafkaProducer) -> Callable[[str], int]:
    """A topic's partition count as the producer sees it (cached: asked once per topic)."""
    counts: dict[str, int] = {}

    def count(topic: str) -> int:
        if topic not in counts:
            counts[topic] = len(producer.partitions_for(topic) or ()) or 1
        return counts[topic]

    return count


def _stream(args: argparse.Namespace, topics: TopicNames) -> Iterator[GeneratedRecord]:
    for round_number in itertools.count() if args.loop else range(1):
        options = GeneratorOptions(
            customers=args.customers,
            seed=args.seed + round_number,
            bad_share=args.bad_share,
            batch_share=args.batch_share,
            start=None if args.loop else args.start,
            topics=topics,
        )
        yield from generate(options)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.customers < (1 if args.loop else 0) or args.count < 0 or args.rate < 0:
        parser.error("--customers, --count, --rate must be >= 0 (--customers >= 1 with --loop)")
    if not 0 <= args.bad_share < 1 or not 0 <= args.batch_share <= 1:
        parser.error("--bad-share must be in [0, 1) and --batch-share in [0, 1]")
    if args.batch_size < 1 or (args.batch_size > 1 and args.batch_share):
        parser.error("--batch-size must be >= 1, and cannot be combined with --batch-share")
    if args.loop and args.start is not None:
        parser.error("--start cannot be combined with --loop: loop rounds follow the wall clock")

    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        producer = KafkaProducer(
            bootstrap_servers=args.bootstrap.split(","),
            client_id="retail-generator",
            # The worker's SASL/TLS variables (KAFKA_SECURITY_PROTOCOL, ...) apply here too.
            **KafkaSecurity.from_env(os.environ).kafka_python(),
            acks=1,
            linger_ms=5,
            max_request_size=2 * 1024 * 1024,
        )
    except KafkaError as exc:
        print(f"generator: cannot reach Kafka at {args.bootstrap}: {exc!r}", file=sys.stderr)
        return 1
    topics = TopicNames.from_env(os.environ)
    records = _stream(args, topics)
    if args.batch_size > 1:
        partitions = _partition_counts(producer)
        batchable = frozenset(topics.inputs)
        records = pack_batches(records, args.batch_size, kafka_partition(partitions), batchable)
    if args.count:
        records = itertools.islice(records, args.count)
    pacer, progress = _Pacer(args.rate), _Progress(args.quiet, sys.stderr)
    interrupted = False
    try:
        for record in records:
            pacer.wait()
            future = producer.send(record.topic, key=record.key, value=record.value)
            future.add_errback(progress.failure)
            progress.record(record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            producer.flush(timeout=30)
            producer.close(timeout=10)
        except KeyboardInterrupt:
            producer.close(timeout=0)
            interrupted = True
    progress.finish(interrupted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
