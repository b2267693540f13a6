"""Web-to-store after a restock: who is watched, and what a restock decides for them."""

from __future__ import annotations

from dataclasses import replace

from models.events import ONLINE_STOCK
from models.offers.decisions import (
    immediate_candidates,
    restock_candidates,
    restock_reach,
    restock_watches,
)
from models.offers.restock import Restock, RestockReach, RestockWatch, dropped, scope
from models.offers.rules import TriggerType
from tests.unit.offers.support import (
    AS_VISITOR,
    IN_STOCK,
    RULES,
    STORE,
    USER,
    VISITOR,
    look,
    offer_rules,
    store_customer,
    trigger_rule,
)
from tests.unit.test_context_support import DAY, at_ms, fold_all, ordered, product, viewed

W2S = TriggerType.WEB_TO_STORE


def _restock(minutes: float, units: int = 5, store: str = STORE, pid: str = "p1") -> Restock:
    return Restock(store, pid, units, at_ms(minutes), "stock-1")


def _watching(*views: object) -> list[object]:
    return [*store_customer(), *views]


# ------------------------------------------------------------------ the decision at a restock


def test_a_restock_after_qualifying_views_offers_their_store() -> None:
    context = fold_all(_watching(look("v1", 0), look("v2", 30)))
    [candidate] = restock_candidates(context, USER, _restock(120), RULES)
    assert candidate.type is W2S
    assert candidate.store_id == STORE
    assert candidate.product_ids == ("p1",)
    assert candidate.reason_code == "back_in_stock"
    assert "back in stock at store-001 (5 units)" in candidate.reason_text
    assert "p1 2 times within 24 h" in candidate.reason_text
    assert candidate.caused_by == ("stock-1",)
    assert candidate.decided_ms == at_ms(120)  # the reading's event time


def test_the_restock_offer_is_the_view_offer_one_product_one_store_one_trigger() -> None:
    views = [look("v1", 0), look("v2", 30)]
    context = fold_all(_watching(*views))
    [from_view] = immediate_candidates(context, views, USER, RULES, IN_STOCK)
    [from_restock] = restock_candidates(context, USER, _restock(120), RULES)
    assert from_restock.cause == from_view.cause == f"p1@{STORE}"
    assert from_restock.trigger_id == from_view.trigger_id


def test_views_days_before_the_restock_count_within_the_restock_window() -> None:
    context = fold_all(_watching(look("v1", 0), look("v2", 30)))
    assert restock_candidates(context, USER, _restock(6 * 24 * 60), RULES) != []
    assert restock_candidates(context, USER, _restock(8 * 24 * 60), RULES) == []


def test_the_views_must_have_qualified_within_the_rules_window() -> None:
    spread = fold_all(_watching(look("v1", 0), look("v2", 25 * 60)))  # 25 h apart
    assert restock_candidates(spread, USER, _restock(26 * 60), RULES) == []
    once = fold_all(_watching(look("v1", 0)))
    assert restock_candidates(once, USER, _restock(60), RULES) == []


def test_views_after_the_reading_do_not_count_a_replay_decides_the_same() -> None:
    context = fold_all(_watching(look("v1", 0), look("v2", 30)))
    assert restock_candidates(context, USER, _restock(15), RULES) == []


def test_only_the_customers_store_with_units_and_the_rule_on() -> None:
    context = fold_all(_watching(look("v1", 0), look("v2", 30)))
    assert restock_candidates(context, USER, _restock(60, store="store-009"), RULES) == []
    assert restock_candidates(context, USER, _restock(60, units=0), RULES) == []
    assert restock_candidates(context, USER, _restock(60, pid="p2"), RULES) == []
    off = offer_rules(disabled=(W2S,))
    assert restock_candidates(context, USER, _restock(60), off) == []


def test_a_store_that_is_no_longer_theirs_gets_no_offer() -> None:
    moved = [
        ordered(
            f"t2-{i}", 40 + i, f"o2-{i}", 20.0, [product("x")], store_id="store-002", user_id="u-1"
        )
        for i in range(3)
    ]
    context = fold_all([*_watching(look("v1", 0), look("v2", 30)), *moved])
    assert restock_candidates(context, USER, _restock(60), RULES) == []


def test_anonymous_visitors_are_never_offered_a_store() -> None:
    history = [
        *store_customer(**AS_VISITOR),
        look("v1", 0, **AS_VISITOR),
        look("v2", 1, **AS_VISITOR),
    ]
    assert restock_candidates(fold_all(history), VISITOR, _restock(60), RULES) == []


def test_the_offer_names_the_latest_linked_visitor() -> None:
    history = [*store_customer(), viewed("v1", 0, "p1", user_id="u-1", anonymous_id="anon-7")]
    context = fold_all([*history, look("v2", 30)])
    [candidate] = restock_candidates(context, USER, _restock(60), RULES)
    assert candidate.visitor_id == "anon-7"


# ------------------------------------------------------------------------------- who is watched


def test_qualifying_online_views_watch_the_product_at_their_store() -> None:
    views = [look("v1", 0), look("v2", 30), look("v3", 31, "p2"), look("v4", 40)]
    context = fold_all(_watching(*views))
    assert restock_watches(context, views, USER, RULES) == [RestockWatch(STORE, "p1", at_ms(40))]


def test_no_watch_without_a_store_for_visitors_for_store_views_or_restocks_off() -> None:
    views = [look("v1", 0), look("v2", 30)]
    assert restock_watches(fold_all(views), views, USER, RULES) == []
    visitor_views = [look("v1", 0, **AS_VISITOR), look("v2", 30, **AS_VISITOR)]
    visitor = fold_all([*store_customer(**AS_VISITOR), *visitor_views])
    assert restock_watches(visitor, visitor_views, VISITOR, RULES) == []
    in_store = [viewed(f"s{i}", i, "p1", channel="store", user_id="u-1") for i in range(3)]
    assert restock_watches(fold_all(_watching(*in_store)), in_store, USER, RULES) == []
    nobody = replace(trigger_rule(W2S), restock_max_people=0)
    context = fold_all(_watching(*views))
    assert restock_watches(context, views, USER, offer_rules(web_to_store=nobody)) == []


def test_the_reach_is_the_rules_and_off_with_the_rule() -> None:
    assert restock_reach(RULES) == RestockReach(7 * DAY, 500)
    assert restock_reach(RULES).enabled
    assert not restock_reach(offer_rules(disabled=(W2S,))).enabled


# ------------------------------------------------------------------------------- index scope


def test_the_scope_is_online_and_every_store_they_bought_at_by_their_recent_products() -> None:
    elsewhere = ordered("t9", 5, "o9", 20.0, [product("x")], store_id="store-002", user_id="u-1")
    context = fold_all(_watching(look("v1", 0), look("v2", 30, "p2"), elsewhere))
    stores = (STORE, "store-002", ONLINE_STOCK)
    viewed_products = ("p1", "p2")  # "x" was bought, not viewed
    assert scope(context) == {(s, p) for s in stores for p in viewed_products}
    assert scope(fold_all([look("v1", 0)])) == {(ONLINE_STOCK, "p1")}
    assert scope(fold_all([])) == frozenset()


def test_what_a_batch_pushes_out_of_the_scope_is_dropped() -> None:
    before = fold_all(_watching(look("v1", 0)))
    again = fold_all(_watching(look("v1", 0), look("v2", 5)))
    assert dropped(before, again) == frozenset()
    later = [look(f"n{i}", 10 + i, f"n{i}") for i in range(25)]  # p1 leaves recent products
    after = fold_all(_watching(look("v1", 0), *later))
    assert (STORE, "p1") in dropped(before, after)
    assert all(pair in scope(before) for pair in dropped(before, after))
