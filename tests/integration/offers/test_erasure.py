"""Erasure cannot reset contact pressure: the caps of the erased person still hold."""

from __future__ import annotations

import pytest

from tests.integration.harness import WorkerProcess, wait_until
from tests.integration.offer_scenarios import SHOES, Customer, suppressed, wait_for

pytestmark = pytest.mark.integration


def test_an_erased_customer_who_returns_keeps_their_contact_caps(worker: WorkerProcess) -> None:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()
    (first,) = wait_for(worker, "cross_sell", customer.user, timeout_s=30)

    erasures = worker.metric_sum("omni_erasures_total")
    customer.event("clickstream", "Erasure Requested")
    customer.flush()
    wait_until(lambda: worker.metric_sum("omni_erasures_total") > erasures, what="erasure")

    customer.consent(email=True)  # a fresh context: nothing of the old one is left
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()
    (held_back,) = suppressed(worker, customer.user, "cooldown", timeout_s=30)
    assert held_back["type"] == "cross_sell"
    assert wait_for(worker, "cross_sell", customer.user, timeout_s=0) == [first]
