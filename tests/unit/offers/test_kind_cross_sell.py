"""Cross-sell: a purchase in a mapped category offers trending complements, from events and now."""

from __future__ import annotations

from models.offers.decision import Signals
from models.offers.decisions import immediate_candidates
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
from tests.unit.test_context_support import ordered, product

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
