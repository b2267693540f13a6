"""Timed triggers: scheduling pending timers and re-checking them when due."""

from __future__ import annotations

from models.events import Event
from models.identity import Identity
from models.offers.decision import Candidate, Expired, PendingTrigger
from models.offers.rules import OfferRules, SuppressionReason, TriggerType
from models.offers.timers import on_due, pending_triggers
from tests.unit.offers.support import (
    AS_USER,
    AS_VISITOR,
    RULES,
    STORE,
    USER,
    VISITOR,
    offer_rules,
)
from tests.unit.test_context_support import (
    added,
    at_ms,
    fold_all,
    ordered,
    product,
    removed,
    viewed,
)

BASKET, BROWSE = TriggerType.ABANDONED_BASKET, TriggerType.BROWSE_ABANDONMENT


def schedule(
    history: list[Event],
    new: list[Event],
    person: Identity = USER,
    rules: OfferRules = RULES,
    of: TriggerType | None = None,
) -> list[PendingTrigger]:
    context = fold_all([*history, *new])
    found = pending_triggers(context, new, person, rules)
    return [p for p in found if of is None or p.type is of]


def add(mid: str, minutes: float, pid: str, **kw: object) -> Event:
    return added(mid, minutes, pid, **{**AS_USER, **kw})  # type: ignore[arg-type]


def look(mid: str, minutes: float, pid: str = "p1") -> Event:
    return viewed(mid, minutes, pid, **AS_USER)


# --------------------------------------------------------------------------- abandoned basket


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
    assert later.slot == first.slot
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


def test_disabled_rules_schedule_nothing() -> None:
    rules = offer_rules(disabled=(BASKET, BROWSE))
    views = [look("v1", 0), look("v2", 1), look("v3", 2)]
    assert schedule([], [add("a1", 0, "p9"), *views], rules=rules) == []


# --------------------------------------------------------------------------- browse abandonment


def test_the_third_view_within_the_window_schedules_browse_abandonment() -> None:
    assert schedule([look("v1", 0)], [look("v2", 10)], of=BROWSE) == []
    [pending] = schedule([look("v1", 0), look("v2", 10)], [look("v3", 20)], of=BROWSE)
    assert pending.cause == f"browse:p1:{at_ms(0)}"
    assert pending.due_ms == at_ms(20 + 60)
    assert pending.product_ids == ("p1",)
    assert pending.caused_by == ("v3",)


def test_a_fourth_view_keeps_the_cause_and_moves_the_due_time() -> None:
    history = [look("v1", 0), look("v2", 10), look("v3", 20)]
    [pending] = schedule(history, [look("v4", 40)], of=BROWSE)
    assert pending.cause == f"browse:p1:{at_ms(0)}"
    assert pending.due_ms == at_ms(100)


def test_views_spread_beyond_the_window_do_not_count() -> None:
    history = [look("v1", -25 * 60), look("v2", 0)]
    assert schedule(history, [look("v3", 10)], of=BROWSE) == []


def test_no_browse_abandonment_for_a_product_in_the_basket_or_bought() -> None:
    history = [look("v1", 0), look("v2", 10), add("a1", 15, "p1")]
    assert schedule(history, [look("v3", 20)], of=BROWSE) == []
    bought = ordered("o1", -500, "o-1", 5.0, [product("p1")], **AS_USER)
    assert schedule([bought, look("v1", 0), look("v2", 10)], [look("v3", 20)], of=BROWSE) == []


def test_three_views_in_one_batch_make_one_timer_per_product() -> None:
    views = [look("v1", 0), look("v2", 1), look("v3", 2), look("v4", 3)]
    [pending] = schedule([], views, of=BROWSE)
    assert pending.caused_by == ("v3", "v4")
    assert pending.due_ms == at_ms(63)
    assert pending.slot == "user:u-1|browse_abandonment|p1"


def test_pending_triggers_round_trip_through_json() -> None:
    for pending in schedule([look("v1", 0), look("v2", 1)], [look("v3", 2), add("a1", 3, "p2")]):
        assert PendingTrigger.from_json(pending.to_json()) == pending
    anonymous = schedule([], [added("a1", 0, "p1", **AS_VISITOR)], person=VISITOR)[0]
    assert PendingTrigger.from_json(anonymous.to_json().decode()) == anonymous


# --------------------------------------------------------------------------- on_due

BASKET_EVENTS = [add("a1", 0, "p1", price=10.0, quantity=2), add("a2", 5, "p2", price=5.0)]


def basket_timer() -> PendingTrigger:
    return schedule([], BASKET_EVENTS, of=BASKET)[0]


def due(pending: PendingTrigger, later: list[Event], history: list[Event] | None = None) -> object:
    context = fold_all([*(BASKET_EVENTS if history is None else history), *later])
    return on_due(pending, context, RULES, pending.due_ms)


def test_a_basket_still_there_when_due_is_a_candidate_with_the_pending_id() -> None:
    pending = basket_timer()
    result = due(pending, [])
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
    result = due(basket_timer(), [till])
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.PURCHASED
    assert f"at the till in {STORE}" in result.detail
    assert "o-till" in result.detail


def test_a_basket_bought_online_is_purchased_too() -> None:
    online = ordered("w1", 20, "o-web", 25.0, [product("p1"), product("p2")], **AS_USER)
    result = due(basket_timer(), [online])
    assert isinstance(result, Expired) and result.reason is SuppressionReason.PURCHASED
    assert "online (web)" in result.detail


def test_a_basket_emptied_by_removals_is_no_longer_valid() -> None:
    gone = [removed("r1", 10, "p1", **AS_USER), removed("r2", 11, "p2", **AS_USER)]
    result = due(basket_timer(), gone)
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID
    assert "removed" in result.detail


def test_a_partly_bought_basket_reminds_of_what_is_left() -> None:
    till = ordered("t1", 20, "o-till", 20.0, [product("p1")], store_id=STORE, **AS_USER)
    result = due(basket_timer(), [till])
    assert isinstance(result, Candidate)
    assert result.product_ids == ("p2",)
    assert result.value == 5.0


def test_a_timer_overtaken_by_a_later_add_gives_way() -> None:
    result = due(basket_timer(), [add("a3", 40, "p3")])
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID


def test_a_rule_disabled_since_scheduling_expires_the_timer() -> None:
    context = fold_all(BASKET_EVENTS)
    result = on_due(basket_timer(), context, offer_rules(disabled=(BASKET,)), at_ms(60))
    assert isinstance(result, Expired)


BROWSED = [look("v1", 0), look("v2", 10), look("v3", 20)]


def browse_timer() -> PendingTrigger:
    return schedule(BROWSED[:2], BROWSED[2:], of=BROWSE)[0]


def test_browse_still_abandoned_when_due_is_a_candidate() -> None:
    pending = browse_timer()
    result = due(pending, [], history=BROWSED)
    assert isinstance(result, Candidate)
    assert result.trigger_id == pending.trigger_id
    assert result.reason_code == "viewed_not_bought"
    assert "3 times" in result.reason_text
    assert result.value == 0.0


def test_browse_then_bought_is_purchased() -> None:
    till = ordered("t1", 50, "o-till", 20.0, [product("p1")], store_id=STORE, **AS_USER)
    result = due(browse_timer(), [till], history=BROWSED)
    assert isinstance(result, Expired) and result.reason is SuppressionReason.PURCHASED
    assert STORE in result.detail


def test_browse_then_added_is_no_longer_valid() -> None:
    result = due(browse_timer(), [add("a1", 50, "p1")], history=BROWSED)
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID
    assert "added to the basket" in result.detail
