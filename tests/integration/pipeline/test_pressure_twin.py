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
from redis.asyncio.cluster import RedisCluster

from models.identity import Identity
from models.offers.pressure import DAY_MS, ChannelCount, Contact, ContactAsk, pressure_verdict
from models.offers.rules import ChannelCaps, ContactCaps, SuppressionReason, TriggerType
from models.timezones import local_day_ms
from streams.redis.client import redis_client
from streams.redis.contacts import commit_args, queue_commit
from streams.redis.gateway import RedisGateway

pytestmark = pytest.mark.integration

T0 = 1_764_000_000_000
LUA_TO_RULE = {
    "reserved": None,
    "existing": None,
    "cooldown": SuppressionReason.COOLDOWN,
    "capped": SuppressionReason.CAPPED,
    "channel_capped": SuppressionReason.CHANNEL_CAPPED,
}
KINDS = [TriggerType.CROSS_SELL, TriggerType.REACTIVATION, TriggerType.ABANDONED_BASKET]
PREFERENCES = [("sms", "email"), ("email",), ("sms",), ("push", "sms", "email")]

Case = tuple[int, TriggerType, int, tuple[str, ...]]
decisions = st.lists(
    st.tuples(
        st.integers(0, 5),  # cause: the same cause twice is the same trigger id
        st.sampled_from(KINDS),
        # within the 8 days of history Redis keeps behind its newest contact
        st.integers(0, 7 * DAY_MS),
        st.sampled_from(PREFERENCES),  # consented channels, preferred first
    ),
    min_size=1,
    max_size=12,
)
channel_caps = st.dictionaries(
    st.sampled_from(["sms", "email", "push"]),
    st.builds(
        ChannelCaps,
        st.one_of(st.none(), st.integers(1, 2)),
        st.one_of(st.none(), st.integers(1, 3)),
    ),
    max_size=2,
)

# reason, global counts, channel granted, channels passed over (None when re-emitted)
Judged = tuple[
    SuppressionReason | None, int | None, int | None, str | None, tuple[ChannelCount, ...]
]


def _ask(case: Case, cooldown_ms: int, zone: str) -> ContactAsk:
    cause, kind, offset, channels = case
    at = T0 + offset
    start, end = local_day_ms(at, zone)
    return ContactAsk(f"{kind.value}-{cause}", kind.value, at, cooldown_ms, start, end, channels)


def _pure(cases: list[Case], caps: ContactCaps, cooldown_ms: int, zone: str) -> list[Judged]:
    history: list[Contact] = []
    verdicts: list[Judged] = []
    for case in cases:
        ask = _ask(case, cooldown_ms, zone)
        again = any(c.trigger_id == ask.trigger_id for c in history)
        verdict = pressure_verdict(history, ask, caps)
        if verdict.reason is None and not again:
            history.append(Contact(ask.trigger_id, case[1], ask.at_ms, verdict.channel))
        # The script does not count for a decision it already took (a re-emission).
        if again:
            verdicts.append((None, None, None, verdict.channel, ()))
        else:
            verdicts.append(
                (
                    verdict.reason,
                    verdict.day_count,
                    verdict.week_count,
                    verdict.channel,
                    verdict.skipped,
                )
            )
    return verdicts


async def _lua(
    redis_url: str, cases: list[Case], caps: ContactCaps, cooldown_ms: int, zone: str
) -> list[Judged]:
    redis = Redis.from_url(redis_url)
    gateway = RedisGateway(redis)
    person = Identity.user(f"twin-{uuid.uuid4().hex}")
    verdicts: list[Judged] = []
    try:
        for case in cases:
            trip = gateway.round_trip()
            plan = commit_args(
                caps=caps, contacts=[_ask(case, cooldown_ms, zone)], timers=(), check=False
            )
            reply = queue_commit(trip, person, plan)
            await trip.send()
            verdict = reply.value[1][0]
            if verdict.verdict == "existing":
                verdicts.append((None, None, None, verdict.channel, ()))
            else:
                reason = LUA_TO_RULE[verdict.verdict]
                verdicts.append(
                    (
                        reason,
                        verdict.day_count,
                        verdict.week_count,
                        verdict.channel,
                        verdict.skipped,
                    )
                )
    finally:
        await redis.aclose()
    return verdicts


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=decisions,
    per_day=st.integers(1, 3),
    extra_week=st.integers(0, 3),
    cooldown_days=st.integers(0, 3),
    channels=channel_caps,
    exempt=st.sets(st.sampled_from([k.value for k in KINDS]), max_size=1),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Tokyo", "Europe/Paris"]),
)
def test_lua_and_pure_rule_agree(
    redis_url: str,
    cases: list[Case],
    per_day: int,
    extra_week: int,
    cooldown_days: int,
    channels: dict[str, ChannelCaps],
    exempt: set[str],
    zone: str,
) -> None:
    caps = ContactCaps(per_day, per_day + extra_week, channels, frozenset(exempt))
    cooldown_ms = cooldown_days * DAY_MS
    expected = _pure(cases, caps, cooldown_ms, zone)
    assert asyncio.run(_lua(redis_url, cases, caps, cooldown_ms, zone)) == expected


async def _race(redis_url: str, asks: list[ContactAsk], caps: ContactCaps) -> list[str | None]:
    """Every ask on its own connection at once, for one person: the channels granted."""
    clients = [redis_client(redis_url) for _ in asks]
    person = Identity.user(f"race-{uuid.uuid4().hex}")

    async def reserve(client: Redis | RedisCluster, ask: ContactAsk) -> str | None:
        trip = RedisGateway(client).round_trip()
        reply = queue_commit(
            trip, person, commit_args(caps=caps, contacts=[ask], timers=(), check=False)
        )
        await trip.send()
        verdict = reply.value[1][0]
        return verdict.channel if verdict.verdict == "reserved" else None

    try:
        return list(await asyncio.gather(*map(reserve, clients, asks)))
    finally:
        for client in clients:
            await client.aclose()


def test_racing_reservations_never_exceed_a_channel_cap(any_redis_url: str) -> None:
    """Twenty decisions for one person at once, as many workers would send them: the sms
    cap (1 a week) and the email cap (2 a day) hold, the rest is channel_capped. On a
    Redis Cluster too: the person's keys share one slot, the script stays one step."""
    caps = ContactCaps(
        per_day=10,
        per_week=20,
        channels={"sms": ChannelCaps(per_week=1), "email": ChannelCaps(per_day=2)},
    )
    asks = [
        _ask((n, TriggerType.CROSS_SELL, n * 60_000, ("sms", "email")), 0, "UTC") for n in range(20)
    ]
    granted = asyncio.run(_race(any_redis_url, asks, caps))
    assert sorted(filter(None, granted)) == ["email", "email", "sms"]
    assert granted.count(None) == 17
