"""Live rules: the worker applies an edited rules file without a restart, keeps the rules
in effect when an edit is invalid, and every trigger names the rules version that decided it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.offers.rules_file import rules_version
from tests.integration.harness import TOKEN, Services, WorkerProcess, call, wait_until
from tests.integration.offer_scenarios import SHOES, Customer, rules_for_tests, wait_for

pytestmark = pytest.mark.integration

NEW_INCENTIVE = "20% off a matching item, this week only"


@pytest.fixture
def rules_file(log_dir: Path) -> Path:
    return rules_for_tests(log_dir)


@pytest.fixture
def live_worker(services: Services, log_dir: Path, rules_file: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={
            "OFFER_RULES_PATH": str(rules_file),
            "RULES_RELOAD_INTERVAL_S": "0.2",
            "API_TOKEN": TOKEN,
        },
    )
    worker.create_topics()
    worker.start()
    yield worker
    worker.stop()


def cross_sell_for_a_new_customer(worker: WorkerProcess) -> dict:
    customer = Customer(worker)
    customer.consent(email=True)
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()
    [trigger] = wait_for(worker, "cross_sell", customer.user, timeout_s=30)
    return trigger


def rules_in_effect(worker: WorkerProcess) -> dict:
    status, body = call(worker, "/rules")
    assert status == 200, body
    return body


def test_an_edited_rules_file_applies_without_a_restart_and_triggers_carry_its_version(
    live_worker: WorkerProcess, rules_file: Path
) -> None:
    first = rules_version(rules_file.read_bytes())
    assert rules_in_effect(live_worker)["version"] == first
    before = cross_sell_for_a_new_customer(live_worker)
    assert before["rules_version"] == first
    assert before["offer"]["incentive"] == "15% off a matching item"

    edited = rules_file.read_text().replace('"15% off a matching item"', f'"{NEW_INCENTIVE}"')
    assert edited != rules_file.read_text(), "config/offers.toml changed shape"
    rules_file.write_text(edited)
    second = rules_version(edited.encode())
    wait_until(lambda: rules_in_effect(live_worker)["version"] == second, 30, 0.2, "the edit")

    after = cross_sell_for_a_new_customer(live_worker)
    assert after["rules_version"] == second
    assert after["offer"]["incentive"] == NEW_INCENTIVE
    body = rules_in_effect(live_worker)
    assert body["reloads"] == {"applied": 1, "rejected": 0}
    assert body["rejected"] is None
    assert live_worker.metric_sum("omni_offer_rules_info", version=second) == 1
    assert live_worker.metric_sum("omni_offer_rules_info", version=first) == 0
    assert live_worker.metric_sum("omni_offer_rules_reloads_total", outcome="applied") == 1
    status, offer = call(live_worker, f"/customers/{after['userId']}/next-best-offer")
    assert status == 200 and offer["rules_version"] == second


def test_an_invalid_edit_keeps_the_rules_in_effect_and_says_why(
    live_worker: WorkerProcess, rules_file: Path
) -> None:
    good = rules_version(rules_file.read_bytes())
    rules_file.write_text(rules_file.read_text().replace("priority = 40", "priority = -40"))

    rejected = wait_until(lambda: rules_in_effect(live_worker)["rejected"], 30, 0.2, "rejection")
    assert "triggers.cross_sell.priority" in rejected["error"]
    assert rejected["version"] == rules_version(rules_file.read_bytes())
    assert rules_in_effect(live_worker)["version"] == good
    assert live_worker.metric_sum("omni_offer_rules_reloads_total", outcome="rejected") == 1
    wait_until(lambda: "triggers.cross_sell.priority" in live_worker.log_tail(200), 10, 0.2)

    # The worker still decides, under the rules in effect.
    assert cross_sell_for_a_new_customer(live_worker)["rules_version"] == good
    assert live_worker.alive()
