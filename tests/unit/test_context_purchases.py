"""Purchases in every channel, the preferred store, lifecycle stage and RFM."""

from __future__ import annotations

import pytest

from models.context import (
    ContextLimits,
    CustomerContext,
    LifecycleThresholds,
    OrderRecord,
    PurchasedProduct,
    StoreVisits,
    lifecycle_stage,
    preferred_store,
    rfm,
    to_document,
)
from tests.unit.test_context_support import (
    DAY,
    at_ms,
    event,
    fold_all,
    iso,
    ordered,
    product,
)

U = {"user_id": "u-1", "anonymous_id": None}


def test_orders_from_every_channel_are_counted_and_summed() -> None:
    context = fold_all(
        [
            ordered("1", 0, "o1", 19.99, [product("p1", category="shoes")], **U),
            ordered("2", 10, "o2", 5.01, channel="mobile", **U),
            ordered("3", 5, "o3", 100, [product("p2")], store_id="s1", **U),
        ]
    )
    assert (context.orders_count, context.total_spent_cents) == (3, 12500)
    assert context.total_spent == 125.0
    assert context.avg_order_value == 41.67
    assert (context.online_orders, context.store_orders) == (2, 1)
    assert (context.first_order_ms, context.last_order_ms) == (at_ms(0), at_ms(10))
    assert context.last_order_channel == "mobile"
    assert context.recent_orders[0] == OrderRecord("o2", 501, at_ms(10), "mobile", None, ())
    assert [r.order_id for r in context.recent_orders] == ["o2", "o3", "o1"]
    assert context.recent_purchases == (
        PurchasedProduct("p2", None, at_ms(5)),
        PurchasedProduct("p1", "shoes", at_ms(0)),
    )


def test_an_order_counts_once_per_order_id_even_under_two_message_ids() -> None:
    first = ordered("m-1", 0, "o1", 30, [product("p1")], **U)
    resent = ordered("m-2", 0, "o1", 30, [product("p1")], **U)
    context = fold_all([first, resent])
    assert (context.orders_count, context.total_spent, context.online_orders) == (1, 30.0, 1)
    assert context.events_by_type["Order Completed"] == 2  # both messages are activity


def test_an_order_past_the_dedupe_window_counts_again_if_resent() -> None:
    # Documented limit: only the newest ``recent_orders`` orders are remembered.
    limits = ContextLimits(recent_orders=2)
    events = [ordered(f"m-{i}", i, f"o{i}", 10, **U) for i in range(3)]
    resent = ordered("m-again", 0, "o0", 10, **U)
    context = fold_all([*events, resent], limits=limits)
    assert context.orders_count == 4
    assert len(context.recent_orders) == 2


def test_a_late_order_does_not_move_the_last_order_back() -> None:
    context = fold_all(
        [ordered("1", 10, "o1", 1, **U), ordered("2", 0, "o2", 1, store_id="s1", **U)]
    )
    assert (context.last_order_ms, context.last_order_channel) == (at_ms(10), "web")
    assert context.first_order_ms == at_ms(0)


def test_recent_purchases_are_capped_most_recent_first() -> None:
    limits = ContextLimits(recent_purchases=2)
    events = [ordered(str(i), i, f"o{i}", 1, [product(f"p{i}")], **U) for i in range(4)]
    context = fold_all(events, limits=limits)
    assert [p.product_id for p in context.recent_purchases] == ["p3", "p2"]


# --------------------------------------------------------------------------- stores


def test_till_purchases_are_counted_per_store() -> None:
    context = fold_all(
        [
            ordered("1", 0, "o1", 10, store_id="s1", **U),
            ordered("2", 5, "o2", 10, store_id="s1", **U),
            ordered("3", 3, "o3", 10, store_id="s2", **U),
            ordered("4", 9, "o4", 10, store_id="s3", channel="web", **U),  # click and collect
        ]
    )
    assert context.purchases_by_store == {
        "s1": StoreVisits(2, at_ms(5)),
        "s2": StoreVisits(1, at_ms(3)),
    }
    assert preferred_store(context) == "s1"
    assert to_document(context, at_ms(10))["purchases_by_store"] == {
        "s1": {"orders": 2, "last_order_at": iso(at_ms(5))},
        "s2": {"orders": 1, "last_order_at": iso(at_ms(3))},
    }


def test_preferred_store_ties_go_to_the_most_recent_and_counts_win() -> None:
    context = fold_all([ordered("1", 0, "o1", 10, store_id="s1", **U)])
    assert preferred_store(context) == "s1"
    context = fold_all([ordered("2", 60, "o2", 12, store_id="s2", **U)], context)
    assert preferred_store(context) == "s2"  # one each: the latest wins
    context = fold_all([ordered("3", 30, "o3", 8, store_id="s1", **U)], context)
    assert preferred_store(context) == "s1"  # two against one, even if older


def test_no_preferred_store_without_till_purchases() -> None:
    assert preferred_store(CustomerContext()) is None
    assert preferred_store(fold_all([ordered("1", 0, "o1", 10, **U)])) is None


def test_stores_are_capped_keeping_the_most_visited() -> None:
    limits = ContextLimits(stores=2)
    events = [ordered(str(i), i, f"o{i}", 1, store_id=s, **U) for i, s in enumerate("abacd")]
    context = fold_all(events, limits=limits)
    assert set(context.purchases_by_store) == {"a", "d"}
    assert preferred_store(context) == "a"


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_without_orders() -> None:
    assert lifecycle_stage(CustomerContext(), 0) == "anonymous"
    anonymous = fold_all([event("1", None, call="page")])
    assert lifecycle_stage(anonymous, at_ms(1)) == "anonymous"
    known = fold_all([event("1", None, call="page", user_id="u-1")])
    assert lifecycle_stage(known, at_ms(1)) == "identified"


@pytest.mark.parametrize(
    ("orders", "stage"),
    [(1, "new_customer"), (2, "repeat_customer"), (4, "repeat_customer"), (5, "loyal")],
)
def test_lifecycle_by_order_count(orders: int, stage: str) -> None:
    context = fold_all(ordered(str(i), i, f"o{i}", 10, **U) for i in range(orders))
    assert lifecycle_stage(context, at_ms(60)) == stage


def test_a_customer_ages_into_at_risk_then_lapsed_with_no_event() -> None:
    context = fold_all(ordered(str(i), i, f"o{i}", 10, **U) for i in range(5))
    last = context.last_order_ms
    assert last is not None
    assert lifecycle_stage(context, last + DAY) == "loyal"
    assert lifecycle_stage(context, last + 60 * DAY) == "loyal"  # not older than 60 days yet
    assert lifecycle_stage(context, last + 60 * DAY + 1) == "at_risk"
    assert lifecycle_stage(context, last + 90 * DAY) == "at_risk"
    assert lifecycle_stage(context, last + 90 * DAY + 1) == "lapsed"
    assert to_document(context, last + 120 * DAY)["lifecycle_stage"] == "lapsed"
    # A new order brings them back.
    back = fold_all([ordered("again", 120 * 24 * 60, "o-new", 10, **U)], context)
    assert lifecycle_stage(back, at_ms(120 * 24 * 60 + 1)) == "loyal"


def test_lifecycle_thresholds_are_configurable() -> None:
    context = fold_all(ordered(str(i), i, f"o{i}", 10, **U) for i in range(2))
    thresholds = LifecycleThresholds(loyal_orders=2, at_risk_days=1, lapsed_days=2)
    assert lifecycle_stage(context, at_ms(2), thresholds) == "loyal"
    assert lifecycle_stage(context, at_ms(1) + DAY + 1, thresholds) == "at_risk"
    assert lifecycle_stage(context, at_ms(1) + 2 * DAY + 1, thresholds) == "lapsed"


def test_rfm() -> None:
    assert rfm(CustomerContext(), 0) == {"recency_days": None, "frequency": 0, "monetary": 0.0}
    context = fold_all([ordered("1", 0, "o1", 10.5, **U), ordered("2", 0, "o2", 4.25, **U)])
    assert rfm(context, at_ms(0) + 3 * DAY + DAY // 2) == {
        "recency_days": 3.5,
        "frequency": 2,
        "monetary": 14.75,
    }
