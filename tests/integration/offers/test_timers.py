"""Delayed triggers: an abandoned basket or browse fires after its delay, a purchase cancels it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.harness import WorkerProcess, wait_until
from tests.integration.offer_scenarios import (
    BASKET_DELAY_S,
    JACKET,
    SHOES,
    SOCKS,
    Customer,
    published_at,
    rules_for_tests,
    suppressed,
    wait_for,
)

pytestmark = pytest.mark.integration


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

    cancelled = suppressed(worker, customer.user, "purchased", timeout_s=30)
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


def test_a_future_dated_event_on_the_partition_does_not_fire_a_basket_early(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    # The clamp scaled down with the delays: 1 s ahead at most, against a 4 s basket.
    worker = make_worker(
        extra_env={"OFFER_RULES_PATH": str(rules_for_tests(log_dir)), "CLOCK_MAX_AHEAD_S": "1"}
    )
    worker.create_topics()
    worker.start()
    shopper, stranger = Customer(worker), Customer(worker)

    def applied(count: int) -> bool:
        return worker.metric_sum("omni_events_applied_total") >= count

    shopper.consent(email=True)
    shopper.flush()
    wait_until(lambda: applied(1), what="consent applied")  # before the basket is decided
    now = datetime.now(UTC)
    added = now.replace(microsecond=now.microsecond // 1000 * 1000)  # event times are in ms
    shopper.event("basket", "Product Added", at=added, **SHOES)
    # Valid (under MAX_FUTURE_S), 23 h ahead, and on the shopper's partition of the
    # basket topic (the shopper's record key), published right after the add.
    stranger.event(
        "basket", "Cart Viewed", at=added + timedelta(hours=23), key=shopper.user.encode()
    )
    shopper.flush()
    stranger.flush()
    wait_until(lambda: applied(3), what="the add and the future-dated event applied")

    triggers = wait_for(worker, "remarketing", shopper.user, timeout_s=30)
    assert [t["type"] for t in triggers] == ["abandoned_basket"], "the basket must still fire"
    after_ms = published_at(worker, "remarketing", shopper.user)[0] - round(
        added.timestamp() * 1000
    )
    assert after_ms >= (BASKET_DELAY_S - 1) * 1000, f"fired {after_ms} ms after the add"
    # and once: no second reminder within another delay
    again = wait_for(worker, "remarketing", shopper.user, count=2, timeout_s=BASKET_DELAY_S)
    assert len(again) == 1
