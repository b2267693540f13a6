"""The decision grace: an immediate trigger waits a moment of event time before it is checked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SALE_AT = T0 + timedelta(minutes=1)
WALL_MS = int(SALE_AT.timestamp() * 1000)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}
CONSENT, SALE = 0, 1  # partitions: the consent's topic lags the till's


def _consent_folded_after_the_sale(
    any_redis_url: str, grace_ms: int
) -> tuple[InProcessPipeline, dict[str, Any]]:
    user = f"loyalty-{uuid.uuid4().hex[:8]}"
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([till_order(user, "store-001", SALE_AT, [SHOES])], partition=SALE)
        seen["before_due"] = await pipeline.fire_due(SALE)
        consent = event("Consent Updated", SALE_AT - timedelta(seconds=1), user=user, email=True)
        await pipeline.process([consent], partition=CONSENT)
        pipeline.wall_ms += grace_ms + 1
        seen["at_due"] = await pipeline.fire_due(SALE)

    return run_in_process(any_redis_url, scenario, wall_ms=WALL_MS, grace_ms=grace_ms), seen


def test_a_consent_folded_just_after_the_sale_counts_within_the_grace(any_redis_url: str) -> None:
    pipeline, seen = _consent_folded_after_the_sale(any_redis_url, grace_ms=2_000)
    assert (seen["before_due"], seen["at_due"]) == (0, 1)
    (trigger,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert trigger["channel"] == "email"
    assert trigger["created_at"].startswith("2026-11-30T10:01:00")  # decided at the sale
    assert pipeline.of_type(pipeline.topics.suppressed) == []


def test_without_a_grace_the_sale_is_decided_before_the_consent_arrives(any_redis_url: str) -> None:
    pipeline, _seen = _consent_folded_after_the_sale(any_redis_url, grace_ms=0)
    assert pipeline.of_type(pipeline.topics.cross_sell) == []
    (suppressed,) = pipeline.of_type(pipeline.topics.suppressed)
    assert suppressed["reason"]["code"] == "no_consent"
