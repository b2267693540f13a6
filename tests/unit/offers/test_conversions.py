"""The conversion fold: the first order after a measured decision, within its window, once."""

from __future__ import annotations

from models.identity import Identity
from models.offers.conversions import (
    MeasuredDecision,
    PlacedOrder,
    context_orders,
    conversions,
    expired,
    placed_orders,
)
from models.offers.decision import Signals
from models.offers.holdout import Group, Holdout
from models.offers.rules import TriggerType
from tests.unit.offers.support import AS_USER, STORE, decide, plain_candidate
from tests.unit.test_context_support import DAY, at_ms, fold_all, ordered, product

WEEK = Holdout(basis_points=1_000, conversion_window_ms=7 * DAY)
PERSON = Identity.user("loyalty-1")


def decision(
    minutes: float, cause: str = "basket:1", group: Group = Group.SENT
) -> MeasuredDecision:
    candidate = plain_candidate(TriggerType.ABANDONED_BASKET, PERSON, cause, at_ms(minutes))
    return MeasuredDecision.of(candidate, group, WEEK)


def order(minutes: float, order_id: str = "o-1", total: float = 50.0) -> PlacedOrder:
    return PlacedOrder(order_id, at_ms(minutes), total)


def test_an_order_after_the_decision_within_the_window_converts_it() -> None:
    sent, held = decision(0), decision(0, cause="basket:2", group=Group.HOLDOUT)
    [first, second] = conversions([sent, held], set(), [order(60)])
    assert (first.decision, first.order) == (sent, order(60))
    assert second.decision.group is Group.HOLDOUT


def test_the_first_order_converts_not_a_later_one() -> None:
    [conversion] = conversions([decision(0)], set(), [order(60, "o-1"), order(120, "o-2")])
    assert conversion.order.order_id == "o-1"


def test_a_decision_converts_once() -> None:
    sent = decision(0)
    assert conversions([sent], {sent.trigger_id}, [order(60, "o-2")]) == []


def test_orders_before_at_or_after_the_window_do_not_convert() -> None:
    week = 7 * 24 * 60
    for minutes in (-1, 0, week + 1):
        assert conversions([decision(0)], set(), [order(minutes)]) == [], minutes
    assert conversions([decision(0)], set(), [order(week)]) != []  # the window's last moment


def test_the_order_that_caused_a_cross_sell_never_converts_it() -> None:
    purchase = ordered("m1", 0, "o-9", 80.0, [product("p1", category="shoes")], **AS_USER)
    [candidate] = decide([], [purchase], signals=Signals(), of=TriggerType.CROSS_SELL)
    cross = MeasuredDecision.of(candidate, Group.SENT, WEEK)
    till_copy = order(1, "o-9")  # the same sale again, a minute later, from the till
    assert conversions([cross], set(), [till_copy]) == []
    [conversion] = conversions([cross], set(), [till_copy, order(2, "o-10")])
    assert conversion.order.order_id == "o-10"


def test_a_decision_keeps_no_input_and_reads_back_as_written() -> None:
    sent = decision(0, cause="basket:|forged|holdout")
    stored = sent.encode()
    assert "forged" not in stored
    assert MeasuredDecision.decode(sent.trigger_id, stored) == sent


def test_orders_are_read_from_every_channel_earliest_first_once_each() -> None:
    events = [
        ordered("m3", 30, "o-2", 20.0, store_id=STORE, **AS_USER),
        ordered("m1", 10, "o-1", 50.0, **AS_USER),
        ordered("m1", 10, "o-1", 50.0, **AS_USER),  # redelivered
    ]
    assert placed_orders(events) == [order(10, "o-1", 50.0), order(30, "o-2", 20.0)]


def test_closed_windows_expire() -> None:
    early, late = decision(0), decision(3 * 24 * 60, cause="basket:2")
    assert expired([early, late], at_ms(8 * 24 * 60)) == [early.trigger_id]


def test_an_order_the_context_already_holds_converts_the_decision_when_recorded() -> None:
    # A timer fires a moment after an order on another topic was folded: the context the
    # decision is taken on holds that order, which converts it as it is recorded.
    context = fold_all(
        [
            ordered("m1", -60, "o-0", 10.0, **AS_USER),
            ordered("m2", 5, "o-1", 25.0, store_id=STORE, **AS_USER),
        ]
    )
    assert context_orders(context) == [order(-60, "o-0", 10.0), order(5, "o-1", 25.0)]
    [conversion] = conversions([decision(0)], (), context_orders(context))
    assert conversion.order == order(5, "o-1", 25.0)
