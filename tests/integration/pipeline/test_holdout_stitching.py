"""A basket timer armed by a visitor and due after they identify is drawn in the
customer's holdout group, not the visitor's: the stitch does not switch groups."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.identity import Identity
from models.offers.holdout import Group, Holdout, group_of
from models.offers.rules import TriggerType
from tests.integration.in_process import InProcessPipeline, event, run_in_process
from tests.integration.offer_scenarios import rules_with_holdout

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=5)).timestamp() * 1000)
HOUR_MS = 3_600_000
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}
BASKET = TriggerType.ABANDONED_BASKET
HALF = Holdout(basis_points=5_000)


def _pair(customer: Group) -> tuple[str, str]:
    """A customer in ``customer``'s group whose visitor id is drawn in the other group."""
    while True:
        tag = uuid.uuid4().hex[:8]
        user, visitor = f"loyalty-{tag}", f"anon-{tag}"
        drawn = group_of(Identity.user(user), BASKET.value, HALF)
        if drawn is customer and group_of(Identity.anonymous(visitor), BASKET.value, HALF) != drawn:
            return user, visitor


@pytest.mark.parametrize("customer", list(Group))
def test_a_visitors_basket_decided_after_identify_is_drawn_as_the_customer(
    redis_url: str, tmp_path: Path, customer: Group
) -> None:
    user, visitor = _pair(customer)

    async def scenario(pipeline: InProcessPipeline) -> None:
        steps = [
            event("Consent Updated", T0, anonymous=visitor, email=True),
            event("Product Added", T0 + timedelta(minutes=1), anonymous=visitor, **SHOES),
            event(None, T0 + timedelta(minutes=2), user=user, anonymous=visitor, call="identify"),
        ]
        for step in steps:  # one batch each: the visitor's timer is armed before identify
            await pipeline.process([step])
        pipeline.wall_ms += HOUR_MS
        assert await pipeline.fire_due() == 1

    rules = rules_with_holdout(tmp_path, kind=BASKET)
    pipeline = run_in_process(redis_url, scenario, wall_ms=WALL_MS, rules_path=rules)
    sent = pipeline.of_type(pipeline.topics.remarketing)
    held = [
        s for s in pipeline.of_type(pipeline.topics.suppressed) if s["reason"]["code"] == "holdout"
    ]
    assert [d["userId"] for d in (sent if customer is Group.SENT else held)] == [user]
    assert (sent if customer is Group.HOLDOUT else held) == []
    labels = {"type": BASKET.value, "group": customer.value}
    assert pipeline.metrics.registry.get_sample_value("omni_lift_decisions_total", labels) == 1
