"""Interests: recent products, recent searches and time-decayed category affinity."""

from __future__ import annotations

import math

import pytest

from models.context import Affinity, ContextLimits, CustomerContext, ViewedProduct, to_document
from models.context.interests import add_weight, decayed
from tests.unit.test_context_support import (
    DAY,
    added,
    at_ms,
    event,
    fold_all,
    ordered,
    product,
    searched,
    viewed,
)

HALF_LIFE = 14 * DAY


# --------------------------------------------------------------------------- recent products


def test_views_are_counted_per_product_most_recent_first() -> None:
    context = fold_all(
        [
            viewed("1", 0, "p1", category="shoes"),
            viewed("2", 5, "p2", category="bags"),
            viewed("3", 10, "p1", category="shoes"),
        ]
    )
    assert context.recent_products == (
        ViewedProduct("p1", "shoes", at_ms(10), 2),
        ViewedProduct("p2", "bags", at_ms(5), 1),
    )


def test_a_late_view_counts_but_does_not_move_last_viewed_back() -> None:
    context = fold_all([viewed("1", 10, "p1"), viewed("2", 3, "p1", category="shoes")])
    assert context.recent_products == (ViewedProduct("p1", "shoes", at_ms(10), 2),)


def test_a_view_without_category_keeps_the_known_one() -> None:
    context = fold_all([viewed("1", 0, "p1", category="shoes"), viewed("2", 1, "p1")])
    assert context.recent_products[0].category == "shoes"


def test_every_product_of_a_multi_product_view_is_recorded() -> None:
    props = {"products": [product("p1"), product("p2", category="bags")]}
    context = fold_all([event("1", "Product Viewed", 0, properties=props)])
    assert [v.product_id for v in context.recent_products] == ["p1", "p2"]


def test_recent_products_keep_the_newest_views_within_the_cap() -> None:
    limits = ContextLimits(recent_products=2)
    events = [viewed(str(i), minutes, f"p{i}") for i, minutes in enumerate([5, 1, 9, 3])]
    context = fold_all(events, limits=limits)
    assert [v.product_id for v in context.recent_products] == ["p2", "p0"]


# --------------------------------------------------------------------------- searches


def test_searches_are_deduplicated_case_insensitively_most_recent_first() -> None:
    context = fold_all(
        [
            searched("1", 0, "Red Shoes"),
            searched("2", 1, "bags"),
            searched("3", 2, "red shoes "),
            searched("4", -5, "RED SHOES"),  # late and older: not the latest spelling
        ]
    )
    assert [(s.query, s.searched_ms) for s in context.recent_searches] == [
        ("red shoes", at_ms(2)),
        ("bags", at_ms(1)),
    ]


def test_searches_are_capped() -> None:
    limits = ContextLimits(recent_searches=2)
    events = [searched(str(i), i, f"q{i}") for i in range(5)]
    context = fold_all(events, limits=limits)
    assert [s.query for s in context.recent_searches] == ["q4", "q3"]
    assert to_document(context, at_ms(10))["recent_searches"][0]["query"] == "q4"


# --------------------------------------------------------------------------- affinity


def test_affinity_weights_view_add_and_purchase() -> None:
    context = fold_all(
        [
            viewed("1", 0, "p1", category="shoes"),
            added("2", 0, "p1", category="shoes"),
            ordered("3", 0, "o1", 10, [product("p1", category="shoes")]),
            viewed("4", 0, "p2", category="bags"),
            viewed("5", 0, "p3"),  # no category: no affinity
        ]
    )
    assert context.category_affinity == {
        "shoes": Affinity(9.0, at_ms(0)),
        "bags": Affinity(1.0, at_ms(0)),
    }


def test_affinity_halves_every_half_life() -> None:
    context = fold_all([viewed("1", 0, "p1", category="shoes")])
    document = to_document(context, at_ms(0) + HALF_LIFE)
    assert document["category_affinity"] == {"shoes": 0.5}
    later = fold_all([viewed("2", 2 * 14 * 24 * 60, "p1", category="shoes")], context)
    assert later.category_affinity["shoes"].score == pytest.approx(1.25)


def test_affinity_is_the_same_whatever_the_arrival_order() -> None:
    times = [0, 3 * 24 * 60, 40 * 24 * 60, 1]
    events = [viewed(str(i), t, "p1", category="shoes") for i, t in enumerate(times)]
    forward = fold_all(events).category_affinity["shoes"]
    backward = fold_all(reversed(events)).category_affinity["shoes"]
    assert forward.as_of_ms == backward.as_of_ms == at_ms(40 * 24 * 60)
    assert math.isclose(forward.score, backward.score, rel_tol=1e-12)
    expected = sum(0.5 ** ((max(times) - t) / (14 * 24 * 60)) for t in times)
    assert math.isclose(forward.score, expected, rel_tol=1e-12)


def test_a_late_weight_is_decayed_to_the_current_as_of() -> None:
    current = Affinity(2.0, 10 * DAY)
    late = add_weight(current, 4.0, 10 * DAY - HALF_LIFE, HALF_LIFE)
    assert late == Affinity(4.0, 10 * DAY)


def test_decay_never_grows_a_score_for_an_earlier_time() -> None:
    assert decayed(Affinity(3.0, 100), 50, HALF_LIFE) == 3.0


def test_affinity_keeps_the_strongest_categories_within_the_cap() -> None:
    limits = ContextLimits(categories=2)
    events = [
        added("1", 0, "p1", category="shoes"),
        viewed("2", 0, "p2", category="bags"),
        viewed("3", 0, "p3", category="hats"),
        viewed("4", 1, "p3", category="hats"),
    ]
    context = fold_all(events, limits=limits)
    assert set(context.category_affinity) == {"shoes", "hats"}


def test_document_rounds_decayed_scores_to_four_decimals() -> None:
    context = fold_all([viewed("1", 0, "p1", category="shoes")])
    score = to_document(context, at_ms(0) + DAY)["category_affinity"]["shoes"]
    assert score == round(0.5 ** (1 / 14), 4)
    assert to_document(CustomerContext(), 0)["category_affinity"] == {}
