"""What holds a trigger back: no consent, and the contact caps under two racing workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.harness import WorkerProcess, wait_until
from tests.integration.offer_scenarios import (
    SHOES,
    Customer,
    days_ago,
    rules_for_tests,
    suppressed,
    wait_for,
)

pytestmark = pytest.mark.integration


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

    assert suppressed(worker, withdrawn.user, "no_consent", timeout_s=20)
    assert suppressed(worker, visitor.anonymous, "no_consent", timeout_s=30)
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
    customer.flush()

    def consumed() -> float:
        return sum(w.metric_sum("omni_records_consumed_total") for w in (first, second))

    # Either worker may own the consent's partition: settle on both (waiting on the first
    # alone timed out whenever the second had it).
    wait_until(lambda: consumed() >= 1, timeout_s=60, what="the consent, by either worker")
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
    assert consumed() >= 25
    assert all(w.metric_sum("omni_records_consumed_total") > 0 for w in (first, second))
