"""Fixtures of the integration tests in more than one module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.harness import TOKEN, Services, WorkerProcess
from tests.integration.offer_scenarios import JACKET, SHOES, Customer, rules_for_tests


@pytest.fixture(scope="module")
def api_worker(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    """A worker whose API answers with ``TOKEN``, on the test rules; one per module."""
    process = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={"API_TOKEN": TOKEN, "OFFER_RULES_PATH": str(rules_for_tests(log_dir))},
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def shopper(api_worker: WorkerProcess) -> Customer:
    """An anonymous visitor who browses, identifies, consents, adds to basket."""
    customer = Customer(api_worker)
    customer.event("clickstream", "Product Viewed", anonymous=True, **JACKET)
    customer.event("clickstream", "Product Viewed", anonymous=True, **JACKET)
    customer.identify()
    customer.flush(settle=True)
    customer.consent(email=True, push=True)
    customer.flush(settle=True)
    customer.event("basket", "Product Added", **SHOES)
    customer.flush(settle=True)
    return customer
