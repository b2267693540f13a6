"""The shared decision values: who a decision is about, its trigger id, its stored form."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import orjson
import pytest

from models.identity import Identity
from models.offers.decision import Candidate, PendingTrigger, trigger_id
from models.offers.rules import TriggerType
from tests.unit.offers.support import AS_VISITOR, USER, VISITOR, add, look, schedule
from tests.unit.test_context_support import added

BASKET, CROSS = TriggerType.ABANDONED_BASKET, TriggerType.CROSS_SELL


def pending(person: Identity = USER, visitor_id: str | None = None) -> PendingTrigger:
    return PendingTrigger(BASKET, person, "basket:1", 10, 5, ("p1",), ("m1",), 2.5, visitor_id)


def test_person_key_and_anonymity() -> None:
    assert USER.key == "user:u-1" and not USER.is_anonymous
    assert VISITOR.key == "anon:anon-1" and VISITOR.is_anonymous
    assert Identity.of("u-1", "anon-1") == USER
    assert Identity.of("u-1", "anon-1").key == "user:u-1"  # type: ignore[union-attr]
    assert Identity.of(None, None) is None


def test_the_trigger_id_hashes_the_person_key_type_and_cause_and_not_the_visitor() -> None:
    expected = hashlib.sha256(b"user:u-1|abandoned_basket|basket:1").hexdigest()[:32]
    assert trigger_id(USER, BASKET, "basket:1") == expected
    assert pending().trigger_id == expected
    assert pending(visitor_id="anon-7").trigger_id == expected
    assert pending().candidate((), 0.0, 1.0, "c", "t", 10).trigger_id == expected


def test_the_trigger_id_follows_a_replaced_cause() -> None:
    candidate = Candidate(CROSS, USER, "order:1", (), None, 1.0, 1.0, (), "c", "t", 0)
    assert replace(candidate, cause="order:2").trigger_id == trigger_id(USER, CROSS, "order:2")


def test_a_pending_trigger_stores_the_visitor_as_its_anonymous_id() -> None:
    stored = orjson.loads(pending(visitor_id="anon-7").to_json())
    assert (stored["user_id"], stored["anonymous_id"]) == ("u-1", "anon-7")
    anonymous = orjson.loads(pending(VISITOR).to_json())
    assert (anonymous["user_id"], anonymous["anonymous_id"]) == (None, "anon-1")


def test_the_stored_json_keeps_its_bytes() -> None:
    assert pending(visitor_id="anon-7").to_json() == (
        b'{"anonymous_id":"anon-7","cause":"basket:1","caused_by":["m1"],"due_ms":10,'
        b'"product_ids":["p1"],"scheduled_ms":5,"type":"abandoned_basket","user_id":"u-1",'
        b'"value":2.5}'
    )


@pytest.mark.parametrize(
    ("person", "visitor_id"), [(USER, None), (USER, "anon-7"), (VISITOR, None)]
)
def test_a_pending_trigger_round_trips_with_its_visitor(
    person: Identity, visitor_id: str | None
) -> None:
    original = pending(person, visitor_id)
    loaded = PendingTrigger.from_json(original.to_json())
    assert loaded == original
    assert loaded.visitor_id == visitor_id
    assert loaded.anonymous_id == original.anonymous_id


def test_a_pending_trigger_about_nobody_does_not_load() -> None:
    raw = orjson.loads(pending().to_json())
    raw["user_id"] = None
    raw["anonymous_id"] = None
    with pytest.raises(ValueError):
        PendingTrigger.from_json(orjson.dumps(raw))


def test_pending_triggers_round_trip_through_json() -> None:
    for pending in schedule([look("v1", 0), look("v2", 1)], [look("v3", 2), add("a1", 3, "p2")]):
        assert PendingTrigger.from_json(pending.to_json()) == pending
    anonymous = schedule([], [added("a1", 0, "p1", **AS_VISITOR)], person=VISITOR)[0]
    assert PendingTrigger.from_json(anonymous.to_json().decode()) == anonymous


def test_a_visitors_pending_trigger_is_decided_for_the_customer_they_became() -> None:
    visitors = pending(VISITOR)
    owned = visitors.for_owner(USER)
    assert (owned.person, owned.visitor_id, owned.anonymous_id) == (USER, "anon-1", "anon-1")
    assert owned.trigger_id == trigger_id(USER, BASKET, "basket:1") != visitors.trigger_id
    assert (owned.cause, owned.due_ms, owned.product_ids) == ("basket:1", 10, ("p1",))
    assert PendingTrigger.from_json(owned.to_json()) == owned


def test_a_customers_pending_trigger_is_already_theirs() -> None:
    own = pending(USER, visitor_id="anon-7")
    assert own.for_owner(USER) is own


def _cross_sell(person: Identity = USER) -> Candidate:
    return Candidate(
        type=CROSS,
        person=person,
        cause="order:o-1",
        product_ids=("p2",),
        store_id="store-001",
        value=40.0,
        priority=40.0,
        caused_by=("m1",),
        reason_code="complements_purchase",
        reason_text="bought shoes; socks trend",
        decided_ms=1_000,
    )


def test_a_held_decision_waits_out_the_grace_and_keeps_everything_it_decided() -> None:
    held = PendingTrigger.holding(_cross_sell(), grace_ms=2_000)
    assert (held.due_ms, held.scheduled_ms) == (3_000, 1_000)
    assert held.trigger_id == _cross_sell().trigger_id
    stored = PendingTrigger.from_json(held.to_json())
    assert stored == held and stored.held == _cross_sell()


def test_a_held_decision_of_a_visitor_identified_since_is_the_customers() -> None:
    held = PendingTrigger.holding(_cross_sell(VISITOR), grace_ms=2_000).for_owner(USER)
    assert held.held is not None
    assert (held.held.person, held.held.visitor_id) == (USER, "anon-1")
    assert held.held.trigger_id == held.trigger_id == _cross_sell(USER).trigger_id


def test_a_timed_type_has_one_slot_per_person_and_each_held_decision_its_own() -> None:
    assert pending().slot == "abandoned_basket"
    first = PendingTrigger.holding(_cross_sell(), 2_000)
    other = PendingTrigger.holding(replace(_cross_sell(), cause="order:o-2"), 2_000)
    assert first.slot == f"cross_sell:{first.trigger_id}" != other.slot
