"""One sale published twice, by the web site and by the till: end to end, through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import TOKEN, Services, WorkerProcess, call, wait_until
from tests.integration.offer_scenarios import SHOES, Customer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(services, log_dir / "workers", extra_env={"API_TOKEN": TOKEN})
    process.create_topics()
    process.start()
    yield process
    process.stop()


def _send_copy(customer: Customer, copy: str, order_id: str, web_at: datetime) -> None:
    sale: dict[str, Any] = {
        "order_id": order_id,
        "total": SHOES["price"],
        "currency": "EUR",
        "products": [SHOES],
    }
    if copy == "web":
        customer.event("basket", "Order Completed", channel="web", at=web_at, **sale)
    else:
        till_at = web_at + timedelta(seconds=1)
        customer.event(
            "store_checkouts", "Order Completed", channel="store", at=till_at, store_id="S1", **sale
        )
    # Settled before the next copy, so the worker folds the copies in this order.
    customer.flush(settle=True)


@pytest.mark.parametrize(
    "arrival", [("web", "till"), ("till", "web")], ids=["web-first", "till-first"]
)
def test_a_duplicated_order_is_the_tills_sale_whichever_copy_arrives_first(
    worker: WorkerProcess, arrival: tuple[str, str]
) -> None:
    customer = Customer(worker)
    order_id = f"dup-{uuid.uuid4().hex[:8]}"
    web_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    for copy in arrival:
        _send_copy(customer, copy, order_id, web_at)

    def both_copies_folded() -> dict[str, Any] | None:
        status, context = call(worker, f"/customers/{customer.user}/context")
        return context if status == 200 and context["events_total"] == 2 else None

    context = wait_until(both_copies_folded, what="both copies in the context")
    till_at = (web_at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert (context["orders_count"], context["total_spent"]) == (1, SHOES["price"])
    assert (context["store_orders"], context["online_orders"]) == (1, 0)
    assert context["preferred_store"] == "S1"
    assert (context["last_order_channel"], context["last_order_at"]) == ("store", till_at)
    assert context["purchases_by_store"] == {"S1": {"orders": 1, "last_order_at": till_at}}
    [record] = context["recent_orders"]
    assert (record["order_id"], record["channel"], record["store_id"], record["at"]) == (
        order_id,
        "store",
        "S1",
        till_at,
    )
