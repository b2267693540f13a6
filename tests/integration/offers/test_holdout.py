"""Holdout lift end to end: a customer in each group of cross-sell, each converting at the till.

The worker runs the test rules with ``holdout = 50`` on cross-sell. The customers are
picked by the core's own assignment, so one is sent the cross-sell and the other held
out (a third, held-out group but without consent, is `no_consent`, not measured); each
then buys again (the web copy and the till copy of one order). ``/metrics``
must count one decision and one conversion per group, replays and the duplicate copy
count nothing more, and an erasure removes the person's lift record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from models.identity import Identity
from models.offers.holdout import Group, Holdout
from models.offers.rules import TriggerType
from streams.redis.keys import PersonKeys
from tests.integration.harness import WorkerProcess, produce, wait_until
from tests.integration.offer_scenarios import (
    SHOES,
    SOCKS,
    customer_in_group,
    rules_with_holdout,
    suppressed,
    wait_for,
)

pytestmark = pytest.mark.integration

CROSS_SELL = TriggerType.CROSS_SELL.value
HALF = Holdout(basis_points=5_000)


def lift(worker: WorkerProcess, metric: str, group: Group) -> float:
    return worker.metric_sum(f"omni_lift_{metric}_total", type=CROSS_SELL, group=group.value)


def test_the_lift_of_cross_sell_is_measured_in_both_groups_once(
    make_worker: Callable[..., WorkerProcess], log_dir: Path
) -> None:
    worker = make_worker(extra_env={"OFFER_RULES_PATH": str(rules_with_holdout(log_dir, 50))})
    worker.create_topics()
    worker.start()
    sent, held = (
        customer_in_group(worker, Group.SENT, HALF),
        customer_in_group(worker, Group.HOLDOUT, HALF),
    )
    journeys: dict[str, list[tuple[str, bytes | None, bytes]]] = {sent.user: [], held.user: []}
    now = datetime.now(UTC)
    for customer in (sent, held):
        customer.consent(email=True, at=now - timedelta(minutes=10))
        customer.flush(settle=True)
        customer.till_order("store-001", [SHOES], at=now - timedelta(minutes=5))
        journeys[customer.user] += customer.sent
        customer.flush()

    # A third customer, of the holdout group too, never consented: their decision would
    # not have been sent, so it is no_consent, not a held-out decision.
    unreachable = customer_in_group(worker, Group.HOLDOUT, HALF)
    unreachable.till_order("store-001", [SHOES], at=now - timedelta(minutes=5))
    unreachable.flush()

    # Both pass consent, caps and cooldown; one is sent, the other recorded as held out.
    [trigger] = wait_for(worker, "cross_sell", sent.user, timeout_s=30)
    [holdout] = suppressed(worker, held.user, "holdout")
    assert holdout["type"] == CROSS_SELL
    assert "would have been sent" in holdout["reason"]["text"]
    assert wait_for(worker, "cross_sell", held.user, timeout_s=0) == []
    for group in Group:
        wait_until(lambda g=group: lift(worker, "decisions", g) == 1, what=f"{group} decision")
    assert suppressed(worker, unreachable.user, "no_consent")
    assert suppressed(worker, unreachable.user, "holdout", timeout_s=0) == []
    assert lift(worker, "decisions", Group.HOLDOUT) == 1

    # Each buys again a minute later: the web copy and the till copy of one order.
    for customer in (sent, held):
        order = {"order_id": f"o-{uuid.uuid4().hex[:8]}", "total": 12.0, "currency": "EUR"}
        at = now - timedelta(minutes=4)
        customer.event("basket", "Order Completed", at=at, products=[SOCKS], **order)
        customer.event(
            "store_checkouts",
            "Order Completed",
            channel="store",
            at=at + timedelta(seconds=1),
            store_id="store-001",
            products=[SOCKS],
            **order,
        )
    for customer in (sent, held):
        journeys[customer.user] += customer.sent
        customer.flush()
    for group in Group:
        wait_until(lambda g=group: lift(worker, "conversions", g) == 1, what=f"{group} converts")
        assert lift(worker, "conversion_revenue", group) == 12.0
    assert trigger["trigger_id"] != holdout["trigger_id"]

    # Replays of the three orders, then one more order each: it converts nothing (each decision
    # converts once) and its cross-sell is in cooldown: the held-out decision took the slot.
    before = worker.metrics()
    for customer in (sent, held):
        produce(worker.services.kafka_broker, journeys[customer.user])
        customer.till_order("store-002", [SOCKS])
        last_order = orjson.loads(customer.sent[-1][2])["messageId"]
        customer.flush()
        wait_until(
            lambda c=customer, m=last_order: _in_cooldown(worker, c.user, m),
            what="the last order's cross-sell in cooldown",
        )
    after = worker.metrics()
    for metric in ("decisions", "conversions", "conversion_revenue"):
        for group in Group:
            key = (f"omni_lift_{metric}_total", (("group", group.value), ("type", CROSS_SELL)))
            assert after[key] == before[key], (metric, group)

    # An erasure removes the lift record with every other key of the person.
    redis = worker.redis()
    lift_key = PersonKeys.of(Identity.user(held.user)).lift
    assert redis.exists(lift_key) == 1
    erased = worker.metric_sum("omni_erasures_total")
    held.event("clickstream", "Erasure Requested")
    held.flush()
    wait_until(lambda: worker.metric_sum("omni_erasures_total") > erased, what="erasure")
    assert redis.exists(lift_key) == 0


def _in_cooldown(worker: WorkerProcess, user: str, message_id: str) -> bool:
    """Whether the cross-sell decided on the order ``message_id`` was suppressed for cooldown
    (so that order's batch, and every record before it, is done)."""
    return any(
        message_id in found.get("caused_by", [])
        for found in suppressed(worker, user, "cooldown", timeout_s=0)
    )
