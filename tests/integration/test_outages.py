"""A worker whose Redis hangs or dies under it: the stall is reported, the lag counts what
is not processed, and a stop request is obeyed at once without losing the batch."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
import redis

from models.context.stored import unpack
from models.identity import Identity
from streams.redis.keys import PersonKeys
from tests.integration.harness import (
    WorkerProcess,
    call,
    produce,
    wait_until,
)
from tests.integration.redis_server import RedisServer
from tests.integration.test_ingest import _event

pytestmark = pytest.mark.integration

STALL_S = 2.0


def _views(user: str, count: int) -> list[bytes]:
    return [
        orjson.dumps(_event("Product Viewed", userId=user, properties={"product_id": f"p{i}"}))
        for i in range(count)
    ]


def _events_total(client: redis.Redis, user: str) -> int:
    doc = client.hget(PersonKeys.of(Identity.user(user)).context, "doc")
    return 0 if doc is None else int(orjson.loads(unpack(doc))["events_total"])


def _worker_on(
    make_worker: Callable[..., WorkerProcess], server: RedisServer, **kwargs: object
) -> WorkerProcess:
    worker = make_worker(**kwargs)
    worker.services = replace(worker.services, redis_url=server.url)
    return worker


def test_a_batch_stuck_on_a_paused_redis_is_reported_and_counted_as_lag(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    server = RedisServer(log_dir / f"redis-{uuid.uuid4().hex[:8]}").start()
    try:
        worker = _worker_on(make_worker, server, extra_env={"BATCH_STALL_S": str(STALL_S)})
        worker.create_topics()
        worker.start()
        client = redis.Redis.from_url(server.url)
        user, key = f"paused-{uuid.uuid4().hex[:8]}", None
        topic = worker.topics.clickstream
        produce(worker.services.kafka_broker, [(topic, key, v) for v in _views(user, 1)])
        wait_until(lambda: _events_total(client, user) == 1, what="the first view")
        wait_until(lambda: worker.metric_sum("omni_consumer_lag") == 0, what="no lag")

        # Writes wait (scripts included) while reads, PING among them, are answered.
        client.execute_command("CLIENT", "PAUSE", 120_000, "WRITE")
        second, third = _views(user, 3)[1:]
        produce(worker.services.kafka_broker, [(topic, key, second)])
        wait_until(lambda: worker.metric_sum("omni_records_consumed_total") == 2, what="read")
        # The third comes once the second's batch is stuck: fetched, never taken.
        produce(worker.services.kafka_broker, [(topic, key, third)])
        wait_until(
            lambda: worker.metric_sum("omni_consumer_lag") == 2,
            timeout_s=10,
            what="a lag of the 2 records not processed",
        )
        _status, body = wait_until(
            lambda: (r := call(worker, "/ready", token=None))[0] == 503 and r,
            timeout_s=30,
            what="/ready 503",
        )
        assert body["redis"] is True and body["partitions_assigned"] is True
        assert body["stalled"]["topic"] == topic
        assert body["stalled"]["in_progress_s"] >= STALL_S
        assert worker.metric_sum("omni_pipeline_stalled") == 1
        assert worker.metric_sum("omni_batch_stalled_seconds") >= STALL_S
        assert worker.metric_sum("omni_consumer_lag") == 2

        client.execute_command("CLIENT", "UNPAUSE")
        wait_until(lambda: _events_total(client, user) == 3, what="the views after the pause")
        wait_until(lambda: call(worker, "/ready", token=None)[0] == 200, what="/ready 200")
        assert "stalled" not in call(worker, "/ready", token=None)[1]
        assert worker.metric_sum("omni_pipeline_stalled") == 0
        assert worker.metric_sum("omni_consumer_lag") == 0
        assert worker.metric_sum("omni_records_consumed_total") == 3
        assert worker.metric_sum("omni_deadletters_total") == 0
    finally:
        server.stop()


def test_a_stop_request_ends_a_retry_loop_at_once_and_leaves_the_batch_for_the_next_worker(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    server = RedisServer(log_dir / f"redis-{uuid.uuid4().hex[:8]}").start()
    try:
        worker = _worker_on(make_worker, server)
        worker.create_topics()
        worker.start()
        first, second = f"before-{uuid.uuid4().hex[:8]}", f"during-{uuid.uuid4().hex[:8]}"
        topic = worker.topics.clickstream
        produce(worker.services.kafka_broker, [(topic, None, v) for v in _views(first, 1)])
        client = redis.Redis.from_url(server.url)
        wait_until(lambda: _events_total(client, first) == 1, what="the first view")

        server.kill()
        views = [(topic, second.encode(), v) for v in _views(second, 2)]
        produce(worker.services.kafka_broker, views[:1])
        wait_until(lambda: worker.metric_sum("omni_redis_errors_total") >= 2, what="retrying")
        # A record fetched behind the stuck batch: the stream holds it, the agent never will.
        produce(worker.services.kafka_broker, views[1:])
        wait_until(lambda: worker.metric_sum("omni_consumer_lag") == 2, 60, what="fetched behind")

        assert worker.process is not None
        started = time.monotonic()
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker ignored SIGTERM for 20 s:\n{worker.log_tail()}")
        stopped_in = time.monotonic() - started
        assert stopped_in < 15, stopped_in  # compose's stop grace is 30 s

        server.start()  # empty: no persistence; the view before the outage is gone
        client = redis.Redis.from_url(server.url)
        successor = _worker_on(make_worker, server, namespace=worker.namespace)
        successor.start()
        wait_until(lambda: _events_total(client, second) == 2, what="the views held")
        assert _events_total(client, first) == 0  # committed before: not read again
    finally:
        server.stop()
