"""The dispatch: every enabled kind asked in type order, events sorted once, the registry."""

from __future__ import annotations

from config import TopicNames
from models.context import CustomerContext
from models.offers.decision import NO_SIGNALS, Expired, PendingTrigger, SignalRequest, Signals
from models.offers.decisions import (
    immediate_candidates,
    latest_visitor,
    on_due,
    signals_needed,
    timer_slot,
    topic_of,
)
from models.offers.kinds import KINDS
from models.offers.rules import SuppressionReason, TriggerType
from tests.unit.offers.support import (
    AS_USER,
    LAST_ORDER,
    RULES,
    STORE,
    USER,
    VISITOR,
    add,
    decide,
    lapsed_customer,
    look,
    offer_rules,
    schedule,
    store_customer,
)
from tests.unit.test_context_support import at_ms, fold_all, ordered, product, viewed

BASKET, BROWSE = TriggerType.ABANDONED_BASKET, TriggerType.BROWSE_ABANDONMENT
W2S, CROSS, REACT = TriggerType.WEB_TO_STORE, TriggerType.CROSS_SELL, TriggerType.REACTIVATION


def test_candidates_come_in_a_stable_order() -> None:
    events = [look("v1", 0), look("v2", 1)]
    history = [*store_customer(minutes=LAST_ORDER), *lapsed_customer()]
    found = decide(history, events)
    assert [c.type for c in found] == [W2S, REACT]
    assert found == decide(history, list(reversed(events)))


def test_empty_context_and_events_give_nothing() -> None:
    assert immediate_candidates(CustomerContext(), [], USER, RULES, Signals()) == []


def test_disabled_rules_schedule_nothing() -> None:
    rules = offer_rules(disabled=(BASKET, BROWSE))
    views = [look("v1", 0), look("v2", 1), look("v3", 2)]
    assert schedule([], [add("a1", 0, "p9"), *views], rules=rules) == []


def test_the_visitor_of_a_customer_is_their_latest_events_anonymous_id() -> None:
    events = [
        viewed("v1", 0, "p1", user_id="u-1", anonymous_id="anon-old"),
        viewed("v2", 5, "p1", user_id="u-1", anonymous_id="anon-new"),
    ]
    assert latest_visitor(USER, events) == "anon-new"
    assert latest_visitor(USER, [viewed("v3", 0, "p1", **AS_USER)]) is None
    assert latest_visitor(USER, []) is None
    assert latest_visitor(VISITOR, events) is None  # a visitor is their own anonymousId


def test_every_trigger_type_has_its_kind() -> None:
    assert set(KINDS) == set(TriggerType)
    for trigger_type, kind in KINDS.items():
        assert kind.trigger_type is trigger_type


def test_each_type_goes_to_its_topic() -> None:
    assert {t: topic_of(t) for t in (BASKET, BROWSE, REACT, W2S, CROSS)} == {
        BASKET: "remarketing",
        BROWSE: "remarketing",
        REACT: "remarketing",
        W2S: "web_to_store",
        CROSS: "cross_sell",
    }
    topics = TopicNames()
    assert all(hasattr(topics, topic_of(t)) for t in TriggerType)


def test_timers_of_every_type_are_found_in_one_batch_in_type_order() -> None:
    views = [look("v1", 0), look("v2", 1), look("v3", 2)]
    found = schedule([], [add("a1", 3, "p2"), *reversed(views)])
    assert [p.type for p in found] == [BASKET, BROWSE]


def test_a_due_timer_of_an_immediate_type_expires() -> None:
    # Immediate kinds arm no timer; one found due (a bug, an edited store) decides nothing.
    stray = PendingTrigger(W2S, USER, "p1@store-001", 10, 5, ("p1",), ("m1",))
    outcome = on_due(stray, CustomerContext(), RULES, 10)
    assert isinstance(outcome, Expired)
    assert outcome.reason is SuppressionReason.NO_LONGER_VALID
    assert outcome.detail == "web_to_store is decided at once, not at a deadline"


def test_a_disabled_type_expires_its_due_timers() -> None:
    stray = PendingTrigger(W2S, USER, "p1@store-001", 10, 5, ("p1",), ("m1",))
    outcome = on_due(stray, CustomerContext(), offer_rules(disabled=(W2S,)), 10)
    assert isinstance(outcome, Expired)
    assert outcome.detail == "rule disabled since scheduled"


def test_the_signals_of_every_kind_are_needed_in_one_request() -> None:
    shoes = ordered("o1", 5, "o-1", 80.0, [product("sh", category="shoes")], **AS_USER)
    events = [look("v1", 0), look("v2", 1), shoes]
    request = signals_needed(fold_all([*store_customer(), *events]), events, RULES)
    assert request == SignalRequest(
        frozenset({(STORE, "p1")}), frozenset({"socks", "bags"}), at_ms(5)
    )


def test_several_requests_are_read_at_once() -> None:
    one = SignalRequest(frozenset({("s1", "p1")}), frozenset({"hats"}), 10)
    two = SignalRequest(frozenset({("s2", "p2")}), frozenset(), 20)
    assert SignalRequest.union([one, two, NO_SIGNALS]) == SignalRequest(
        frozenset({("s1", "p1"), ("s2", "p2")}), frozenset({"hats"}), 20
    )
    assert SignalRequest.union([]) == NO_SIGNALS


def test_a_timer_replaces_the_persons_timer_of_its_type_unless_its_kind_says_otherwise() -> None:
    [basket, browse] = schedule(
        [], [add("a1", 3, "p2"), look("v1", 0), look("v2", 1), look("v3", 2)]
    )
    assert timer_slot(basket) == "user:u-1|abandoned_basket"
    assert timer_slot(browse) == "user:u-1|browse_abandonment|p1"


def test_a_held_immediate_decision_is_returned_as_decided_when_due() -> None:
    order = ordered("o1", 5, "o-1", 80.0, [product("sh", category="shoes")], **AS_USER)
    trending = Signals(trending={"socks": ("so-1",)})
    (candidate,) = immediate_candidates(fold_all([order]), [order], USER, RULES, trending)
    held = PendingTrigger.holding(candidate, 2_000)
    assert on_due(held, CustomerContext(), RULES, held.due_ms) == candidate
    disabled = on_due(held, CustomerContext(), offer_rules(disabled=(candidate.type,)), 0)
    assert isinstance(disabled, Expired) and disabled.detail == "rule disabled since scheduled"
