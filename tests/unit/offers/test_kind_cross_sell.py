"""Cross-sell: a purchase in a mapped category offers trending complements, from events and now."""

from __future__ import annotations

from models.offers.decision import NO_SIGNALS, Signals
from models.offers.decisions import immediate_candidates, signals_needed, signals_needed_now
from models.offers.rules import TriggerType
from tests.unit.offers.support import (
    AS_USER,
    RULES,
    STORE,
    USER,
    best,
    consenting,
    decide,
    look,
    offer_rules,
    only,
)
from tests.unit.test_context_support import at_ms, fold_all, ordered, product

CROSS = TriggerType.CROSS_SELL


# ---------------------------------------------------------------- from events


SHOES = [product("p1", category="shoes", price=80.0), product("p2", category="shoes")]


TRENDING = Signals(
    trending={"socks": ("s1", "s2", "s3"), "bags": ("p2", "b1", "b2"), "hats": ("h1",)}
)


def test_a_till_purchase_in_a_mapped_category_is_a_cross_sell() -> None:
    order = ordered("o1", 0, "o-1", 80.0, SHOES, store_id=STORE, **AS_USER)
    [candidate] = decide([], [order], signals=TRENDING, of=CROSS)
    assert candidate.cause == "order:o-1"
    assert candidate.value == 80.0
    assert candidate.reason_code == "complements_purchase"
    # Round robin over socks then bags, skipping p2 bought in this very order.
    assert candidate.product_ids == ("s1", "b1", "s2")
    assert candidate.store_id == STORE
    for word in ("shoes", "socks", "bags", "o-1", STORE):
        assert word in candidate.reason_text


def test_an_online_purchase_is_a_cross_sell_too() -> None:
    order = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    [candidate] = decide([], [order], signals=TRENDING, of=CROSS)
    assert candidate.store_id is None
    assert "online (web)" in candidate.reason_text


def test_an_unmapped_category_gives_no_cross_sell() -> None:
    order = ordered("o1", 0, "o-1", 10.0, [product("h", category="hats")], **AS_USER)
    assert decide([], [order], signals=TRENDING, of=CROSS) == []
    bare = ordered("o2", 0, "o-2", 10.0, [product("x")], **AS_USER)
    assert decide([], [bare], signals=TRENDING, of=CROSS) == []


def test_nothing_trending_still_offers_the_categories() -> None:
    order = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    [candidate] = decide([], [order], signals=Signals(), of=CROSS)
    assert candidate.product_ids == ()
    assert "socks" in candidate.reason_text and "bags" in candidate.reason_text


def test_cross_sell_takes_at_most_three_products_from_every_mapped_category() -> None:
    rules = offer_rules(cross_sell={"shoes": ("socks",), "coats": ("hats", "socks")})
    items = [product("p1", category="shoes"), product("c1", category="coats")]
    order = ordered("o1", 0, "o-1", 150.0, items, **AS_USER)
    [candidate] = decide([], [order], rules=rules, signals=TRENDING, of=CROSS)
    assert candidate.product_ids == ("s1", "h1", "s2")


def test_only_events_just_applied_trigger() -> None:
    order = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    assert decide([order], [look("v1", 5)], signals=TRENDING, of=CROSS) == []


# ------------------------------------------------------------- best offer now


TRENDING_NOW = Signals(trending={"socks": ("s-1", "s-2"), "bags": ("b-1",)})


def test_the_latest_order_brings_a_cross_sell_offer() -> None:
    shoes = [product("sh-1", category="shoes", price=50.0)]
    order = ordered("o2", 0, "o-2", 50.0, shoes, **AS_USER)
    earlier = ordered("o1", -60, "o-1", 20.0, [product("x", category="shoes")], **AS_USER)
    context = consenting([earlier, order])
    [assessed] = best(context, signals=TRENDING_NOW).considered
    candidate = assessed.candidate
    assert candidate.type is CROSS
    assert candidate.cause == "order:o-2"
    assert candidate.product_ids == ("s-1", "b-1", "s-2")
    assert candidate.value == 50.0
    assert candidate.reason_code == "complements_purchase"
    engine = immediate_candidates(context, [order], USER, RULES, TRENDING_NOW)
    assert [c.trigger_id for c in engine if c.type is CROSS] == [candidate.trigger_id]


def test_no_cross_sell_for_an_unmapped_category() -> None:
    order = ordered("o1", 0, "o-1", 50.0, [product("h", category="hats")], **AS_USER)
    assert only(best(consenting([order]), signals=TRENDING_NOW), CROSS) == []


# --------------------------------------------------------------------------- signals needed


def test_the_trends_of_the_complements_are_needed_as_of_the_latest_purchase() -> None:
    shoes = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    hats = ordered("o2", 5, "o-2", 10.0, [product("h", category="hats")], **AS_USER)
    request = signals_needed(fold_all([shoes, hats]), [hats, shoes], RULES)
    assert request.trend_categories == {"socks", "bags"}
    assert request.trends_at_ms == at_ms(5)
    assert request.stock_pairs == frozenset()


def test_no_trends_are_needed_without_a_purchase_or_with_the_rule_off() -> None:
    views = [look("v1", 0)]
    assert signals_needed(fold_all(views), views, RULES) == NO_SIGNALS
    order = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    rules = offer_rules(disabled=(CROSS,))
    assert signals_needed(fold_all([order]), [order], rules) == NO_SIGNALS


def test_now_the_trends_of_the_latest_orders_complements_are_needed() -> None:
    shoes = ordered("o1", 0, "o-1", 80.0, SHOES, **AS_USER)
    later = ordered("o2", 5, "o-2", 10.0, [product("x", category="socks")], **AS_USER)
    request = signals_needed_now(fold_all([shoes, later]), RULES, at_ms(60))
    assert request.trend_categories == frozenset()  # socks map to nothing in RULES
    request = signals_needed_now(fold_all([shoes]), RULES, at_ms(60))
    assert (request.trend_categories, request.trends_at_ms) == ({"socks", "bags"}, at_ms(60))
