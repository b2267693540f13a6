"""Abandoned basket: the timer an online add arms, its decision at the deadline, and now."""

from __future__ import annotations

from models.offers.decision import Candidate, Expired, PendingTrigger
from models.offers.decisions import on_due, pending_triggers, timer_slot
from models.offers.rules import SuppressionReason, TriggerType
from tests.unit.offers.support import (
    AS_USER,
    EMAIL,
    RULES,
    STORE,
    USER,
    add,
    best,
    consenting,
    due,
    look,
    offer_rules,
    only,
    schedule,
)
from tests.unit.test_context_support import at_ms, fold_all, ordered, product, removed

BASKET = TriggerType.ABANDONED_BASKET


# ------------------------------------------------------------------ the timer


def test_an_online_add_schedules_the_basket_timer() -> None:
    [pending] = schedule([], [add("a1", 0, "p1", price=10.0)], of=BASKET)
    assert pending.due_ms == at_ms(30)
    assert pending.scheduled_ms == at_ms(0)
    assert pending.cause == f"basket:{at_ms(0)}"
    assert pending.product_ids == ("p1",)
    assert pending.caused_by == ("a1",)
    assert pending.value == 10.0


def test_a_later_add_moves_the_due_time_and_keeps_the_cause() -> None:
    first = schedule([], [add("a1", 0, "p1")], of=BASKET)[0]
    later = schedule([add("a1", 0, "p1")], [add("a2", 20, "p2", channel="mobile")], of=BASKET)[0]
    assert later.due_ms == at_ms(50)
    assert later.cause == first.cause
    assert later.trigger_id == first.trigger_id
    assert timer_slot(later) == timer_slot(first)
    assert set(later.product_ids) == {"p1", "p2"}


def test_a_late_older_add_does_not_bring_the_timer_forward() -> None:
    [pending] = schedule([add("a2", 20, "p2")], [add("a1", 0, "p1")], of=BASKET)
    assert pending.due_ms == at_ms(50)
    assert pending.cause == f"basket:{at_ms(0)}"


def test_a_store_add_or_a_view_schedules_no_basket_timer() -> None:
    assert schedule([], [add("a1", 0, "p1", channel="store")], of=BASKET) == []
    assert schedule([add("a1", 0, "p1")], [look("v1", 1)], of=BASKET) == []


def test_an_add_already_bought_still_arms_a_timer_that_expires_as_purchased() -> None:
    # The till sale was folded before the add: the cancellation must still be visible.
    order = ordered("o1", 10, "o-1", 10.0, [product("p1")], **AS_USER)
    (pending,) = schedule([order], [add("a1", 0, "p1")], of=BASKET)
    assert pending.product_ids == ("p1",)
    context = fold_all([order, add("a1", 0, "p1")])
    expired = on_due(pending, context, offer_rules(), pending.due_ms)
    assert isinstance(expired, Expired)
    assert expired.reason is SuppressionReason.PURCHASED


# ------------------------------------------------------------ at the deadline


BASKET_EVENTS = [add("a1", 0, "p1", price=10.0, quantity=2), add("a2", 5, "p2", price=5.0)]


def basket_timer() -> PendingTrigger:
    return schedule([], BASKET_EVENTS, of=BASKET)[0]


def test_a_basket_still_there_when_due_is_a_candidate_with_the_pending_id() -> None:
    pending = basket_timer()
    result = due(pending, BASKET_EVENTS)
    assert isinstance(result, Candidate)
    assert result.trigger_id == pending.trigger_id
    assert result.caused_by == ("a1", "a2")
    assert result.product_ids == ("p2", "p1")
    assert result.value == 25.0
    assert result.score == 100 * 25.0
    assert result.decided_ms == pending.due_ms
    assert result.reason_code == "basket_abandoned"
    assert "p1" in result.reason_text and "25.00" in result.reason_text


def test_a_basket_bought_at_the_till_is_purchased_naming_the_store() -> None:
    bought = [product("p1"), product("p2")]
    till = ordered("t1", 20, "o-till", 25.0, bought, store_id=STORE, **AS_USER)
    result = due(basket_timer(), BASKET_EVENTS, [till])
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.PURCHASED
    assert f"at the till in {STORE}" in result.detail
    assert "o-till" in result.detail


def test_a_basket_bought_online_is_purchased_too() -> None:
    online = ordered("w1", 20, "o-web", 25.0, [product("p1"), product("p2")], **AS_USER)
    result = due(basket_timer(), BASKET_EVENTS, [online])
    assert isinstance(result, Expired) and result.reason is SuppressionReason.PURCHASED
    assert "online (web)" in result.detail


def test_a_basket_emptied_by_removals_is_no_longer_valid() -> None:
    gone = [removed("r1", 10, "p1", **AS_USER), removed("r2", 11, "p2", **AS_USER)]
    result = due(basket_timer(), BASKET_EVENTS, gone)
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID
    assert "removed" in result.detail


def test_a_partly_bought_basket_reminds_of_what_is_left() -> None:
    till = ordered("t1", 20, "o-till", 20.0, [product("p1")], store_id=STORE, **AS_USER)
    result = due(basket_timer(), BASKET_EVENTS, [till])
    assert isinstance(result, Candidate)
    assert result.product_ids == ("p2",)
    assert result.value == 5.0


def test_a_timer_overtaken_by_a_later_add_gives_way() -> None:
    result = due(basket_timer(), BASKET_EVENTS, [add("a3", 40, "p3")])
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID


def test_a_rule_disabled_since_scheduling_expires_the_timer() -> None:
    context = fold_all(BASKET_EVENTS)
    result = on_due(basket_timer(), context, offer_rules(disabled=(BASKET,)), at_ms(60))
    assert isinstance(result, Expired)


# ------------------------------------------------------------- best offer now


def test_a_basket_is_an_offer_at_once_whatever_the_delay() -> None:
    context = consenting([add("a1", 0, "p1", price=10.0), add("a2", 5, "p3", price=5.0)])
    offer = best(context, now_ms=at_ms(6))  # the rule's delay is 30 min
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is BASKET
    assert candidate.cause == f"basket:{at_ms(0)}"
    assert candidate.value == 15.0
    assert set(candidate.product_ids) == {"p1", "p3"}
    assert candidate.reason_code == "basket_abandoned"
    assert "2 item(s)" in candidate.reason_text
    assert "1 min without an order" in candidate.reason_text
    assert candidate.decided_ms == at_ms(6)
    assert candidate.caused_by == ()
    assert offer.best.channel.channel is EMAIL
    assert offer.best.verdict is None


def test_the_basket_trigger_id_is_the_one_the_timer_schedules() -> None:
    history = [add("a1", 0, "p1", price=10.0)]
    new = [add("a2", 20, "p2", price=10.0)]
    context = consenting([*history, *new])
    [pending] = [p for p in pending_triggers(context, new, USER, RULES) if p.type is BASKET]
    offer = best(context, now_ms=at_ms(25))
    assert offer.best is not None
    assert offer.best.candidate.trigger_id == pending.trigger_id
    assert offer.best.candidate.cause == pending.cause


def test_a_bought_basket_is_no_offer() -> None:
    bought = ordered("o1", 5, "o-1", 10.0, [product("p1")], **AS_USER)
    context = consenting([add("a1", 0, "p1", price=10.0), bought])
    assert only(best(context), BASKET) == []
