"""Erasure policy: queued events from before it are forgotten, caps survive, no trace stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.identity import Identity
from models.offers.pressure import ContactAsk
from models.timezones import local_day_ms
from streams.redis.batch import PersonPlan
from streams.redis.contacts import reserve_contacts
from streams.redis.decisions import queue_record
from streams.redis.keys import PersonKeys
from streams.redis.privacy import erase
from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=30)).timestamp() * 1000)
ERASED_AT = T0 + timedelta(minutes=20)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}


def _people() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"loyalty-{tag}", f"anon-{tag}"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def _keys_naming(pipeline: InProcessPipeline, *ids: str) -> list[str]:
    """Keys whose name or content holds an id or its (unsalted) pseudonym."""
    needles = [i.encode() for i in ids]
    needles += [Identity.user(i).pseudonym.encode() for i in ids]
    needles += [Identity.anonymous(i).pseudonym.encode() for i in ids]
    found = []
    async for key in pipeline.redis.scan_iter("*", count=1000):
        kind = await pipeline.redis.type(key)
        if kind == b"hash":
            content = b" ".join(k + v for k, v in (await pipeline.redis.hgetall(key)).items())
        elif kind == b"zset":
            content = b" ".join(await pipeline.redis.zrange(key, 0, -1))
        elif kind == b"list":
            content = b" ".join(await pipeline.redis.lrange(key, 0, -1))
        elif kind == b"set":
            content = b" ".join(await pipeline.redis.smembers(key))
        else:
            content = await pipeline.redis.dump(key) or b""
        if any(needle in key or needle in content for needle in needles):
            found.append(key.decode())
    return found


@pytest.mark.parametrize("requested_by", ["event", "api"])
def test_events_queued_before_an_erasure_are_dropped_not_folded(
    any_redis_url: str, requested_by: str
) -> None:
    user, visitor = _people()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Product Viewed", T0, anonymous=visitor, **SHOES),
                event(
                    None, T0 + timedelta(minutes=1), user=user, anonymous=visitor, call="identify"
                ),
                event("Product Added", T0 + timedelta(minutes=2), user=user, **SHOES),
            ]
        )
        if requested_by == "event":
            await pipeline.process([event("Erasure Requested", ERASED_AT, user=user)])
        else:
            await erase(pipeline.store, Identity.user(user), _ms(ERASED_AT))
        # Still queued when the erasure ran: the customer's, the visitor's, and an identify.
        await pipeline.process(
            [
                till_order(user, "store-001", T0 + timedelta(minutes=5), [SHOES]),
                event("Page Viewed", T0 + timedelta(minutes=6), anonymous=visitor),
                event(
                    None, T0 + timedelta(minutes=7), user=user, anonymous=visitor, call="identify"
                ),
            ]
        )
        seen["customer"] = await pipeline.store.get(Identity.user(user))
        seen["visitor"] = await pipeline.redis.exists(
            *PersonKeys.of(Identity.anonymous(visitor)).all
        )
        # Before the basket timer is due: it went with the person, not only when due.
        seen["traces"] = await _keys_naming(pipeline, user, visitor)
        pipeline.wall_ms += 3 * 3_600_000
        seen["fired"] = await pipeline.fire_due()

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert seen["customer"] is None
    assert seen["visitor"] == 0, "the linked visitor is not back as its own record"
    assert seen["traces"] == []
    assert seen["fired"] == 0
    erased_in_batch = 1 if requested_by == "event" else 0  # the erasure request itself
    assert pipeline.metrics.events_dropped.labels("erased")._value.get() == 3 + erased_in_batch
    assert pipeline.of_type(pipeline.topics.remarketing) == []
    assert pipeline.of_type(pipeline.topics.cross_sell) == []


def test_events_after_an_erasure_start_afresh_and_keep_the_caps(any_redis_url: str) -> None:
    user, _visitor = _people()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [
                event("Consent Updated", T0, user=user, email=True),
                till_order(
                    user, "store-001", T0 + timedelta(minutes=1), [SHOES]
                ),  # cross-sell: today's contact
            ]
        )
        await pipeline.process([event("Erasure Requested", ERASED_AT, user=user)])
        later = ERASED_AT + timedelta(minutes=1)
        await pipeline.process(
            [
                event("Consent Updated", later, user=user, email=True),
                till_order(user, "store-001", later, [SHOES]),
            ]
        )
        seen["context"] = await pipeline.store.get(Identity.user(user))
        # Redelivered, the erasure batch must not erase the fresh context again.
        await pipeline.process([event("Erasure Requested", ERASED_AT, user=user)])
        seen["again"] = await pipeline.store.get(Identity.user(user))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (sent,) = pipeline.of_type(pipeline.topics.cross_sell)
    assert sent["userId"] == user
    (held_back,) = pipeline.of_type(pipeline.topics.suppressed)
    assert (held_back["type"], held_back["reason"]["code"]) == ("cross_sell", "cooldown")
    context = seen["context"]
    assert (context.events_total, context.orders_count) == (2, 1), "a fresh context"
    assert seen["again"] == context
    assert pipeline.metrics.erasures._value.get() == 1


def test_the_erasure_memory_is_keyed_by_a_salted_hash(any_redis_url: str) -> None:
    user, _visitor = _people()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([till_order(user, "store-001", T0, [SHOES])])
        await erase(pipeline.store, Identity.user(user), _ms(ERASED_AT))
        key = pipeline.store.erasures.key(Identity.user(user))
        seen["memory"] = await pipeline.redis.hgetall(key)
        seen["ttl"] = await pipeline.redis.ttl(key)
        seen["traces"] = await _keys_naming(pipeline, user)

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert seen["memory"][b"at"] == str(_ms(ERASED_AT)).encode()
    assert 0 < seen["ttl"] <= 86_400
    assert seen["traces"] == []


def test_a_decision_in_flight_when_its_person_is_erased_brings_no_key_back(
    any_redis_url: str,
) -> None:
    """A due timer or a restock decided just before the erasure reserves and records
    after it: neither may recreate the person's keys."""
    user, _visitor = _people()
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([till_order(user, "store-001", T0, [SHOES])])
        owner = Identity.user(user)
        plan = PersonPlan(
            contacts=[
                ContactAsk(
                    "t-1", "cross_sell", _ms(T0), 0, *local_day_ms(_ms(T0), "UTC"), ("email",)
                )
            ],
            decisions=["a planned contact"],
        )
        await erase(pipeline.store, owner, _ms(ERASED_AT))
        await reserve_contacts(pipeline.gateway, pipeline.rules.caps, {owner: plan})
        trip = pipeline.gateway.round_trip()
        queue_record(trip, [(owner, b'{"trigger_id": "t-1"}')], keep=50)
        await trip.send()
        seen["plan"] = plan
        seen["traces"] = await _keys_naming(pipeline, user)

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert (seen["plan"].contacts, seen["plan"].decisions) == ([], [])
    assert seen["traces"] == []


def test_an_erasure_reaches_visitors_the_context_no_longer_lists(any_redis_url: str) -> None:
    """The context keeps the latest 20 visitor ids; the ones it drops go to ``links:``,
    so an erasure still removes every visitor's alias (and only those go there)."""
    user, _visitor = _people()
    visitors = [f"anon-{uuid.uuid4().hex[:8]}" for _ in range(23)]
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        for n, visitor in enumerate(visitors):
            at = T0 + timedelta(seconds=2 * n)
            await pipeline.process([event("Page Viewed", at, anonymous=visitor)])
            later = at + timedelta(seconds=1)
            await pipeline.process(
                [event(None, later, user=user, anonymous=visitor, call="identify")]
            )
        keys = PersonKeys.of(Identity.user(user))
        seen["linked"] = sorted(m.decode() for m in await pipeline.redis.smembers(keys.links))
        seen["listed"] = (await pipeline.store.get(Identity.user(user))).merged_anonymous_ids
        await erase(pipeline.store, Identity.user(user), _ms(T0 + timedelta(hours=1)))
        seen["traces"] = await _keys_naming(pipeline, user, *visitors)

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert seen["linked"] == sorted(visitors[:3])
    assert list(seen["listed"]) == visitors[3:]
    assert seen["traces"] == []
