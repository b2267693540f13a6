"""Back in stock: who is watched, where, and what a restock online or at their store decides."""

from __future__ import annotations

from models.events import ONLINE_STOCK, Event
from models.offers.arbitration import arbitrate
from models.offers.decision import Candidate
from models.offers.decisions import (
    candidates_now,
    restock_candidates,
    restock_reach,
    restock_watches,
)
from models.offers.restock import Restock, RestockReach, RestockWatch, dropped, scope
from models.offers.rules import TriggerType
from tests.unit.offers.support import (
    AS_USER,
    AS_VISITOR,
    IN_STOCK,
    NOW,
    STORE,
    USER,
    VISITOR,
    add,
    look,
    offer_rules,
    store_customer,
    trigger_rule,
)
from tests.unit.test_context_support import DAY, at_ms, fold_all, ordered, product, removed

BIS = TriggerType.BACK_IN_STOCK
RULES = offer_rules(back_in_stock=trigger_rule(BIS), disabled=(TriggerType.WEB_TO_STORE,))
MINUTES_A_DAY = 24 * 60


def _restock(minutes: float, where: str = ONLINE_STOCK, units: int = 3) -> Restock:
    return Restock(where, "p1", units, at_ms(minutes), "stock-1")


def _decide(events: list[Event], restock: Restock) -> list[Candidate]:
    return list(restock_candidates(fold_all(events), USER, restock, RULES))


def test_a_viewed_product_back_online_is_offered_with_no_store() -> None:
    [candidate] = _decide([look("v1", 0)], _restock(60))
    assert candidate.type is BIS
    assert candidate.product_ids == ("p1",)
    assert candidate.store_id is None
    assert candidate.reason_code == "back_online"
    assert "back in stock online (3 units)" in candidate.reason_text
    assert candidate.caused_by == ("stock-1",)
    assert candidate.decided_ms == at_ms(60)


def test_a_basket_add_back_at_their_store_names_the_store() -> None:
    [candidate] = _decide([*store_customer(), add("a1", 0, "p1", price=30.0)], _restock(60, STORE))
    assert candidate.store_id == STORE
    assert candidate.reason_code == "back_at_store"
    assert f"at {STORE}, their store" in candidate.reason_text
    assert candidate.value == 30.0


def test_a_restock_at_another_store_offers_nothing() -> None:
    assert _decide([*store_customer(), look("v1", 0)], _restock(60, "store-999")) == []
    assert _decide([look("v1", 0)], _restock(60, STORE)) == []  # no store of their own


def test_no_offer_outside_the_window_after_the_interest() -> None:
    window_minutes = 14 * MINUTES_A_DAY
    assert _decide([look("v1", 0)], _restock(window_minutes - 1)) != []
    assert _decide([look("v1", 0)], _restock(window_minutes)) == []
    assert _decide([look("v1", 60)], _restock(30)) == []  # interest after the restock


def test_a_purchase_since_the_interest_in_any_channel_cancels() -> None:
    online = ordered("o1", 10, "o-1", 20.0, [product("p1")], user_id="u-1")
    till = ordered("t1", 10, "t-1", 20.0, [product("p1")], store_id="s-9", user_id="u-1")
    assert _decide([look("v1", 0), online], _restock(60)) == []
    assert _decide([look("v1", 0), till], _restock(60)) == []
    # Bought before looking again: the new interest counts.
    assert _decide([online, look("v1", 20)], _restock(60)) != []


def test_the_cause_is_the_reading_so_a_later_restock_is_news_again() -> None:
    [first] = _decide([look("v1", 0)], _restock(60))
    [again] = _decide([look("v1", 0)], _restock(60))
    [later] = _decide([look("v1", 0)], _restock(120))
    assert first.trigger_id == again.trigger_id != later.trigger_id


def test_views_and_adds_are_watched_online_and_at_their_store() -> None:
    events = [*store_customer(), look("v1", 0), add("a1", 5, "p2"), look("v2", 7)]
    watches = restock_watches(fold_all(events), events, USER, RULES)
    assert set(watches) == {
        RestockWatch(ONLINE_STOCK, "p1", at_ms(7)),
        RestockWatch(STORE, "p1", at_ms(7)),
        RestockWatch(ONLINE_STOCK, "p2", at_ms(5)),
        RestockWatch(STORE, "p2", at_ms(5)),
    }


def test_visitors_are_not_watched_nor_offered() -> None:
    events = [look("v1", 0, **AS_VISITOR)]
    assert restock_watches(fold_all(events), events, VISITOR, RULES) == []
    assert restock_candidates(fold_all(events), VISITOR, _restock(60), RULES) == []


def test_the_reach_is_the_rule_and_the_type_is_never_a_best_offer_now() -> None:
    assert restock_reach(RULES) == RestockReach(14 * DAY, 500)
    assert restock_reach(offer_rules()) == RestockReach(7 * DAY, 500)  # without the table
    context = fold_all([*store_customer(), look("v1", 0)])
    assert all(c.type is not BIS for c in candidates_now(context, USER, RULES, IN_STOCK, NOW))


def test_at_their_store_web_to_store_outranks_it_and_it_is_suppressed() -> None:
    rules = offer_rules(back_in_stock=trigger_rule(BIS))
    context = fold_all([*store_customer(), look("v1", 0), look("v2", 1)])
    found = restock_candidates(context, USER, _restock(60, STORE), rules)
    assert {c.type for c in found} == {BIS, TriggerType.WEB_TO_STORE}
    ranked = arbitrate(found)
    assert ranked.winner is not None and ranked.winner.type is TriggerType.WEB_TO_STORE
    assert [c.type for c in ranked.losers] == [BIS]


def test_basket_products_are_in_the_erasure_scope_online_and_at_their_stores() -> None:
    context = fold_all([*store_customer(), add("a1", 0, "p9")])
    assert {(ONLINE_STOCK, "p9"), (STORE, "p9")} <= scope(context)
    emptied = fold_all([*store_customer(), add("a1", 0, "p9"), removed("r1", 1, "p9", **AS_USER)])
    assert (ONLINE_STOCK, "p9") in dropped(context, emptied)
