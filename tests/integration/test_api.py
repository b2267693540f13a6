"""The touchpoint API against a running worker, real broker and Redis."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from redis import Redis as SyncRedis

from models.identity import Identity
from streams.local.services import start_redis
from streams.redis.keys import PersonKeys
from tests.integration.harness import TOKEN, Services, WorkerProcess, call, wait_until
from tests.integration.offer_scenarios import (
    JACKET,
    SHOES,
    Customer,
    days_ago,
    wait_for,
)
from tests.integration.shopper_context import assert_identified_shopper_context
from tests.unit.deployment_support import require_promtool

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(api_worker: WorkerProcess) -> WorkerProcess:
    return api_worker


@pytest.mark.parametrize(
    ("token", "code"),
    # urllib sends a header as latin-1: "wrông" arrives as bytes that are not UTF-8.
    [(None, "missing_token"), ("wrong", "invalid_token"), ("wrông", "invalid_token")],
)
def test_protected_endpoints_need_the_bearer_token(
    worker: WorkerProcess, shopper: Customer, token: str | None, code: str
) -> None:
    for path in (
        f"/customers/{shopper.user}/context",
        f"/customers/{shopper.user}/next-best-offer",
        f"/customers/{shopper.user}/export",
        "/trends",
    ):
        status, body = call(worker, path, token=token)
        assert status == 401, path
        assert body == {"error": {"code": code, "message": body["error"]["message"]}}
    status, body = call(worker, f"/customers/{shopper.user}", method="DELETE", token=token)
    assert (status, body["error"]["code"]) == (401, code)


def test_context_by_user_id_and_by_anonymous_id(worker: WorkerProcess, shopper: Customer) -> None:
    status, context = call(worker, f"/customers/{shopper.user}/context")
    assert status == 200
    assert_identified_shopper_context(context, shopper.user, shopper.anonymous)
    status, by_visitor = call(worker, f"/customers/{shopper.anonymous}/context")
    assert (status, by_visitor["userId"]) == (200, shopper.user)


def test_next_best_offer_reserves_nothing_and_explains_itself(
    worker: WorkerProcess, shopper: Customer
) -> None:
    status, offer = call(worker, f"/customers/{shopper.user}/next-best-offer")
    assert status == 200
    assert offer["reserved"] is False
    best = offer["best"]
    assert best["type"] == "abandoned_basket"
    assert best["offer"]["product_ids"] == ["SHO-001"]
    assert best["channel"] == "email"
    assert best["reason"]["text"]
    assert offer["considered"][0]["trigger_id"] == best["trigger_id"]
    assert offer["considered"][0]["verdict"] == "best"
    again = call(worker, f"/customers/{shopper.user}/next-best-offer")[1]
    assert again["best"]["trigger_id"] == best["trigger_id"]  # nothing was spent


def test_export_then_erase_then_404(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.event("clickstream", "Product Viewed", anonymous=True, **JACKET)
    customer.identify()
    customer.flush(settle=True)

    status, exported = call(worker, f"/customers/{customer.user}/export")
    assert status == 200
    assert exported["identity"] == {"kind": "user", "id": customer.user}
    assert exported["linked_anonymous_ids"] == [customer.anonymous]
    assert len(exported["processed_message_ids"]) == 2
    assert exported["context"]["userId"] == customer.user

    status, body = call(worker, f"/customers/{customer.user}", method="DELETE")
    assert (status, body) == (200, {"erased": True})
    for who in (customer.user, customer.anonymous):
        status, body = call(worker, f"/customers/{who}/context")
        assert (status, body["error"]["code"]) == (404, "customer_not_found")
    assert call(worker, f"/customers/{customer.user}", method="DELETE")[0] == 404


def test_trends_list_live_top_products(worker: WorkerProcess, shopper: Customer) -> None:
    buyer = Customer(worker)
    # Other tests on this Redis sell shoes too (the generator's catalogue): the category
    # filter is checked on a category of this test's own.
    boots = {**SHOES, "product_id": "BOO-001", "category": f"boots-{uuid.uuid4().hex[:8]}"}
    buyer.till_order("store-009", [JACKET, SHOES, boots])
    buyer.flush()

    def at_store() -> list[dict[str, Any]]:
        status, trends = call(worker, "/trends?store=store-009")
        assert status == 200
        return list(trends["products"])

    # Consumed is not yet applied: the sale counts once its batch is committed.
    sold = wait_until(at_store, what="the till sale in the store's trends")
    assert sorted((p["product_id"], p["purchases"]) for p in sold) == [
        ("BOO-001", 1),
        ("JAC-001", 1),
        ("SHO-001", 1),
    ]
    # The module's other tests share this worker and its trends: the top 5 may be
    # theirs, so the sale is looked for in the top 100 (the most a request gets).
    status, trends = call(worker, "/trends?limit=100")
    assert status == 200
    assert trends["window_seconds"] == 3600
    ids = [p["product_id"] for p in trends["products"]]
    assert {"BOO-001", "JAC-001", "SHO-001"} <= set(ids)
    status, top = call(worker, "/trends?limit=2")
    assert status == 200 and len(top["products"]) == 2
    status, in_category = call(worker, f"/trends?category={boots['category']}")
    assert [p["product_id"] for p in in_category["products"]] == ["BOO-001"]
    status, shoes = call(worker, "/trends?category=shoes")
    assert "SHO-001" in [p["product_id"] for p in shoes["products"]]
    assert not {"BOO-001", "JAC-001"} & {p["product_id"] for p in shoes["products"]}
    status, body = call(worker, "/trends?limit=0")
    assert (status, body["error"]["code"]) == (400, "bad_limit")


def test_health_ready_openapi_and_unknown_ids(worker: WorkerProcess) -> None:
    assert call(worker, "/health", token=None) == (200, {"status": "ok"})
    status, ready = call(worker, "/ready", token=None)
    assert (status, ready["ready"]) == (200, True)
    status, document = call(worker, "/openapi.json", token=None)
    assert status == 200 and document["openapi"].startswith("3.")
    status, body = call(worker, "/customers/nobody-at-all/context")
    assert (status, body["error"]["code"]) == (404, "customer_not_found")


def test_fausts_own_pages_are_not_served(worker: WorkerProcess) -> None:
    for path in ("/", "/router/", "/table/", "/graph/", "/stats/", "/assignment/", "/performance/"):
        assert call(worker, path, token=None)[0] == 404, path


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def test_the_worker_listens_on_web_host_only(worker: WorkerProcess) -> None:
    # The harness leaves WEB_HOST at its default, 127.0.0.1. Linux routes all of
    # 127.0.0.0/8 to the loopback interface: a socket bound to every interface answers
    # on 127.0.0.2 (the control shows this machine does), one bound to 127.0.0.1 does not.
    assert worker.settings.web_host == "127.0.0.1"
    with socket.create_server(("0.0.0.0", 0)) as control:
        assert _accepts("127.0.0.2", control.getsockname()[1]), "no 127.0.0.2 here"
    assert _accepts("127.0.0.1", worker.web_port)
    assert not _accepts("127.0.0.2", worker.web_port)


def test_metrics_count_what_was_sent_and_pass_promtool(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush(settle=True)
    assert wait_for(worker, "cross_sell", customer.user, timeout_s=20)
    produce_bad = Customer(worker)
    produce_bad.sent.append((worker.topics.clickstream, None, b"{broken"))
    produce_bad.flush(settle=True)

    def sent(topic_attr: str) -> int:
        from tests.integration.offer_scenarios import read_topic

        return len(read_topic(worker.services.kafka_broker, getattr(worker.topics, topic_attr)))

    wait_until(lambda: worker.metric_sum("omni_deadletters_total") == sent("deadletter"))
    from tests.integration.offer_scenarios import read_raw

    published = sum(
        len(read_raw(worker.services.kafka_broker, getattr(worker.topics, t)))
        for t in ("clickstream", "basket", "store_checkouts", "inventory")
    )
    assert worker.metric_sum("omni_records_consumed_total") == published
    emitted = sum(sent(t) for t in ("remarketing", "web_to_store", "cross_sell"))
    assert worker.metric_sum("omni_triggers_emitted_total") == emitted
    assert worker.metric_sum("omni_triggers_suppressed_total") == sent("suppressed")
    assert worker.metric_sum("omni_deadletters_total", reason="not_json") >= 1
    samples = worker.metrics()
    assert ("omni_worker_up", ()) in samples
    assert any(name == "omni_consumer_lag" for name, _labels in samples)
    assert any(name == "omni_api_request_seconds_count" for name, _labels in samples)

    text = call(worker, "/metrics", token=None)[1]
    promtool = require_promtool()
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_ready_answers_503_while_redis_is_down(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    redis = start_redis(log_dir)
    worker = make_worker(extra_env={"API_TOKEN": TOKEN})
    worker.services = replace(worker.services, redis_url=f"redis://127.0.0.1:{redis.port}/0")
    worker.create_topics()
    worker.start()
    assert call(worker, "/ready", token=None)[0] == 200
    # Stalled first: Redis accepts connections but runs no command for 3 s.
    SyncRedis(port=redis.port).execute_command("CLIENT", "PAUSE", "3000", "ALL")
    started = time.monotonic()
    status, body = call(worker, "/ready", token=None)
    assert (status, body["redis"], time.monotonic() - started < 1.0) == (503, False, True)
    redis.stop()
    _status, body = wait_until(
        lambda: (r := call(worker, "/ready", token=None))[0] == 503 and r, timeout_s=20
    )
    assert body == {"ready": False, "redis": False, "partitions_assigned": True}
    assert call(worker, "/health", token=None)[0] == 200
    time.sleep(0.1)
    assert worker.alive()


def test_the_context_lists_the_contacts_actually_sent(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    status, before = call(worker, f"/customers/{customer.user}/context")
    assert (status, before["contacts"]) == (200, [])

    customer.till_order("store-001", [SHOES])
    customer.flush()
    (trigger,) = wait_for(worker, "cross_sell", customer.user)

    def contacts() -> list[dict[str, Any]]:
        return call(worker, f"/customers/{customer.user}/context")[1]["contacts"]

    listed = wait_until(contacts, what="the contact in the context")
    assert listed == [
        {
            "trigger_id": trigger["trigger_id"],
            "type": "cross_sell",
            "channel": trigger["channel"],
            "at": trigger["created_at"],
        }
    ]


def test_the_decision_history_explains_what_was_sent_and_what_was_not(
    worker: WorkerProcess, services: Services
) -> None:
    customer = Customer(worker)
    customer.till_order("store-001", [SHOES], at=days_ago(2))  # no consent yet
    customer.flush(settle=True)
    wait_for(worker, "suppressed", customer.user)
    customer.consent(email=True, at=days_ago(1))
    customer.flush(settle=True)
    customer.till_order("store-002", [SHOES])
    customer.flush()
    (trigger,) = wait_for(worker, "cross_sell", customer.user)

    def history() -> list[dict[str, Any]]:
        entries = call(worker, f"/customers/{customer.user}/export")[1]["decision_history"]
        return entries if len(entries) >= 2 else []

    newest, oldest = wait_until(history, what="both decisions in the history")
    assert (newest["outcome"], newest["trigger_id"], newest["channel"]) == (
        "sent",
        trigger["trigger_id"],
        "email",
    )
    assert (oldest["outcome"], oldest["type"], oldest["reason"]["code"]) == (
        "suppressed",
        "cross_sell",
        "no_consent",
    )

    assert call(worker, f"/customers/{customer.user}", method="DELETE")[0] == 200
    client = redis.Redis.from_url(services.redis_url)
    key = PersonKeys.of(Identity.user(customer.user)).decisions
    assert client.exists(key) == 0
