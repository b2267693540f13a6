"""Triggers an event fires at once: web to store, cross-sell after a purchase, reactivation."""

from __future__ import annotations

import pytest

from tests.integration.harness import WorkerProcess
from tests.integration.offer_scenarios import (
    JACKET,
    SHOES,
    SOCKS,
    Customer,
    days_ago,
    wait_for,
)

pytestmark = pytest.mark.integration


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
