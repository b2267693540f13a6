"""Per-view timestamps on recent products: what windowed view counts read."""

from __future__ import annotations

import random

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.context import CustomerContext, ViewedProduct, fold_new_events, merge
from models.context.parts import VIEW_TIMES
from tests.unit.test_context_support import at_ms, fold_all, viewed

VISITOR = {"user_id": None, "anonymous_id": "anon-9"}
USER = {"user_id": "u-1", "anonymous_id": None}


def test_each_view_records_its_time_newest_first() -> None:
    context = fold_all([viewed("1", 0, "p1"), viewed("2", 10, "p1"), viewed("3", 5, "p1")])
    assert context.recent_products[0].view_times_ms == (at_ms(10), at_ms(5), at_ms(0))


def test_view_times_keep_the_ten_latest_whatever_the_arrival_order() -> None:
    minutes = list(range(15))
    random.Random(4).shuffle(minutes)
    context = fold_all([viewed(str(m), m, "p1") for m in minutes])
    view = context.recent_products[0]
    assert view.views == 15
    assert view.view_times_ms == tuple(at_ms(m) for m in range(14, 4, -1))
    assert len(view.view_times_ms) == VIEW_TIMES


def test_two_views_in_the_same_millisecond_are_two_times() -> None:
    context = fold_all([viewed("1", 0, "p1"), viewed("2", 0, "p1")])
    assert context.recent_products[0].view_times_ms == (at_ms(0), at_ms(0))


def test_merge_keeps_the_latest_times_of_both_sides() -> None:
    customer = fold_all([viewed("1", 0, "p1", **USER), viewed("2", 20, "p1", **USER)])
    visitor = fold_all([viewed("3", 10, "p1", **VISITOR), viewed("4", 30, "p1", **VISITOR)])
    merged = merge(customer, visitor, "anon-9")
    assert merged.recent_products[0].views == 4
    assert merged.recent_products[0].view_times_ms == tuple(at_ms(m) for m in (30, 20, 10, 0))


def test_times_round_trip_through_json() -> None:
    context = fold_all([viewed("1", 0, "p1"), viewed("2", 1, "p1")])
    loaded = CustomerContext.from_json(context.to_json())
    assert loaded.recent_products[0].view_times_ms == (at_ms(1), at_ms(0))
    assert loaded.to_json() == context.to_json()


@pytest.mark.parametrize("schema", [2, 3])
def test_a_context_stored_before_view_times_loads_with_none(schema: int) -> None:
    stored = orjson.loads(fold_all([viewed("1", 0, "p1")]).to_json())
    # Schema 2 stored pieces as objects, schema 3 as arrays; either without the times.
    old = {"product_id": "p1", "category": None, "last_viewed_ms": at_ms(0), "views": 1}
    stored["recent_products"] = [old if schema == 2 else list(old.values())]
    loaded = CustomerContext.from_json(orjson.dumps(stored))
    assert loaded.recent_products == (ViewedProduct("p1", None, at_ms(0), 1),)
    assert loaded.recent_products[0].view_times_ms == ()
    # A new view after the upgrade starts the record of times.
    again = fold_all([viewed("2", 5, "p1")], loaded)
    assert again.recent_products[0].view_times_ms == (at_ms(5),)
    assert again.recent_products[0].views == 2


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-60, 60)), max_size=30), st.randoms())
def test_view_times_do_not_depend_on_arrival_order(
    views: list[tuple[int, int]], rnd: random.Random
) -> None:
    events = [viewed(f"m{i}", minute, f"p{p}") for i, (p, minute) in enumerate(views)]
    shuffled = list(events)
    rnd.shuffle(shuffled)
    one = fold_all(events)
    other = fold_all(shuffled)
    assert one.to_json() == other.to_json()
    for view in one.recent_products:
        assert list(view.view_times_ms) == sorted(view.view_times_ms, reverse=True)
        mine = sorted((at_ms(m) for p, m in views if f"p{p}" == view.product_id), reverse=True)
        assert list(view.view_times_ms) == mine[:VIEW_TIMES]
    assert fold_new_events(CustomerContext(), shuffled, set()).context.to_json() == one.to_json()
