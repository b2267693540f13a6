"""Web-to-store: views of a product in stock at the customer's own store, from events and now."""

from __future__ import annotations

import hashlib

from models.offers.decision import NO_SIGNALS, Signals
from models.offers.decisions import immediate_candidates, signals_needed, signals_needed_now
from models.offers.rules import TriggerType
from tests.unit.offers.support import (
    AS_USER,
    AS_VISITOR,
    IN_STOCK,
    NOW,
    PUSH,
    RULES,
    STORE,
    USER,
    VISITOR,
    best,
    consenting,
    decide,
    look,
    offer_rules,
    only,
    store_customer,
)
from tests.unit.test_context_support import at_ms, event, fold_all, ordered, product, viewed

W2S = TriggerType.WEB_TO_STORE


# ---------------------------------------------------------------- from events


def test_trigger_id_is_a_hash_of_person_type_and_cause() -> None:
    [candidate] = decide(store_customer(), [look("v1", 0), look("v2", 1)], of=W2S)
    expected = hashlib.sha256(f"user:u-1|web_to_store|p1@{STORE}".encode()).hexdigest()[:32]
    assert candidate.trigger_id == expected
    again = decide(store_customer(), [look("v1", 0), look("v2", 1)], of=W2S)
    assert again[0].trigger_id == expected


def test_score_is_priority_times_value_with_a_floor_of_one() -> None:
    [candidate] = decide(store_customer(), [look("v1", 0), look("v2", 1)], of=W2S)
    assert candidate.value == 0.0
    assert candidate.score == 80.0


def test_second_view_with_stock_at_the_preferred_store_is_web_to_store() -> None:
    props = {"product_id": "p1", "name": "Runner", "price": 89.0}
    first = event("v1", "Product Viewed", 0, properties=props, **AS_USER)
    second = viewed("v2", 30, "p1", **AS_USER)
    found = decide(store_customer(), [first, second], of=W2S)
    assert len(found) == 1
    candidate = found[0]
    assert candidate.cause == f"p1@{STORE}"
    assert candidate.product_ids == ("p1",)
    assert candidate.store_id == STORE
    assert candidate.reason_code == "in_stock_nearby"
    assert candidate.value == 0.0  # the qualifying view carried no price
    assert "2 times" in candidate.reason_text and STORE in candidate.reason_text
    assert "4 in stock" in candidate.reason_text
    assert candidate.caused_by == ("v2",)  # the first view alone did not qualify
    assert candidate.decided_ms == at_ms(30)


def test_views_folded_earlier_count_towards_the_threshold() -> None:
    found = decide([*store_customer(), look("v1", 0)], [look("v2", 5)], of=W2S)
    assert [c.caused_by for c in found] == [("v2",)]


def test_one_view_is_not_enough() -> None:
    assert decide(store_customer(), [look("v1", 0)], of=W2S) == []


def test_views_outside_the_window_do_not_count() -> None:
    history = [*store_customer(), look("v1", -2 * 24 * 60)]
    assert decide(history, [look("v2", 0)], of=W2S) == []


def test_no_stock_means_no_web_to_store() -> None:
    views = [look("v1", 0), look("v2", 1)]
    assert decide(store_customer(), views, signals=Signals(), of=W2S) == []
    empty = Signals(stock={(STORE, "p1"): 0})
    assert decide(store_customer(), views, signals=empty, of=W2S) == []
    elsewhere = Signals(stock={("store-002", "p1"): 9})
    assert decide(store_customer(), views, signals=elsewhere, of=W2S) == []


def test_no_preferred_store_means_no_web_to_store() -> None:
    online = [ordered("o1", -100, "o-1", 30.0, [product("p9")], **AS_USER)]
    assert decide(online, [look("v1", 0), look("v2", 1)], of=W2S) == []


def test_anonymous_visitors_get_no_web_to_store() -> None:
    history = store_customer(**AS_VISITOR)
    views = [look("v1", 0, **AS_VISITOR), look("v2", 1, **AS_VISITOR)]
    assert decide(history, views, person=VISITOR, of=W2S) == []


def test_a_store_view_does_not_trigger_web_to_store() -> None:
    views = [look("v1", 0), viewed("v2", 1, "p1", channel="store", **AS_USER)]
    assert decide(store_customer(), views, of=W2S) == []


def test_several_qualifying_views_make_one_candidate() -> None:
    views = [look("v1", 0), look("v2", 1), look("v3", 2, channel="mobile")]
    [candidate] = decide(store_customer(), views, of=W2S)
    assert candidate.caused_by == ("v2", "v3")
    assert candidate.decided_ms == at_ms(2)


def test_disabled_rule_makes_no_candidate() -> None:
    rules = offer_rules(disabled=(W2S,))
    assert decide(store_customer(), [look("v1", 0), look("v2", 1)], rules=rules) == []


def test_the_viewed_price_is_the_value_and_the_name_is_in_the_text() -> None:
    props = {"product_id": "p1", "name": "Runner", "price": 89.0}
    second = event("v2", "Product Viewed", 1, properties=props, **AS_USER)
    [candidate] = decide(store_customer(), [look("v1", 0), second], of=W2S)
    assert candidate.value == 89.0
    assert candidate.score == 80 * 89.0
    assert "Runner (p1)" in candidate.reason_text


# ------------------------------------------------------------- best offer now


def test_a_product_viewed_in_stock_at_their_store_is_a_web_to_store_offer() -> None:
    views = [look("v1", 0, "p1"), look("v2", 1, "p1")]
    context = consenting([*store_customer(), *views], push=True)
    [assessed] = [a for a in best(context).considered if a.candidate.type is W2S]
    candidate = assessed.candidate
    assert candidate.cause == f"p1@{STORE}"
    assert candidate.store_id == STORE
    assert candidate.reason_code == "in_stock_nearby"
    assert "4 in stock at store-001" in candidate.reason_text
    assert assessed.channel.channel is PUSH
    engine = immediate_candidates(context, views[-1:], USER, RULES, IN_STOCK)
    assert [c.trigger_id for c in engine if c.type is W2S] == [candidate.trigger_id]


def test_no_web_to_store_without_stock_a_store_or_a_known_person() -> None:
    views = [look("v1", 0, "p1"), look("v2", 1, "p1")]
    context = consenting([*store_customer(), *views])
    assert only(best(context, signals=Signals()), W2S) == []
    assert only(best(consenting(views)), W2S) == []
    visitor = fold_all(
        [*store_customer(**AS_VISITOR), *(look(f"v{i}", i, "p1", **AS_VISITOR) for i in range(2))]
    )
    assert only(best(visitor, person=VISITOR), W2S) == []


# --------------------------------------------------------------------------- signals needed


def test_the_stock_of_online_views_at_their_store_is_needed() -> None:
    views = [look("v1", 0, "p1"), look("v2", 1, "p2", channel="mobile")]
    in_store = viewed("v3", 2, "p3", channel="store", **AS_USER)
    context = fold_all([*store_customer(), *views, in_store])
    request = signals_needed(context, [*views, in_store], RULES)
    assert request.stock_pairs == {(STORE, "p1"), (STORE, "p2")}
    assert request.trend_categories == frozenset()


def test_no_stock_is_needed_without_a_store_or_with_the_rule_off() -> None:
    views = [look("v1", 0), look("v2", 1)]
    assert signals_needed(fold_all(views), views, RULES) == NO_SIGNALS
    context = fold_all([*store_customer(), *views])
    assert signals_needed(context, views, offer_rules(disabled=(W2S,))) == NO_SIGNALS


def test_now_the_stock_of_every_recent_product_is_needed() -> None:
    context = fold_all([*store_customer(), look("v1", 0, "p1"), look("v2", 1, "p2")])
    assert signals_needed_now(context, RULES, NOW).stock_pairs == {(STORE, "p1"), (STORE, "p2")}
    assert signals_needed_now(fold_all([look("v1", 0)]), RULES, NOW) == NO_SIGNALS
