"""A visitor's pending triggers follow them into the customer once identified."""

from __future__ import annotations

import time

import pytest

from tests.integration.harness import WorkerProcess
from tests.integration.offer_scenarios import BASKET_DELAY_S, SHOES, Customer, wait_for

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("consent_by", ["visitor", "customer"])
def test_a_basket_started_anonymously_is_remarketed_to_the_customer(
    worker: WorkerProcess, consent_by: str
) -> None:
    customer = Customer(worker)
    if consent_by == "visitor":
        customer.event("clickstream", "Consent Updated", anonymous=True, email=True)
    customer.event("basket", "Product Added", anonymous=True, **SHOES)
    customer.flush(settle=True)  # the visitor's basket timer is armed before identify
    started = time.monotonic()
    customer.identify()
    customer.flush(settle=True)
    if consent_by == "customer":
        customer.consent(email=True)
        customer.flush(settle=True)
    assert time.monotonic() - started < BASKET_DELAY_S, "identify must precede the deadline"

    (trigger,) = wait_for(worker, "remarketing", customer.user, timeout_s=30, settle_s=1)
    assert trigger["type"] == "abandoned_basket"
    assert (trigger["userId"], trigger["anonymousId"]) == (customer.user, customer.anonymous)
    assert trigger["channel"] == "email"
    assert trigger["offer"]["product_ids"] == ["SHO-001"]
    assert wait_for(worker, "suppressed", customer.anonymous, timeout_s=0) == []
