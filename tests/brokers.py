"""Which broker the tests and the bench run on, and starting it with its Redis.

``TEST_BROKER=kafka`` is Apache Kafka, the production broker, fetched by Maven
(:mod:`streams.local.kafka`); ``TEST_BROKER=tansu`` is the zero-Java embedded
broker of ``make run``. Unset: Apache Kafka under CI (a missing Java is then a
failure), elsewhere Apache Kafka when ``java`` and ``mvn`` are there, else Tansu,
with a warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streams.local.kafka import missing_tools, start_kafka
from streams.local.services import TANSU_WORKER_ENV, EmbeddedService, EmbeddedStack, start_redis
from tests.integration.harness import Services


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chosen_broker() -> str:
    choice = os.environ.get("TEST_BROKER", "").strip().lower()
    if choice in ("kafka", "tansu"):
        return choice
    if choice:
        raise ValueError(f"TEST_BROKER must be kafka or tansu, not {choice!r}")
    if under_ci() or not missing_tools():
        return "kafka"
    warnings.warn(
        f"Apache Kafka needs {' and '.join(missing_tools())} on PATH: running on Tansu",
        stacklevel=2,
    )
    return "tansu"


@contextmanager
def local_services(directory: Path) -> Iterator[Services]:
    """The chosen broker and a Redis on free loopback ports, stopped on exit.
    Raises ``ServiceStartError`` when one cannot start."""
    directory.mkdir(parents=True, exist_ok=True)
    if chosen_broker() == "tansu":
        stack = EmbeddedStack(directory).start()
        try:
            yield Services(stack.kafka_broker, stack.redis_url, TANSU_WORKER_ENV)
        finally:
            stack.stop()
        return
    started: list[EmbeddedService] = []
    try:
        started.append(start_kafka(directory))
        started.append(start_redis(directory))
        kafka, redis = started
        yield Services(f"127.0.0.1:{kafka.port}", f"redis://127.0.0.1:{redis.port}/0")
    finally:
        for service in reversed(started):
            service.stop()
