"""The Lua reservation and the pure pressure rule judge alike (verdict and counts).

``models.offers.pressure`` is the rule; ``commit_person`` applies it atomically
in Redis with the numbers the rule exports. Here both run on the same sequences
of decisions and must give the same verdict for each.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from models.identity import Identity
from models.offers.pressure import DAY_MS, Contact, pressure_verdict
from models.offers.rules import ContactCaps, SuppressionReason, TriggerType
from streams.redis.batch import ContactRequest
from streams.redis.contacts import commit_args, queue_commit
from streams.redis.gateway import RedisGateway

pytestmark = pytest.mark.integration

T0 = 1_764_000_000_000
LUA_TO_RULE = {
    "reserved": None,
    "existing": None,
    "cooldown": SuppressionReason.COOLDOWN,
    "capped": SuppressionReason.CAPPED,
}

decisions = st.lists(
    st.tuples(
        st.integers(0, 5),  # cause: the same cause twice is the same trigger id
        st.sampled_from([TriggerType.CROSS_SELL, TriggerType.REACTIVATION]),
        # within the 8 days of history Redis keeps behind its newest contact
        st.integers(0, 7 * DAY_MS),
    ),
    min_size=1,
    max_size=12,
)


Judged = tuple[SuppressionReason | None, int | None, int | None]


def _pure(
    cases: list[tuple[int, TriggerType, int]], caps: ContactCaps, cooldown_ms: int
) -> list[Judged]:
    history: list[Contact] = []
    verdicts: list[Judged] = []
    for cause, kind, offset in cases:
        trigger_id = f"{kind.value}-{cause}"
        again = any(c.trigger_id == trigger_id for c in history)
        verdict = pressure_verdict(history, trigger_id, kind, T0 + offset, caps, cooldown_ms)
        if verdict.reason is None and not again:
            history.append(Contact(trigger_id, kind, T0 + offset))
        # The script does not count for a decision it already took (a re-emission).
        counts = (None, None) if again else (verdict.day_count, verdict.week_count)
        verdicts.append((verdict.reason, *counts))
    return verdicts


async def _lua(
    redis_url: str, cases: list[tuple[int, TriggerType, int]], caps: ContactCaps, cooldown_ms: int
) -> list[Judged]:
    redis = Redis.from_url(redis_url)
    gateway = RedisGateway(redis)
    person = Identity.user(f"twin-{uuid.uuid4().hex}")
    verdicts: list[Judged] = []
    try:
        for cause, kind, offset in cases:
            request = ContactRequest(
                f"{kind.value}-{cause}", kind.value, "email", T0 + offset, cooldown_ms
            )
            trip = gateway.round_trip()
            plan = commit_args(caps=caps, contacts=[request], timers=(), check=False)
            reply = queue_commit(trip, person, plan)
            await trip.send()
            verdict = reply.value[1][0]
            if verdict.verdict == "existing":
                verdicts.append((None, None, None))
            else:
                reason = LUA_TO_RULE[verdict.verdict]
                verdicts.append((reason, verdict.day_count, verdict.week_count))
    finally:
        await redis.aclose()
    return verdicts


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=decisions,
    per_day=st.integers(1, 3),
    extra_week=st.integers(0, 3),
    cooldown_days=st.integers(0, 3),
)
def test_lua_and_pure_rule_agree(
    redis_url: str,
    cases: list[tuple[int, TriggerType, int]],
    per_day: int,
    extra_week: int,
    cooldown_days: int,
) -> None:
    caps = ContactCaps(per_day=per_day, per_week=per_day + extra_week)
    cooldown_ms = cooldown_days * DAY_MS
    expected = _pure(cases, caps, cooldown_ms)
    assert asyncio.run(_lua(redis_url, cases, caps, cooldown_ms)) == expected
