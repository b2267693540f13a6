"""Stock is a store fact: personless ``Stock Updated`` records it, and a restock re-evaluates
web-to-store for the customers of that store who recently viewed the product online."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.harness import WorkerProcess, wait_until
from tests.integration.offer_scenarios import (
    SOCKS,
    Customer,
    days_ago,
    stock_update,
    wait_for,
)

pytestmark = pytest.mark.integration


def _store() -> str:
    return f"store-{uuid.uuid4().hex[:8]}"  # stock is shared state: each test its own store


def _boots() -> dict[str, object]:
    return {"product_id": f"BOO-{uuid.uuid4().hex[:6]}", "name": "Hiking boot", "price": 120.0}


def _recorded(worker: WorkerProcess) -> float:
    return worker.metric_sum("omni_stock_readings_total", outcome="recorded")


def test_a_stock_update_keyed_by_store_with_no_person_is_recorded(worker: WorkerProcess) -> None:
    store, boots = _store(), _boots()
    customer = Customer(worker)
    customer.consent(push=True, at=days_ago(20))
    customer.till_order(store, [SOCKS], at=days_ago(10))
    customer.flush(settle=True)
    recorded = _recorded(worker)

    stock_update(worker, store, str(boots["product_id"]), 4)
    wait_until(lambda: _recorded(worker) >= recorded + 1, what="the stock reading recorded")
    customer.event("clickstream", "Product Viewed", **boots)
    customer.event("clickstream", "Product Viewed", channel="mobile", **boots)
    customer.flush()

    triggers = wait_for(worker, "web_to_store", customer.user, timeout_s=20)
    assert len(triggers) == 1
    assert triggers[0]["offer"]["store_id"] == store
    assert triggers[0]["offer"]["product_ids"] == [boots["product_id"]]
    assert f"4 in stock at {store}" in triggers[0]["reason"]["text"]


def test_a_restock_offers_the_store_to_its_customers_who_viewed_the_product(
    worker: WorkerProcess,
) -> None:
    store, boots = _store(), _boots()
    product_id = str(boots["product_id"])
    now = datetime.now(UTC)
    customer = Customer(worker)
    customer.consent(email=True, at=days_ago(20))
    customer.till_order(store, [SOCKS], at=days_ago(10))
    customer.flush(settle=True)
    # Readings of one store share its partition: the restock is read after this one.
    stock_update(worker, store, product_id, 0, at=now - timedelta(hours=1))
    applied = worker.metric_sum("omni_events_applied_total")
    customer.event("clickstream", "Product Viewed", at=now - timedelta(minutes=20), **boots)
    customer.event("clickstream", "Product Viewed", at=now - timedelta(minutes=19), **boots)
    customer.flush()
    wait_until(
        lambda: worker.metric_sum("omni_events_applied_total") >= applied + 2, what="views folded"
    )
    # The views' batch is finished (its triggers delivered): out of stock, nothing was sent.
    assert wait_for(worker, "web_to_store", customer.user, timeout_s=0) == []

    restock = stock_update(worker, store, product_id, 5, at=now)
    triggers = wait_for(worker, "web_to_store", customer.user, timeout_s=30)
    assert len(triggers) == 1
    trigger = triggers[0]
    assert trigger["offer"]["store_id"] == store
    assert trigger["offer"]["product_ids"] == [product_id]
    assert trigger["channel"] == "email"
    assert trigger["reason"]["code"] == "back_in_stock"
    assert "back in stock" in trigger["reason"]["text"]
    assert trigger["caused_by"] == [restock["messageId"]]

    recorded, restocks = _recorded(worker), worker.metric_sum("omni_restocks_total")
    stock_update(worker, store, product_id, 7, at=now + timedelta(seconds=1))
    wait_until(lambda: _recorded(worker) >= recorded + 1, what="the second reading recorded")
    assert worker.metric_sum("omni_restocks_total") == restocks  # 5 -> 7 is no restock
    assert len(wait_for(worker, "web_to_store", customer.user, timeout_s=0)) == 1
