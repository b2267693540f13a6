"""Browse abandonment: the timer repeated views arm, its decision at the deadline, and now."""

from __future__ import annotations

from models.events import Event
from models.offers.decision import Candidate, Expired, PendingTrigger
from models.offers.decisions import pending_triggers, timer_slot
from models.offers.rules import SuppressionReason, TriggerType
from tests.unit.offers.support import (
    AS_USER,
    RULES,
    STORE,
    USER,
    add,
    best,
    consenting,
    due,
    look,
    only,
    schedule,
)
from tests.unit.test_context_support import DAY, at_ms, ordered, product

BROWSE = TriggerType.BROWSE_ABANDONMENT


# ------------------------------------------------------------------ the timer


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
    assert timer_slot(pending) == "user:u-1|browse_abandonment|p1"


# ------------------------------------------------------------ at the deadline


BROWSED = [look("v1", 0), look("v2", 10), look("v3", 20)]


def browse_timer() -> PendingTrigger:
    return schedule(BROWSED[:2], BROWSED[2:], of=BROWSE)[0]


def test_browse_still_abandoned_when_due_is_a_candidate() -> None:
    pending = browse_timer()
    result = due(pending, BROWSED)
    assert isinstance(result, Candidate)
    assert result.trigger_id == pending.trigger_id
    assert result.reason_code == "viewed_not_bought"
    assert "3 times" in result.reason_text
    assert result.value == 0.0


def test_browse_then_bought_is_purchased() -> None:
    till = ordered("t1", 50, "o-till", 20.0, [product("p1")], store_id=STORE, **AS_USER)
    result = due(browse_timer(), BROWSED, [till])
    assert isinstance(result, Expired) and result.reason is SuppressionReason.PURCHASED
    assert STORE in result.detail


def test_browse_then_added_is_no_longer_valid() -> None:
    result = due(browse_timer(), BROWSED, [add("a1", 50, "p1")])
    assert isinstance(result, Expired)
    assert result.reason is SuppressionReason.NO_LONGER_VALID
    assert "added to the basket" in result.detail


# ------------------------------------------------------------- best offer now


def browsed(pid: str = "p2", start: float = 0) -> list[Event]:
    return [look(f"v-{pid}-{i}", start + i, pid) for i in range(3)]


def test_browsing_enough_within_the_window_is_an_offer() -> None:
    views = browsed("p2")
    context = consenting(views)
    offer = best(context)
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is BROWSE
    assert candidate.product_ids == ("p2",)
    assert candidate.reason_code == "viewed_not_bought"
    assert "Viewed p2 3 times within 24 h" in candidate.reason_text
    scheduled = pending_triggers(context, views[-1:], USER, RULES)
    assert [p.trigger_id for p in scheduled if p.type is BROWSE] == [candidate.trigger_id]


def test_browsing_too_little_too_long_ago_or_then_buying_is_no_offer() -> None:
    assert only(best(consenting(browsed()[:2])), BROWSE) == []
    assert only(best(consenting(browsed()), now_ms=at_ms(2) + DAY), BROWSE) == []
    in_basket = consenting([*browsed(), add("a1", 5, "p2", price=10.0)])
    assert only(best(in_basket), BROWSE) == []
    bought = [*browsed(), ordered("o1", 5, "o-1", 10.0, [product("p2")], **AS_USER)]
    assert only(best(consenting(bought)), BROWSE) == []


def test_views_after_now_do_not_count() -> None:
    assert only(best(consenting(browsed(start=20))), BROWSE) == []
