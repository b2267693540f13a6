"""Helpers for integration tests: a worker process, Kafka I/O, polling.

Every test gets its own topic namespace and consumer group, so counters and
topics never mix between tests, and nothing is ever flushed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from redis.cluster import RedisCluster

from config import Settings, TopicNames
from config.settings import TOPIC_ENV_VARS
from streams.kafka.topics import ensure_topics
from streams.local.services import free_port, stop_process

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Services:
    kafka_broker: str  # host:port
    redis_url: str
    # Settings a worker on this broker needs (Tansu's: TANSU_WORKER_ENV).
    worker_env: Mapping[str, str] = field(default_factory=dict)


def wait_until(
    predicate: Callable[[], T], timeout_s: float = 30.0, interval_s: float = 0.05, what: str = ""
) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or predicate}")
        time.sleep(interval_s)


def namespaced_topics(namespace: str) -> TopicNames:
    defaults = TopicNames()
    return TopicNames(
        **{attr: f"{namespace}.{getattr(defaults, attr)}" for attr in TOPIC_ENV_VARS.values()}
    )


@dataclass
class WorkerProcess:
    """A real worker (``python -m streams.worker``) running as a child process, or with
    ``module="streams.api_server"`` the API server, configured alike."""

    services: Services
    log_dir: Path
    namespace: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    partitions: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    web_port: int = field(default_factory=free_port)
    file_limit: int | None = None  # the worker's open-file limit (RLIMIT_NOFILE), if set
    module: str = "streams.worker"

    @property
    def topics(self) -> TopicNames:
        return namespaced_topics(self.namespace)

    @property
    def redis_url(self) -> str:
        """The Redis this worker uses: the session's, or the one its env names."""
        return self.extra_env.get("REDIS_URL", self.services.redis_url)

    def redis(self) -> redis.Redis | RedisCluster:
        """A client of this worker's Redis: one server or a cluster, as its URL says."""
        scheme, separator, rest = self.redis_url.partition("://")
        if scheme.endswith("+cluster"):
            return RedisCluster.from_url(scheme.removesuffix("+cluster") + separator + rest)
        return redis.Redis.from_url(self.redis_url)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def env(self) -> dict[str, str]:
        env = {
            "KAFKA_BROKER": self.services.kafka_broker,
            "REDIS_URL": self.services.redis_url,
            "APP_ID": f"omni-{self.namespace}",
            # faust writes its state beside the logs, not into the checkout
            "DATA_DIR": str(self.log_dir / f"data-{self.namespace}"),
            "TOPIC_PARTITIONS": str(self.partitions),
            "WEB_PORT": str(self.web_port),
            "LOG_LEVEL": "info",
            "ERASURE_SALT": f"test-salt-{self.namespace}",
        }
        env.update(self.services.worker_env)
        topics = self.topics
        env.update({var: getattr(topics, attr) for var, attr in TOPIC_ENV_VARS.items()})
        env.update(self.extra_env)
        return env

    def create_topics(self) -> None:
        ensure_topics(self.settings)

    def start(self, ready_timeout_s: float = 60.0) -> WorkerProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"worker-{self.namespace}-{self.web_port}.log").open("wb")
        env = {**os.environ, **self.env(), "PYTHONPATH": str(REPO_ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if self.file_limit is None else self._limit_files,
        )
        log.close()
        wait_until(self._ready, ready_timeout_s, 0.2, f"{self.module} /ready")
        return self

    def _limit_files(self) -> None:
        assert self.file_limit is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.file_limit, self.file_limit))

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.module} exited with {self.process.returncode}:\n{self.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{self.url}/ready", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace_s=10.0)

    def kill(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace_s=0.0)

    def log_tail(self, lines: int = 40) -> str:
        logs = sorted(self.log_dir.glob(f"worker-{self.namespace}-*.log"))
        if not logs:
            return ""
        return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Scrape /metrics into {(sample name, sorted labels): value}."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def wait_processed(self, consumed: float, what: str = "", timeout_s: float = 30.0) -> None:
        """Wait until at least ``consumed`` records were read and every record on the
        input topics is processed (lag 0). Read is not applied: a record counts as
        consumed when its batch is parsed, before it reaches Redis."""

        def done() -> bool:
            scraped = self.metrics()  # one scrape for both, so they describe one moment
            read = sample_sum(scraped, "omni_records_consumed_total")
            return read >= consumed and sample_sum(scraped, "omni_consumer_lag") == 0

        wait_until(done, timeout_s=timeout_s, what=what or f"{consumed:.0f} records processed")

    def metric_sum(self, name: str, **labels: str) -> float:
        return sample_sum(self.metrics(), name, **labels)


# What the workers of the API tests are started with as API_TOKEN.
TOKEN = "test-token-not-a-secret"


def call(
    worker: WorkerProcess, path: str, *, method: str = "GET", token: str | None = TOKEN
) -> tuple[int, Any]:
    request = urllib.request.Request(f"{worker.url}{path}", method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body, kind = response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers["Content-Type"]
    return status, (orjson.loads(body) if "json" in (kind or "") else body.decode())


def produce(
    broker: str, records: Iterable[tuple[str, bytes | None, bytes]], max_request_size: int = 2 << 20
) -> int:
    producer = KafkaProducer(
        bootstrap_servers=broker, acks="all", linger_ms=5, max_request_size=max_request_size
    )
    count = 0
    try:
        for topic, key, value in records:
            producer.send(topic, key=key, value=value)
            count += 1
        producer.flush(timeout=30)
    finally:
        producer.close()
    return count


def consume_all(broker: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[Any]:
    """Read a topic from the beginning until ``expected`` records arrived (or time ran out)."""
    consumer = KafkaConsumer(
        bootstrap_servers=broker,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=4 << 20,
    )
    try:
        partitions = wait_until(
            lambda: consumer.partitions_for_topic(topic), 10, 0.1, f"metadata of {topic}"
        )
        assignment = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(records) < expected:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        # One more short poll: anything beyond `expected` is a duplicate the test must see.
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend(batch)
        return records
    finally:
        consumer.close()


def sample_sum(
    scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """The sum of a scrape's samples named ``name`` that carry ``labels``."""
    return sum(
        value
        for (sample, sample_labels), value in scraped.items()
        if sample == name and all((k, v) in sample_labels for k, v in labels.items())
    )
