"""Delayed triggers: an abandoned basket or browse fires after its delay, a purchase cancels it."""

from __future__ import annotations

import time

import pytest

from tests.integration.harness import WorkerProcess
from tests.integration.offer_scenarios import (
    BASKET_DELAY_S,
    JACKET,
    SHOES,
    SOCKS,
    Customer,
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
