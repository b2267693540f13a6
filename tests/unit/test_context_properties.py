"""Properties of the pure fold and merge, over random omnichannel event lists."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.context import (
    ContextLimits,
    CustomerContext,
    fold_new_events,
    merge,
    preferred_store,
)
from tests.unit.test_context_support import event_lists, fold_all, identify, order_specs

CUSTOMER = {"user_id": "u-1", "anonymous_id": None}
VISITOR = {"anonymous_id": "a-1"}
SMALL = ContextLimits(
    recent_products=2,
    recent_searches=2,
    recent_orders=3,
    recent_purchases=2,
    categories=2,
    anonymous_ids=2,
    basket_items=2,
    stores=2,
)


def same_affinity(a: CustomerContext, b: CustomerContext) -> bool:
    if set(a.category_affinity) != set(b.category_affinity):
        return False
    for category, mine in a.category_affinity.items():
        theirs = b.category_affinity[category]
        if mine.as_of_ms != theirs.as_of_ms:
            return False
        if not math.isclose(mine.score, theirs.score, rel_tol=1e-9):
            return False
    return True


def assert_same_facts(a: CustomerContext, b: CustomerContext) -> None:
    """The fields that must not depend on arrival order or on how contexts were split."""
    assert (a.orders_count, a.total_spent_cents) == (b.orders_count, b.total_spent_cents)
    assert (a.online_orders, a.store_orders) == (b.online_orders, b.store_orders)
    assert (a.first_order_ms, a.last_order_ms, a.last_order_channel) == (
        b.first_order_ms,
        b.last_order_ms,
        b.last_order_channel,
    )
    assert (a.events_total, a.events_by_type, a.events_by_channel) == (
        b.events_total,
        b.events_by_type,
        b.events_by_channel,
    )
    assert (a.first_seen_ms, a.last_seen_ms, a.last_channel) == (
        b.first_seen_ms,
        b.last_seen_ms,
        b.last_channel,
    )
    assert a.consent == b.consent
    assert a.purchases_by_store == b.purchases_by_store
    assert preferred_store(a) == preferred_store(b)
    assert a.recent_products == b.recent_products
    assert a.recent_searches == b.recent_searches
    assert a.recent_purchases == b.recent_purchases
    assert {r.order_id for r in a.recent_orders} == {r.order_id for r in b.recent_orders}
    assert same_affinity(a, b)


@st.composite
def split_people(draw: st.DrawFn, *, shared_orders: bool) -> tuple[list[Any], list[Any]]:
    """Events of one customer and of one visitor; orders disjoint unless ``shared_orders``."""
    customer_orders = draw(order_specs(prefix="o"))
    visitor_orders = customer_orders if shared_orders else draw(order_specs(prefix="v"))
    customer = draw(event_lists(customer_orders, who=CUSTOMER, start=0))
    visitor = draw(event_lists(visitor_orders, who=VISITOR, start=1000))
    return customer, visitor


@given(split_people(shared_orders=False))
def test_merge_conserves_orders_and_money_with_disjoint_orders(
    people: tuple[list[Any], list[Any]],
) -> None:
    customer, visitor = people
    merged = merge(fold_all(customer), fold_all(visitor), "a-1")
    whole = fold_all([*customer, *visitor])
    assert_same_facts(merged, whole)
    assert merged.total_spent_cents == (
        fold_all(customer).total_spent_cents + fold_all(visitor).total_spent_cents
    )


@given(split_people(shared_orders=True))
def test_an_order_seen_by_both_contexts_counts_once_after_merge(
    people: tuple[list[Any], list[Any]],
) -> None:
    customer, visitor = people
    merged = merge(fold_all(customer), fold_all(visitor), "a-1")
    whole = fold_all([*customer, *visitor])
    assert_same_facts(merged, whole)
    order_ids = {e.order.order_id for e in [*customer, *visitor] if e.order is not None}
    assert merged.orders_count == len(order_ids)


@given(
    event_lists(who=CUSTOMER, start=0),
    event_lists(who=VISITOR, start=1000),
    event_lists(who={"anonymous_id": "a-2"}, start=2000),
    st.lists(st.sampled_from(["a-1", "a-2", "a-3", "a-4", "a-5"]), max_size=6),
    event_lists(who=CUSTOMER, start=3000),
)
@settings(max_examples=60)
def test_caps_hold_after_any_events_and_merges(
    first: list[Any],
    visitor: list[Any],
    other_visitor: list[Any],
    linked: list[str],
    later: list[Any],
) -> None:
    context = fold_all(first, limits=SMALL)
    assert_within(context, SMALL)
    context = merge(context, fold_all(visitor, limits=SMALL), "a-1", SMALL)
    assert_within(context, SMALL)
    context = merge(context, fold_all(other_visitor, limits=SMALL), "a-2", SMALL)
    identifies = [identify(f"i-{i}", i, "u-1", anon) for i, anon in enumerate(linked)]
    context = fold_all([*identifies, *later], context, limits=SMALL)
    assert_within(context, SMALL)
    assert_within(fold_all([*first, *visitor, *later], limits=SMALL), SMALL)


def assert_within(context: CustomerContext, limits: ContextLimits) -> None:
    assert len(context.recent_products) <= limits.recent_products
    assert len(context.recent_searches) <= limits.recent_searches
    assert len(context.recent_orders) <= limits.recent_orders
    assert len(context.recent_purchases) <= limits.recent_purchases
    assert len(context.category_affinity) <= limits.categories
    assert len(context.anonymous_ids) <= limits.anonymous_ids
    assert len(context.merged_anonymous_ids) <= limits.anonymous_ids
    assert len(context.basket.items) <= limits.basket_items
    assert len(context.purchases_by_store) <= limits.stores
    assert len(context.consent) <= 4
    assert len(context.events_by_channel) <= 3
    assert all(count > 0 for count in context.events_by_type.values())
    assert all(visits.orders > 0 for visits in context.purchases_by_store.values())
    assert all(item.quantity > 0 for item in context.basket.items)


@given(event_lists(), st.lists(st.integers(0, 24), max_size=6))
def test_fold_new_events_is_idempotent(events: list[Any], repeats: list[int]) -> None:
    events += [events[i] for i in repeats if i < len(events)]  # redeliveries in one batch
    first = fold_new_events(CustomerContext(), events, set())
    seen = {e.message_id for e in first.applied}
    second = fold_new_events(first.context, events, seen)
    assert second.context == first.context
    assert second.applied == ()
    assert second.duplicates == len(events)
    assert CustomerContext.from_json(first.context.to_json()) == first.context


@given(split_people(shared_orders=True))
def test_merge_twice_is_merge_once(people: tuple[list[Any], list[Any]]) -> None:
    customer, visitor = fold_all(people[0]), fold_all(people[1])
    once = merge(customer, visitor, "a-1")
    assert merge(once, visitor, "a-1") == once
    assert CustomerContext.from_json(once.to_json()) == once


@given(event_lists(), st.data())
def test_order_independent_fields_do_not_depend_on_arrival_order(
    events: list[Any], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))
    assert_same_facts(fold_all(events), fold_all(shuffled))
    # fold_new_events sorts by event time, so the whole context is the same.
    assert (
        fold_new_events(CustomerContext(), events, set()).context.to_json()
        == fold_new_events(CustomerContext(), list(shuffled), set()).context.to_json()
    )


@given(event_lists(), event_lists(), split_people(shared_orders=True))
def test_folding_and_merging_never_change_their_inputs(
    first: list[Any], later: list[Any], people: tuple[list[Any], list[Any]]
) -> None:
    """The worker hands one decoded context to every reader (streams/redis/context_cache):
    that is only sound while the fold and the merge build new contexts."""
    context = fold_all(first)
    before = context.to_json()
    fold_new_events(context, later, set())
    customer, visitor = fold_all(people[0]), fold_all(people[1])
    customer_before, visitor_before = customer.to_json(), visitor.to_json()
    merge(customer, visitor, "a-1")
    assert context.to_json() == before
    assert (customer.to_json(), visitor.to_json()) == (customer_before, visitor_before)
