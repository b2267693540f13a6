"""Cross-topic order for one person: a consent folded just after a till sale still counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.harness import WorkerProcess
from tests.integration.offer_scenarios import SHOES, Customer, rules_for_tests, wait_for

pytestmark = pytest.mark.integration

# Longer than the shipped 2 s, so that settling the sale before sending the consent
# fits inside it on a loaded machine.
GRACE_S = 8


def test_a_consent_sent_a_second_before_a_till_sale_counts_when_folded_after_it(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    worker = make_worker(
        extra_env={
            "OFFER_RULES_PATH": str(rules_for_tests(log_dir)),
            "DECISION_GRACE_MS": str(GRACE_S * 1000),
        }
    )
    worker.create_topics()
    worker.start()
    customer = Customer(worker)
    sale_at = datetime.now(UTC)
    customer.till_order("store-001", [SHOES], at=sale_at)
    customer.flush(settle=True)  # the sale is folded first, on store-checkouts
    customer.consent(email=True, at=sale_at - timedelta(seconds=1))  # on clickstream
    customer.flush()

    (trigger,) = wait_for(worker, "cross_sell", customer.user, timeout_s=GRACE_S + 30)
    assert trigger["channel"] == "email"
    assert wait_for(worker, "suppressed", customer.user, timeout_s=0) == []
