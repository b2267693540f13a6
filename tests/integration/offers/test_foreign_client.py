"""A client that is not ours (Debian's kcat, on librdkafka) reads the triggers per the contract."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime

import orjson
import pytest

from tests.brokers import chosen_broker, under_ci
from tests.integration.harness import WorkerProcess
from tests.integration.offer_scenarios import SHOES, Customer, wait_for
from tests.unit.offers.support import TRIGGER_CONTRACT

pytestmark = pytest.mark.integration


def _kcat() -> str:
    found = shutil.which("kcat")
    if found is None:
        if under_ci():
            pytest.fail("kcat is missing under CI (Debian package kcat; .ci/run installs it)")
        pytest.skip("kcat is not installed (Debian package kcat)")
    if chosen_broker() != "kafka" and not os.environ.get("TEST_KAFKA_BROKER"):
        # Debian's librdkafka cannot read Tansu's ApiVersions reply.
        pytest.skip("kcat needs Apache Kafka (TEST_BROKER=kafka)")
    return found


def test_kcat_reads_a_cross_sell_keyed_by_customer_with_every_contract_field(
    worker: WorkerProcess,
) -> None:
    kcat = _kcat()
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()
    (ours,) = wait_for(worker, "cross_sell", customer.user, timeout_s=30)

    topic = ["-b", worker.services.kafka_broker, "-C", "-t", worker.topics.cross_sell]
    read = subprocess.run(
        [kcat, *topic, "-o", "beginning", "-e", "-q", "-f", "%k\\t%s\\n"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    rows = [line.split(b"\t", 1) for line in read.stdout.splitlines() if line]
    theirs = [(key, orjson.loads(value)) for key, value in rows]
    (key, trigger) = next((k, t) for k, t in theirs if t["trigger_id"] == ours["trigger_id"])
    assert key == customer.user.encode(), "keyed by customer"
    assert tuple(trigger) == TRIGGER_CONTRACT
    assert trigger == ours
    assert trigger["type"] == "cross_sell" and trigger["channel"] == "email"
    for stamp in (trigger["created_at"], trigger["expires_at"]):
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None
