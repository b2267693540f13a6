"""Whatever is keyed by a visitor follows them into the customer once identified."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.identity import Identity
from streams.redis.contacts import read_contacts
from streams.redis.decisions import read_history
from streams.redis.keys import PersonKeys
from tests.integration.in_process import InProcessPipeline, event, run_in_process

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=5)).timestamp() * 1000)
HOUR_MS = 3_600_000
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}


def _people() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"loyalty-{tag}", f"anon-{tag}"


def _identify(user: str, visitor: str, at: datetime) -> dict[str, Any]:
    return event(None, at, user=user, anonymous=visitor, call="identify")


@pytest.mark.parametrize("consent_by", ["visitor", "customer"])
def test_a_basket_started_anonymously_is_remarketed_to_the_customer(
    any_redis_url: str, consent_by: str
) -> None:
    user, visitor = _people()

    async def scenario(pipeline: InProcessPipeline) -> None:
        steps = [
            event("Product Added", T0 + timedelta(minutes=1), anonymous=visitor, **SHOES),
            _identify(user, visitor, T0 + timedelta(minutes=2)),
        ]
        if consent_by == "visitor":
            steps.insert(0, event("Consent Updated", T0, anonymous=visitor, email=True))
        else:
            steps.append(event("Consent Updated", T0 + timedelta(minutes=3), user=user, email=True))
        for step in steps:  # one batch each: the visitor's timer is armed before identify
            await pipeline.process([step])
        pipeline.wall_ms += HOUR_MS
        assert await pipeline.fire_due() == 1

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = pipeline.of_type(pipeline.topics.remarketing)
    assert trigger["type"] == "abandoned_basket"
    assert (trigger["userId"], trigger["anonymousId"]) == (user, visitor)
    assert trigger["channel"] == "email"
    assert trigger["offer"]["product_ids"] == ["SHO-1"]
    assert pipeline.of_type(pipeline.topics.suppressed) == []


def test_the_visitors_contacts_and_decisions_follow_the_merge(any_redis_url: str) -> None:
    """An ad sent to the visitor counts against the customer's caps and cooldowns."""
    user, visitor = _people()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Consent Updated", T0, anonymous=visitor, ads=True, email=True),
                event("Product Added", T0 + timedelta(minutes=1), anonymous=visitor, **SHOES),
            ]
        )
        pipeline.wall_ms += HOUR_MS
        assert await pipeline.fire_due() == 1  # the visitor's ad
        at = T0 + timedelta(hours=2)
        await pipeline.process([_identify(user, visitor, at)])
        # A second basket the same day: the ad started the basket reminder's cooldown.
        await pipeline.process([event("Product Added", at, user=user, **SHOES)])
        pipeline.wall_ms += 2 * HOUR_MS
        assert await pipeline.fire_due() == 1
        seen["contacts"] = await read_contacts(pipeline.gateway, Identity.user(user))
        seen["history"] = await read_history(pipeline.gateway, Identity.user(user))
        visitor_keys = PersonKeys.of(Identity.anonymous(visitor))
        seen["left"] = await pipeline.redis.exists(
            visitor_keys.contacts, visitor_keys.decided, visitor_keys.decisions
        )

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (ad,) = pipeline.of_type(pipeline.topics.remarketing)
    assert (ad["anonymousId"], ad["userId"], ad["channel"]) == (visitor, None, "ads")
    (capped,) = pipeline.of_type(pipeline.topics.suppressed)
    assert (capped["userId"], capped["reason"]["code"]) == (user, "cooldown")
    assert [c.trigger_id for c in seen["contacts"]] == [ad["trigger_id"]]
    assert [(h["outcome"], h["trigger_id"]) for h in seen["history"]] == [
        ("suppressed", capped["trigger_id"]),
        ("sent", ad["trigger_id"]),
    ]
    assert seen["left"] == 0, "the visitor's copies are gone once merged"
