"""A killed worker still fires once; a backfill of a recorded day gives the same trigger ids."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.harness import WorkerProcess, produce, wait_until
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

pytestmark = [pytest.mark.integration, pytest.mark.long]


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
        replace(live.services, redis_url=f"redis://127.0.0.1:{fresh_redis.port}/0"),
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
            backfill.wait_processed(consumed, what="backfill stage processed")
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
