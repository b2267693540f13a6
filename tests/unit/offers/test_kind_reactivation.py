"""Reactivation: a lapsed customer showing up again, from events and now."""

from __future__ import annotations

from models.offers.decision import Signals
from models.offers.decisions import immediate_candidates
from models.offers.rules import TriggerType
from tests.unit.offers.support import (
    AS_USER,
    LAST_ORDER,
    RULES,
    STORE,
    USER,
    best,
    consenting,
    decide,
    lapsed_customer,
    look,
    offer_rules,
    only,
    trigger_rule,
)
from tests.unit.test_context_support import DAY, at_ms, event, fold_all, ordered, product

REACT = TriggerType.REACTIVATION


# ---------------------------------------------------------------- from events


def test_a_lapsed_customer_coming_back_is_reactivation() -> None:
    page = event("pg", None, 0, call="page", **AS_USER)
    [candidate] = decide(lapsed_customer(), [page], of=REACT)
    assert candidate.cause == f"lapse:{at_ms(LAST_ORDER)}"
    assert candidate.value == 50.0  # average order value
    assert candidate.reason_code == "lapsed_customer_returned"
    assert "100 days" in candidate.reason_text and STORE in candidate.reason_text


def test_one_lapse_period_is_one_trigger_id() -> None:
    first = decide(lapsed_customer(), [look("v1", 0)], of=REACT)
    later = decide([*lapsed_customer(), look("v1", 0)], [look("v2", 60)], of=REACT)
    assert first[0].trigger_id == later[0].trigger_id


def test_a_recent_customer_is_not_reactivated() -> None:
    assert decide(lapsed_customer(-30 * 24 * 60), [look("v1", 0)], of=REACT) == []


def test_exactly_the_lapse_is_not_yet_lapsed() -> None:
    lapse = trigger_rule(REACT, lapse_ms=100 * DAY)
    rules = offer_rules(reactivation=lapse)
    assert decide(lapsed_customer(), [look("v1", 0)], rules=rules, of=REACT) == []


def test_someone_who_never_ordered_is_not_reactivated() -> None:
    assert decide([], [look("v1", 0)], of=REACT) == []


def test_the_order_that_ends_a_lapse_is_not_itself_a_reason() -> None:
    order = ordered("o9", 0, "o-9", 20.0, [product("p1")], **AS_USER)
    assert decide(lapsed_customer(), [order], of=REACT) == []


def test_a_visit_before_an_order_in_the_same_batch_uses_the_previous_order() -> None:
    order = ordered("o9", 10, "o-9", 20.0, [product("p1")], **AS_USER)
    [candidate] = decide(lapsed_customer(), [look("v1", 0), order], of=REACT)
    assert candidate.cause == f"lapse:{at_ms(LAST_ORDER)}"
    assert candidate.caused_by == ("v1",)


# ------------------------------------------------------------- best offer now


def test_a_lapsed_customer_is_a_reactivation_offer() -> None:
    old = ordered("o1", -100 * 24 * 60, "o-1", 30.0, [product("p9")], **AS_USER)
    context = consenting([old])
    offer = best(context, now_ms=at_ms(0))
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is REACT
    assert candidate.cause == f"lapse:{at_ms(-100 * 24 * 60)}"
    assert candidate.value == 30.0
    assert candidate.reason_code == "lapsed_customer_returned"
    assert "100 days without an order" in candidate.reason_text
    visit = look("v1", 0, "p9")
    engine = immediate_candidates(fold_all([visit], context), [visit], USER, RULES, Signals())
    assert [c.trigger_id for c in engine if c.type is REACT] == [candidate.trigger_id]


def test_a_recent_order_is_no_lapse() -> None:
    recent = ordered("o1", -30 * 24 * 60, "o-1", 30.0, [product("p9")], **AS_USER)
    assert only(best(consenting([recent])), REACT) == []
