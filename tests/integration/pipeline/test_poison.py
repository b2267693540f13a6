"""One person whose events break processing costs that person alone, on a real Redis.

Each test sends one batch: an order from each of 200 customers and the events of
one poisoned customer. Only the poisoned customer's events may be dead-lettered
(``processing_error``, with the reason); every other order is committed. How
each test poisons its customer is said where it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from redis import Redis

from models.context import CustomerContext
from models.context.stored import unpack
from models.identity import Identity
from streams.pipeline import emission, engine
from streams.redis.keys import PersonKeys
from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=5)).timestamp() * 1000)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}
CUSTOMERS = 200


def _batch(poison: str, run: str) -> list[dict[str, Any]]:
    orders = [
        till_order(f"c{i}-{run}", "store-001", T0 + timedelta(seconds=i), [SHOES])
        for i in range(CUSTOMERS)
    ]
    poisoned = [
        event("Consent Updated", T0, user=poison, email=True),
        event("Product Added", T0 + timedelta(minutes=1), user=poison, **SHOES),
        till_order(poison, "store-001", T0 + timedelta(minutes=2), [SHOES]),
    ]
    return orders[:77] + poisoned + orders[77:]


def _check(
    redis_url: str,
    poison: str,
    run: str,
    pipeline: InProcessPipeline,
    expected_message: str,
    applied: int = CUSTOMERS,
) -> None:
    client = Redis.from_url(redis_url)
    keys = [PersonKeys.of(Identity.user(f"c{i}-{run}")).context for i in range(CUSTOMERS)]
    docs = [client.hget(key, "doc") for key in keys]
    assert (
        sum(orjson.loads(unpack(doc)).get("orders_count") == 1 for doc in docs if doc) == CUSTOMERS
    )
    dead = pipeline.deadletters
    assert [d["reason"] for d in dead] == ["processing_error"] * 3, dead
    assert {orjson.loads(d["original"]["data"])["userId"] for d in dead} == {poison}
    assert all(expected_message in d["message"] for d in dead), dead[0]["message"]
    assert pipeline.metrics.registry.get_sample_value("omni_events_applied_total") == applied


def _run(
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    poison_with: Callable[[pytest.MonkeyPatch, str, Redis], None],
) -> tuple[str, str, InProcessPipeline]:
    run, poison = uuid.uuid4().hex[:8], f"poison-{uuid.uuid4().hex[:8]}"
    poison_with(monkeypatch, poison, Redis.from_url(redis_url))

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(_batch(poison, run))

    return run, poison, run_in_process(redis_url, scenario, wall_ms=WALL_MS)


def test_a_context_that_cannot_be_serialised_costs_its_person_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates orjson refusing a value the fold accepted (an integer beyond 64 bits
    # before the parser bounded numbers): the poisoned customer's context cannot be encoded.
    def poison_with(patch: pytest.MonkeyPatch, poison: str, _client: Redis) -> None:
        encode = CustomerContext.to_json

        def to_json(self: CustomerContext) -> bytes:
            if self.user_id == poison:
                raise orjson.JSONEncodeError("Integer exceeds 64-bit range")
            return encode(self)

        patch.setattr(CustomerContext, "to_json", to_json)

    run, poison, pipeline = _run(redis_url, monkeypatch, poison_with)
    _check(redis_url, poison, run, pipeline, "Integer exceeds 64-bit range")


def test_a_decision_that_fails_for_one_person_costs_that_person_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates a bug in the offer rules on one customer's context: planning raises.
    def poison_with(patch: pytest.MonkeyPatch, poison: str, _client: Redis) -> None:
        candidates = engine.immediate_candidates

        def immediate_candidates(context: CustomerContext, *args: Any) -> Any:
            if context.user_id == poison:
                raise KeyError("cross_sell")
            return candidates(context, *args)

        patch.setattr(engine, "immediate_candidates", immediate_candidates)

    run, poison, pipeline = _run(redis_url, monkeypatch, poison_with)
    _check(redis_url, poison, run, pipeline, "KeyError: 'cross_sell'")


def test_a_commit_redis_refuses_for_one_person_costs_that_person_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A key of the poisoned customer holds the wrong type (written by hand here): their
    # commit script fails when it arms the basket's reminder; the others' commit.
    def poison_with(_patch: pytest.MonkeyPatch, poison: str, client: Redis) -> None:
        client.set(PersonKeys.of(Identity.user(poison)).pending, "not a hash")

    run, poison, pipeline = _run(redis_url, monkeypatch, poison_with)
    _check(redis_url, poison, run, pipeline, "WRONGTYPE")


def test_a_stored_context_that_cannot_be_read_costs_its_person_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The poisoned customer's stored context is corrupt (written by hand here): loading
    # the batch fails as a whole, so each person's events are applied apart.
    def poison_with(_patch: pytest.MonkeyPatch, poison: str, client: Redis) -> None:
        client.hset(PersonKeys.of(Identity.user(poison)).context, "doc", b"{truncated")

    run, poison, pipeline = _run(redis_url, monkeypatch, poison_with)
    _check(redis_url, poison, run, pipeline, "JSONDecodeError")


def test_a_trigger_that_cannot_be_emitted_costs_its_person_alone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates a trigger document that cannot be built for one customer (the only one
    # with consent, so the only one sent a trigger): their context is committed, their
    # events are dead-lettered for a replay to decide again; the others' go on.
    def poison_with(patch: pytest.MonkeyPatch, poison: str, _client: Redis) -> None:
        build = emission.trigger_document

        def trigger_document(candidate: Any, *args: Any) -> Any:
            if candidate.person.value == poison:
                raise ValueError("a trigger document that cannot be encoded")
            return build(candidate, *args)

        patch.setattr(emission, "trigger_document", trigger_document)

    run, poison, pipeline = _run(redis_url, monkeypatch, poison_with)
    _check(redis_url, poison, run, pipeline, "ValueError: a trigger document", CUSTOMERS + 3)
    assert pipeline.of_type(pipeline.topics.cross_sell) == []
