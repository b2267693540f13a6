"""Next-best-offer scenarios end to end: published events in, consumed triggers out.

One worker with test-sized delays serves the single-worker scenarios; each
scenario uses its own customers. Two-worker, crash and replay scenarios start
their own workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.harness import Services, WorkerProcess, produce, wait_until
from tests.integration.offer_scenarios import (
    BASKET_DELAY_S,
    JACKET,
    SHOES,
    SOCKS,
    Customer,
    days_ago,
    read_topic,
    rules_for_tests,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={"OFFER_RULES_PATH": str(rules_for_tests(log_dir))},
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()


def _suppressed(
    worker: WorkerProcess, who: str, reason: str, timeout_s: float = 30.0
) -> list[dict]:
    """Suppressions of ``who`` with ``reason``, waiting for one (others may come first)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [
            record
            for record in wait_for(worker, "suppressed", who, timeout_s=0)
            if record["reason"]["code"] == reason
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_abandoned_basket_fires_once_after_the_delay(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.event("basket", "Product Added", **SHOES)
    customer.event("basket", "Product Added", channel="mobile", **SOCKS)
    customer.flush()
    started = time.monotonic()

    triggers = wait_for(worker, "remarketing", customer.user, timeout_s=30, settle_s=2)
    assert time.monotonic() - started >= BASKET_DELAY_S - 1
    assert len(triggers) == 1
    trigger = triggers[0]
    assert trigger["type"] == "abandoned_basket"
    assert sorted(trigger["offer"]["product_ids"]) == ["SHO-001", "SOC-001"]
    assert trigger["channel"] == "email"
    assert trigger["userId"] == customer.user
    assert trigger["reason"]["code"] and trigger["reason"]["text"]
    assert len(trigger["caused_by"]) >= 1
    assert trigger["offer"]["offer_id"] == "basket-reminder-10"


def test_a_till_purchase_before_the_deadline_cancels_the_remarketing(
    worker: WorkerProcess,
) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.event("basket", "Product Added", **SHOES)
    customer.flush()
    customer.till_order("store-001", [SHOES])
    customer.flush()

    cancelled = _suppressed(worker, customer.user, "purchased", timeout_s=30)
    assert cancelled, "the cancellation must be visible in triggers.suppressed"
    assert cancelled[0]["type"] == "abandoned_basket"
    assert "store-001" in cancelled[0]["reason"]["text"]
    remarketing = wait_for(worker, "remarketing", customer.user, timeout_s=2)
    assert remarketing == []


def test_browse_abandonment_after_three_views_but_not_after_an_add(worker: WorkerProcess) -> None:
    browser, adder = Customer(worker), Customer(worker)
    for customer in (browser, adder):
        customer.consent(email=True)
        customer.event("clickstream", "Product Viewed", **JACKET)
        customer.event("clickstream", "Product Viewed", **JACKET)
    adder.event("basket", "Product Added", **JACKET)
    for customer in (browser, adder):
        customer.event("clickstream", "Product Viewed", **JACKET)
        customer.flush()

    triggers = wait_for(worker, "remarketing", browser.user, timeout_s=30)
    assert [t["type"] for t in triggers] == ["browse_abandonment"]
    assert triggers[0]["offer"]["product_ids"] == ["JAC-001"]
    others = wait_for(worker, "remarketing", adder.user, timeout_s=BASKET_DELAY_S + 4)
    assert all(t["type"] != "browse_abandonment" for t in others)


def test_web_to_store_names_the_preferred_store_only_when_it_has_stock(
    worker: WorkerProcess,
) -> None:
    in_stock, out_of_stock = Customer(worker), Customer(worker)
    for customer, store, units in ((in_stock, "store-002", 4), (out_of_stock, "store-003", 0)):
        customer.consent(push=True, at=days_ago(20))
        customer.till_order(store, [SOCKS], at=days_ago(10))
        customer.event(
            "inventory",
            "Stock Updated",
            channel="store",
            key=store.encode(),
            store_id=store,
            product_id=SHOES["product_id"],
            quantity=units,
        )
        customer.flush(settle=True)
    for customer in (in_stock, out_of_stock):
        customer.event("clickstream", "Product Viewed", **SHOES)
        customer.event("clickstream", "Product Viewed", channel="mobile", **SHOES)
        customer.flush()

    triggers = wait_for(worker, "web_to_store", in_stock.user, timeout_s=20)
    assert len(triggers) == 1
    assert triggers[0]["offer"]["store_id"] == "store-002"
    assert triggers[0]["offer"]["product_ids"] == ["SHO-001"]
    assert triggers[0]["channel"] == "push"
    assert wait_for(worker, "web_to_store", out_of_stock.user, timeout_s=3) == []


def test_a_store_purchase_offers_a_mapped_category(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()

    triggers = wait_for(worker, "cross_sell", customer.user, timeout_s=20)
    assert len(triggers) == 1
    text = triggers[0]["reason"]["text"].lower()
    assert "socks" in text or "bags" in text  # shoes map to socks and bags in offers.toml


def test_a_lapsed_customer_who_returns_is_reactivated(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True, at=days_ago(200))
    customer.till_order("store-001", [JACKET], at=days_ago(120))
    customer.flush(settle=True)
    customer.event("clickstream", None, call="page", url="/")
    customer.flush()

    triggers = wait_for(worker, "remarketing", customer.user, timeout_s=20)
    assert [t["type"] for t in triggers] == ["reactivation"]
    assert triggers[0]["context"]["lifecycle_stage"] == "lapsed"


def test_no_consent_means_no_trigger_and_a_no_consent_suppression(worker: WorkerProcess) -> None:
    withdrawn = Customer(worker)
    withdrawn.consent(email=True, sms=True, push=True, ads=True, at=days_ago(1))
    withdrawn.consent(email=False, sms=False, push=False, ads=False)
    withdrawn.flush(settle=True)
    withdrawn.till_order("store-001", [SHOES])
    withdrawn.flush()
    visitor = Customer(worker)
    visitor.event("basket", "Product Added", anonymous=True, **SHOES)
    visitor.flush()

    assert _suppressed(worker, withdrawn.user, "no_consent", timeout_s=20)
    assert _suppressed(worker, visitor.anonymous, "no_consent", timeout_s=30)
    for who in (withdrawn.user, visitor.anonymous):
        for topic in ("remarketing", "cross_sell", "web_to_store"):
            assert wait_for(worker, topic, who, timeout_s=0.5) == []


def test_caps_hold_when_two_workers_race_for_one_customer(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    rules = str(rules_for_tests(log_dir))
    first = make_worker(extra_env={"OFFER_RULES_PATH": rules})
    second = make_worker(namespace=first.namespace, extra_env={"OFFER_RULES_PATH": rules})
    first.create_topics()
    first.start()
    second.start()
    customer = Customer(first)
    customer.consent(email=True, at=days_ago(1))
    customer.flush(settle=True)
    now = datetime.now(UTC)
    for n in range(24):  # 24 purchases, each a cross-sell candidate, spread over all partitions
        customer.till_order(f"store-00{n % 5 + 1}", [SHOES], at=now + timedelta(seconds=n))
        customer.sent[-1] = (customer.sent[-1][0], f"spread-{n}".encode(), customer.sent[-1][2])
    customer.flush()

    suppressed = wait_for(first, "suppressed", customer.user, count=23, timeout_s=40)
    sent = wait_for(first, "cross_sell", customer.user, timeout_s=5, settle_s=2)
    assert len({t["trigger_id"] for t in sent}) == 1  # the daily cap is 1
    assert len(suppressed) >= 23
    assert {s["reason"]["code"] for s in suppressed} <= {"capped", "cooldown"}
    consumed = sum(w.metric_sum("omni_records_consumed_total") for w in (first, second))
    assert consumed >= 25
    assert all(w.metric_sum("omni_records_consumed_total") > 0 for w in (first, second))


def test_a_worker_killed_before_the_deadline_still_fires_exactly_once(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    rules = str(rules_for_tests(log_dir))
    first = make_worker(extra_env={"OFFER_RULES_PATH": rules})
    first.create_topics()
    first.start()
    customer = Customer(first)
    customer.consent(email=True)
    customer.event("basket", "Product Added", **SHOES)
    customer.flush()
    wait_until(lambda: first.metric_sum("omni_events_applied_total") >= 2, what="basket add")
    first.kill()

    replacement = make_worker(namespace=first.namespace, extra_env={"OFFER_RULES_PATH": rules})
    replacement.start()
    triggers = wait_for(replacement, "remarketing", customer.user, timeout_s=40, settle_s=3)
    assert len({t["trigger_id"] for t in triggers}) == 1
    assert triggers[0]["type"] == "abandoned_basket"


def test_a_backfill_of_a_recorded_day_gives_the_same_trigger_ids(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    from streams.local.services import start_redis

    rules = str(rules_for_tests(log_dir))
    live = make_worker(extra_env={"OFFER_RULES_PATH": rules})
    live.create_topics()
    live.start()
    journeys = [Customer(live) for _ in range(4)]
    basket_buyer, browser, shopper, lapsed = journeys
    # Stages, replayed the same way: consent and history come before today's visits.
    steps = [
        lambda: [c.consent(email=True, push=True, at=days_ago(300)) for c in journeys],
        lambda: lapsed.till_order("store-004", [JACKET], at=days_ago(150)),
        lambda: (
            basket_buyer.event("basket", "Product Added", **SOCKS),
            [browser.event("clickstream", "Product Viewed", **JACKET) for _ in range(3)],
            shopper.till_order("store-001", [SHOES]),
            lapsed.event("clickstream", None, call="page", url="/"),
        ),
    ]
    stages: list[list[tuple[str, bytes | None, bytes]]] = []
    for step in steps:
        step()
        stages.append([record for c in journeys for record in c.sent])
        for customer in journeys:
            customer.flush(settle=True)

    def trigger_ids(worker: WorkerProcess) -> set[str]:
        ids = set()
        for topic in ("remarketing", "cross_sell", "web_to_store"):
            ids |= {
                r["trigger_id"]
                for r in read_topic(worker.services.kafka_broker, getattr(worker.topics, topic))
            }
        return ids

    # basket, browse, the shopper's cross-sell, and the lapsed customer's old cross-sell
    # (150 days ago) plus today's reactivation
    wait_until(lambda: len(trigger_ids(live)) >= 5, timeout_s=40, what="live triggers")
    time.sleep(BASKET_DELAY_S)
    expected_live = trigger_ids(live)
    live.stop()

    fresh_redis = start_redis(log_dir)
    backfill = WorkerProcess(
        Services(live.services.kafka_broker, f"redis://127.0.0.1:{fresh_redis.port}/0"),
        log_dir / "workers",
        extra_env={"OFFER_RULES_PATH": rules},
    )
    try:
        backfill.create_topics()
        backfill.start()
        consumed = 0
        for stage in stages:
            produce(
                backfill.services.kafka_broker,
                [(getattr(backfill.topics, _attr_of(live, t)), k, v) for t, k, v in stage],
            )
            consumed += len(stage)
            wait_until(
                lambda n=consumed: backfill.metric_sum("omni_records_consumed_total") >= n,
                what="backfill stage consumed",
            )
        wait_until(
            lambda: len(trigger_ids(backfill)) >= len(expected_live), timeout_s=60, what="backfill"
        )
        time.sleep(BASKET_DELAY_S)
        assert trigger_ids(backfill) == expected_live
    finally:
        backfill.stop()
        fresh_redis.stop()


def _attr_of(worker: WorkerProcess, topic: str) -> str:
    for attr in ("clickstream", "basket", "store_checkouts", "inventory"):
        if getattr(worker.topics, attr) == topic:
            return attr
    raise KeyError(topic)


def test_a_bad_rules_file_stops_the_worker_with_an_error_naming_the_field(
    services: Services, log_dir: Path
) -> None:
    import os
    import subprocess
    import sys

    bad = log_dir / "bad-offers.toml"
    bad.write_text(rules_for_tests(log_dir).read_text().replace("priority = 100", "prority = 100"))
    worker = WorkerProcess(services, log_dir / "workers", extra_env={"OFFER_RULES_PATH": str(bad)})
    finished = subprocess.run(
        [sys.executable, "-m", "streams.worker"],
        env={**os.environ, **worker.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = finished.stdout.decode() + finished.stderr.decode()
    assert finished.returncode == 2
    assert "triggers.abandoned_basket.prority" in output
