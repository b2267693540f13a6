"""Back in stock end to end: a product a customer viewed comes back (0 -> more units) online
or at their store, and a ``back_in_stock`` trigger names it and where it is back; none
outside the window, none after a purchase."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.harness import WorkerProcess, wait_until
from tests.integration.offer_scenarios import SOCKS, Customer, days_ago, stock_update, wait_for

pytestmark = pytest.mark.integration


def _product() -> dict[str, Any]:
    return {"product_id": f"BIS-{uuid.uuid4().hex[:6]}", "name": "Rain boot", "price": 80.0}


def _online_stock(worker: WorkerProcess, product_id: str, units: int, at: datetime) -> str:
    """A ``Stock Updated`` from the web shop (no store); its messageId."""
    return str(stock_update(worker, None, product_id, units, at)["messageId"])


def _viewer(worker: WorkerProcess, product: dict[str, Any], viewed: datetime) -> Customer:
    """A customer consenting to email who viewed ``product`` once, folded (watched) on return."""
    customer = Customer(worker)
    customer.consent(email=True, at=days_ago(30))
    customer.flush(settle=True)
    applied = worker.metric_sum("omni_events_applied_total")
    customer.event("clickstream", "Product Viewed", at=viewed, **product)
    customer.flush()
    wait_until(
        lambda: worker.metric_sum("omni_events_applied_total") >= applied + 1, what="view folded"
    )
    return customer


def _restocks(worker: WorkerProcess) -> float:
    return worker.metric_sum("omni_restocks_total")


def _not_eligible(worker: WorkerProcess) -> float:
    return worker.metric_sum("omni_restock_reevaluations_total", outcome="not_eligible")


def _back_in_stock(
    worker: WorkerProcess, customer: Customer, timeout_s: float = 30
) -> list[dict[str, Any]]:
    found = wait_for(worker, "remarketing", customer.user, timeout_s=timeout_s)
    return [t for t in found if t["type"] == "back_in_stock"]


def test_a_product_back_online_is_offered_to_who_viewed_it(worker: WorkerProcess) -> None:
    now, product = datetime.now(UTC), _product()
    pid = product["product_id"]
    _online_stock(worker, pid, 0, now - timedelta(hours=2))
    customer = _viewer(worker, product, now - timedelta(hours=1))

    restock = _online_stock(worker, pid, 6, now)
    [trigger] = _back_in_stock(worker, customer)
    assert trigger["offer"]["product_ids"] == [pid]
    assert trigger["offer"]["store_id"] is None
    assert trigger["offer"]["offer_id"] == "back-in-stock"
    assert trigger["reason"]["code"] == "back_online"
    assert "back in stock online (6 units)" in trigger["reason"]["text"]
    assert trigger["caused_by"] == [restock]
    assert trigger["channel"] == "email"


def test_a_product_back_at_their_store_names_the_store(worker: WorkerProcess) -> None:
    now, product, store = datetime.now(UTC), _product(), f"store-{uuid.uuid4().hex[:8]}"
    pid = product["product_id"]
    customer = Customer(worker)
    customer.consent(email=True, at=days_ago(30))
    customer.till_order(store, [SOCKS], at=days_ago(10))  # their store
    customer.flush(settle=True)
    stock_update(worker, store, pid, 0, at=now - timedelta(hours=2))
    applied = worker.metric_sum("omni_events_applied_total")
    # One view: web-to-store needs two, so back-in-stock is the only offer.
    customer.event("clickstream", "Product Viewed", at=now - timedelta(minutes=30), **product)
    customer.flush()
    wait_until(
        lambda: worker.metric_sum("omni_events_applied_total") >= applied + 1, what="view folded"
    )

    stock_update(worker, store, pid, 3, at=now)
    [trigger] = _back_in_stock(worker, customer)
    assert trigger["offer"]["store_id"] == store
    assert trigger["offer"]["product_ids"] == [pid]
    assert trigger["reason"]["code"] == "back_at_store"
    assert f"at {store}, their store (3 units)" in trigger["reason"]["text"]


def test_no_offer_when_the_interest_is_older_than_the_window(worker: WorkerProcess) -> None:
    now, product = datetime.now(UTC), _product()
    pid = product["product_id"]
    _online_stock(worker, pid, 0, now - timedelta(days=20))
    customer = _viewer(worker, product, now - timedelta(days=15))  # the window is 14 days
    restocks = _restocks(worker)
    readings = worker.metric_sum("omni_stock_readings_total")

    _online_stock(worker, pid, 4, now)
    wait_until(lambda: _restocks(worker) >= restocks + 1, what="the restock read")
    # The restock is read and decided in one batch: had it reached them, it would be out.
    wait_until(lambda: worker.metric_sum("omni_stock_readings_total") > readings, what="batch")
    assert _back_in_stock(worker, customer, timeout_s=0) == []
    assert wait_for(worker, "suppressed", customer.user, timeout_s=0) == []


def test_no_offer_after_a_purchase_of_the_product(worker: WorkerProcess) -> None:
    now, product = datetime.now(UTC), _product()
    pid = product["product_id"]
    _online_stock(worker, pid, 0, now - timedelta(hours=3))
    customer = _viewer(worker, product, now - timedelta(hours=2))
    customer.event(
        "basket",
        "Order Completed",
        at=now - timedelta(hours=1),
        order_id=f"o-{uuid.uuid4().hex[:8]}",
        total=80.0,
        currency="EUR",
        products=[product],
    )
    customer.flush(settle=True)
    not_eligible = _not_eligible(worker)

    _online_stock(worker, pid, 2, now)
    # Decided again and found not eligible: the decision that would have sent it is taken.
    wait_until(lambda: _not_eligible(worker) >= not_eligible + 1, what="the viewer decided")
    assert _back_in_stock(worker, customer, timeout_s=0) == []
