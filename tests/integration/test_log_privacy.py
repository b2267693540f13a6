"""A real worker's log holds no customer id, no email and no secret.

The worker runs with a known API token and erasure salt, against a Redis that wants a
password, and takes ``make run``-like traffic (the demo journeys: anonymous browsing,
identify, baskets, till sales, batches, malformed records) plus customers whose emails
travel in ``traits`` and ``properties``, some of them dead-lettered. The API is called
for those customers, with and without the token. Everything the worker wrote, from
start to shutdown, is then searched for every id, email and secret. At ``debug`` the
engine's own loggers talk more; the libraries must stay at info (LOG_LEVEL_LIBRARIES).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis import Redis as SyncRedis

from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from streams.local.services import start_redis
from tests.integration.harness import Services, WorkerProcess, call, produce, wait_until

pytestmark = pytest.mark.integration

REDIS_PASSWORD = f"redis-pw-{secrets.token_hex(8)}"
API_TOKEN = f"api-token-{secrets.token_hex(8)}"
ERASURE_SALT = f"erasure-salt-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def guarded_redis_url(log_dir: Path) -> Iterator[str]:
    directory = log_dir / "redis-with-password"
    directory.mkdir(parents=True, exist_ok=True)
    service = start_redis(directory)
    SyncRedis(port=service.port).config_set("requirepass", REDIS_PASSWORD)
    try:
        yield f"redis://:{REDIS_PASSWORD}@127.0.0.1:{service.port}/0"
    finally:
        service.stop()


def _ids_in(value: bytes) -> set[str]:
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return set()
    events = document.get("batch") if isinstance(document, dict) else None
    found = set()
    for event in events if isinstance(events, list) else [document]:
        if isinstance(event, dict):
            found |= {v for k in ("userId", "anonymousId") if isinstance(v := event.get(k), str)}
    return found


def _emailed_customer(topics: Any, number: int) -> tuple[list[tuple[str, bytes, bytes]], set[str]]:
    """A customer whose email is in identify traits, in properties, and in a bad record."""
    user, anonymous = f"mail-{uuid.uuid4().hex[:12]}", f"anon-{uuid.uuid4().hex[:12]}"
    email = f"jane.doe.{uuid.uuid4().hex[:8]}@example.com"
    now = datetime.now(UTC) - timedelta(minutes=5)

    def event(offset_s: int, **fields: Any) -> bytes:
        return orjson.dumps(
            {
                "messageId": uuid.uuid4().hex,
                "timestamp": (now + timedelta(seconds=offset_s)).isoformat(),
                "context": {"channel": "web"},
                "userId": user,
                **fields,
            }
        )

    identify = event(0, type="identify", anonymousId=anonymous, traits={"email": email})
    signup = event(1, type="track", event="Newsletter Subscribed", properties={"email": email})
    consent = event(2, type="track", event="Consent Updated", properties={"email": True})
    bad_time = orjson.loads(event(3, type="track", event="Profile Updated"))
    bad_time |= {"timestamp": "yesterday", "properties": {"email": email, "phone": "+33"}}
    key = user.encode()
    records = [
        (topics.clickstream, key, identify),
        (topics.clickstream, key, signup),
        (topics.clickstream, key, consent),
        (topics.clickstream, key, orjson.dumps(bad_time)),
        (
            topics.basket,
            key,
            event(
                4,
                type="track",
                event="Product Added",
                properties={"product_id": f"SKU-{number}", "price": 10.0, "email": email},
            ),
        ),
    ]
    return records, {user, anonymous, email}


@pytest.mark.parametrize("log_level", ["info", "debug"])
def test_the_worker_logs_no_customer_data_and_no_secret(
    services: Services, log_dir: Path, guarded_redis_url: str, log_level: str
) -> None:
    worker = WorkerProcess(
        replace(services, redis_url=guarded_redis_url),
        log_dir / "workers",
        extra_env={"API_TOKEN": API_TOKEN, "ERASURE_SALT": ERASURE_SALT, "LOG_LEVEL": log_level},
    )
    worker.create_topics()
    options = GeneratorOptions(
        customers=40,
        seed=4242 if log_level == "info" else 4343,
        bad_share=0.05,
        batch_share=0.3,
        topics=worker.topics,
    )
    records = [(r.topic, r.key, r.value) for r in generate(options)]
    needles = set().union(*(_ids_in(value) for _topic, _key, value in records))
    for number in range(5):
        emailed, found = _emailed_customer(worker.topics, number)
        records += emailed
        needles |= found
    customers = sorted(needles - {n for n in needles if "@" in n})
    try:
        worker.start()
        produce(services.kafka_broker, records)
        wait_until(
            lambda: worker.metric_sum("omni_records_consumed_total") == len(records),
            timeout_s=60,
            what="every record consumed",
        )
        for who in customers[:10]:
            for path in (f"/customers/{who}/context", f"/customers/{who}/next-best-offer"):
                assert call(worker, path, token=API_TOKEN)[0] in (200, 404)
            assert call(worker, f"/customers/{who}/export", token="not-the-token")[0] == 401
        assert call(worker, f"/customers/{customers[0]}", method="DELETE", token=API_TOKEN)[0] in (
            200,
            404,
        )
        assert call(worker, "/trends", token=API_TOKEN)[0] == 200
    finally:
        worker.stop()

    (log_path,) = (log_dir / "workers").glob(f"worker-{worker.namespace}-*.log")
    log = log_path.read_text(errors="replace")
    assert "[^Worker]: Ready" in log and "Stopping..." in log  # the whole run was captured
    assert len(needles) > 60 and sum("@" in n for n in needles) == 5
    secrets_ = {REDIS_PASSWORD, API_TOKEN, ERASURE_SALT}
    leaked = sorted(needle for needle in needles | secrets_ if needle in log)
    assert leaked == [], f"{len(leaked)} of {len(needles | secrets_)} found in {log_path}"
