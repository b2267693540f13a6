"""Immediate candidates: web-to-store, cross-sell and reactivation."""

from __future__ import annotations

import hashlib

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.candidates import immediate_candidates
from models.offers.decision import Candidate, Signals
from models.offers.rules import OfferRules, TriggerType
from tests.unit.offers.support import (
    AS_USER,
    AS_VISITOR,
    RULES,
    STORE,
    USER,
    VISITOR,
    offer_rules,
    store_customer,
    trigger_rule,
)
from tests.unit.test_context_support import (
    DAY,
    at_ms,
    event,
    fold_all,
    ordered,
    product,
    viewed,
)

IN_STOCK = Signals(stock={(STORE, "p1"): 4})
W2S, CROSS, REACT = TriggerType.WEB_TO_STORE, TriggerType.CROSS_SELL, TriggerType.REACTIVATION


def decide(
    history: list[Event],
    new: list[Event],
    person: Identity = USER,
    rules: OfferRules = RULES,
    signals: Signals = IN_STOCK,
    of: TriggerType | None = None,
) -> list[Candidate]:
    context = fold_all([*history, *new])
    found = immediate_candidates(context, new, person, rules, signals)
    return [c for c in found if of is None or c.type is of]


def view(mid: str, minutes: float, pid: str = "p1", **kw: object) -> Event:
    who = kw.pop("who", AS_USER)
    assert isinstance(who, dict)
    return viewed(mid, minutes, pid, **who, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- person and ids


def test_trigger_id_is_a_hash_of_person_type_and_cause() -> None:
    [candidate] = decide(store_customer(), [view("v1", 0), view("v2", 1)], of=W2S)
    expected = hashlib.sha256(f"user:u-1|web_to_store|p1@{STORE}".encode()).hexdigest()[:32]
    assert candidate.trigger_id == expected
    again = decide(store_customer(), [view("v1", 0), view("v2", 1)], of=W2S)
    assert again[0].trigger_id == expected


def test_score_is_priority_times_value_with_a_floor_of_one() -> None:
    [candidate] = decide(store_customer(), [view("v1", 0), view("v2", 1)], of=W2S)
    assert candidate.value == 0.0
    assert candidate.score == 80.0


# --------------------------------------------------------------------------- web-to-store


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
    found = decide([*store_customer(), view("v1", 0)], [view("v2", 5)], of=W2S)
    assert [c.caused_by for c in found] == [("v2",)]


def test_one_view_is_not_enough() -> None:
    assert decide(store_customer(), [view("v1", 0)], of=W2S) == []


def test_views_outside_the_window_do_not_count() -> None:
    history = [*store_customer(), view("v1", -2 * 24 * 60)]
    assert decide(history, [view("v2", 0)], of=W2S) == []


def test_no_stock_means_no_web_to_store() -> None:
    views = [view("v1", 0), view("v2", 1)]
    assert decide(store_customer(), views, signals=Signals(), of=W2S) == []
    empty = Signals(stock={(STORE, "p1"): 0})
    assert decide(store_customer(), views, signals=empty, of=W2S) == []
    elsewhere = Signals(stock={("store-002", "p1"): 9})
    assert decide(store_customer(), views, signals=elsewhere, of=W2S) == []


def test_no_preferred_store_means_no_web_to_store() -> None:
    online = [ordered("o1", -100, "o-1", 30.0, [product("p9")], **AS_USER)]
    assert decide(online, [view("v1", 0), view("v2", 1)], of=W2S) == []


def test_anonymous_visitors_get_no_web_to_store() -> None:
    history = store_customer(**AS_VISITOR)
    views = [view("v1", 0, who=AS_VISITOR), view("v2", 1, who=AS_VISITOR)]
    assert decide(history, views, person=VISITOR, of=W2S) == []


def test_a_store_view_does_not_trigger_web_to_store() -> None:
    views = [view("v1", 0), viewed("v2", 1, "p1", channel="store", **AS_USER)]
    assert decide(store_customer(), views, of=W2S) == []


def test_several_qualifying_views_make_one_candidate() -> None:
    views = [view("v1", 0), view("v2", 1), view("v3", 2, channel="mobile")]
    [candidate] = decide(store_customer(), views, of=W2S)
    assert candidate.caused_by == ("v2", "v3")
    assert candidate.decided_ms == at_ms(2)


def test_disabled_rule_makes_no_candidate() -> None:
    rules = offer_rules(disabled=(W2S,))
    assert decide(store_customer(), [view("v1", 0), view("v2", 1)], rules=rules) == []


# --------------------------------------------------------------------------- cross-sell

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
    assert decide([order], [view("v1", 5)], signals=TRENDING, of=CROSS) == []


# --------------------------------------------------------------------------- reactivation

LAST_ORDER = -100 * 24 * 60  # minutes: 100 days before T0


def lapsed_customer(minutes: float = LAST_ORDER) -> list[Event]:
    return [
        ordered("o1", minutes - 60, "o-0", 40.0, [product("p9")], **AS_USER),
        ordered("o2", minutes, "o-1", 60.0, [product("p9")], store_id=STORE, **AS_USER),
    ]


def test_a_lapsed_customer_coming_back_is_reactivation() -> None:
    page = event("pg", None, 0, call="page", **AS_USER)
    [candidate] = decide(lapsed_customer(), [page], of=REACT)
    assert candidate.cause == f"lapse:{at_ms(LAST_ORDER)}"
    assert candidate.value == 50.0  # average order value
    assert candidate.reason_code == "lapsed_customer_returned"
    assert "100 days" in candidate.reason_text and STORE in candidate.reason_text


def test_one_lapse_period_is_one_trigger_id() -> None:
    first = decide(lapsed_customer(), [view("v1", 0)], of=REACT)
    later = decide([*lapsed_customer(), view("v1", 0)], [view("v2", 60)], of=REACT)
    assert first[0].trigger_id == later[0].trigger_id


def test_a_recent_customer_is_not_reactivated() -> None:
    assert decide(lapsed_customer(-30 * 24 * 60), [view("v1", 0)], of=REACT) == []


def test_exactly_the_lapse_is_not_yet_lapsed() -> None:
    lapse = trigger_rule(REACT, lapse_ms=100 * DAY)
    rules = offer_rules(reactivation=lapse)
    assert decide(lapsed_customer(), [view("v1", 0)], rules=rules, of=REACT) == []


def test_someone_who_never_ordered_is_not_reactivated() -> None:
    assert decide([], [view("v1", 0)], of=REACT) == []


def test_the_order_that_ends_a_lapse_is_not_itself_a_reason() -> None:
    order = ordered("o9", 0, "o-9", 20.0, [product("p1")], **AS_USER)
    assert decide(lapsed_customer(), [order], of=REACT) == []


def test_a_visit_before_an_order_in_the_same_batch_uses_the_previous_order() -> None:
    order = ordered("o9", 10, "o-9", 20.0, [product("p1")], **AS_USER)
    [candidate] = decide(lapsed_customer(), [view("v1", 0), order], of=REACT)
    assert candidate.cause == f"lapse:{at_ms(LAST_ORDER)}"
    assert candidate.caused_by == ("v1",)


def test_candidates_come_in_a_stable_order() -> None:
    events = [view("v1", 0), view("v2", 1)]
    history = [*store_customer(minutes=LAST_ORDER), *lapsed_customer()]
    found = decide(history, events)
    assert [c.type for c in found] == [W2S, REACT]
    assert found == decide(history, list(reversed(events)))


def test_empty_context_and_events_give_nothing() -> None:
    assert immediate_candidates(CustomerContext(), [], USER, RULES, Signals()) == []


def test_the_viewed_price_is_the_value_and_the_name_is_in_the_text() -> None:
    props = {"product_id": "p1", "name": "Runner", "price": 89.0}
    second = event("v2", "Product Viewed", 1, properties=props, **AS_USER)
    [candidate] = decide(store_customer(), [view("v1", 0), second], of=W2S)
    assert candidate.value == 89.0
    assert candidate.score == 80 * 89.0
    assert "Runner (p1)" in candidate.reason_text
