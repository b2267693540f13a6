"""The basket, and its settlement by orders in any channel, the till included."""

from __future__ import annotations

from models.context import Basket, BasketItem, ContextLimits, to_document
from tests.unit.test_context_support import (
    added,
    at_ms,
    event,
    fold_all,
    iso,
    ordered,
    product,
    removed,
)


def items(basket: Basket) -> dict[str, int]:
    return {item.product_id: item.quantity for item in basket.items}


def test_adds_accumulate_quantity_and_keep_the_price() -> None:
    context = fold_all(
        [
            added("1", 0, "p1", price=10.0),
            added("2", 1, "p1", quantity=2),  # no price: the known one stays
            added("3", 2, "p2", price=4.99, quantity=3, channel="mobile"),
        ]
    )
    assert context.basket.items == (
        BasketItem("p2", 3, 4.99, at_ms(2), "mobile"),
        BasketItem("p1", 3, 10.0, at_ms(1), "web"),
    )
    assert context.basket.value == 44.97
    assert context.basket.updated_ms == at_ms(2)
    assert context.basket.channel == "mobile"


def test_a_later_price_replaces_the_earlier_one() -> None:
    context = fold_all([added("1", 0, "p1", price=10.0), added("2", 1, "p1", price=8.0)])
    assert context.basket.items[0].price == 8.0
    assert context.basket.value == 16.0


def test_remove_drops_the_product_or_reduces_a_given_quantity() -> None:
    base = [added("1", 0, "p1", quantity=3, price=2.0), added("2", 0, "p2", price=1.0)]
    assert items(fold_all([*base, removed("3", 1, "p1", quantity=2)]).basket) == {
        "p1": 1,
        "p2": 1,
    }
    assert items(fold_all([*base, removed("3", 1, "p1")]).basket) == {"p2": 1}
    assert items(fold_all([*base, removed("3", 1, "p1", quantity=5)]).basket) == {"p2": 1}
    reduced = fold_all([*base, removed("3", 1, "p1", quantity=2)])
    assert reduced.basket.value == 3.0
    assert reduced.basket.updated_ms == at_ms(1)


def test_remove_reads_the_quantity_of_each_listed_product() -> None:
    base = [added("1", 0, "p1", quantity=3), added("2", 0, "p2", quantity=3)]
    props = {"products": [product("p1", quantity=1), product("p2")]}
    context = fold_all([*base, event("3", "Product Removed", 1, properties=props)])
    assert items(context.basket) == {"p1": 2}


def test_a_stale_removal_does_not_remove_a_later_add() -> None:
    context = fold_all([added("1", 5, "p1"), removed("2", 3, "p1")])
    assert items(context.basket) == {"p1": 1}


def test_removing_an_unknown_product_changes_nothing() -> None:
    before = fold_all([added("1", 0, "p1")])
    assert fold_all([removed("2", 1, "p9")], before).basket == before.basket


def test_the_till_order_empties_the_online_basket() -> None:
    context = fold_all(
        [
            added("1", 0, "p1", price=20.0, user_id="u-1"),
            added("2", 1, "p2", price=5.0, user_id="u-1"),
            ordered(
                "3",
                60,
                "till-1",
                25.0,
                [product("p1"), product("p2")],
                store_id="s1",
                user_id="u-1",
                anonymous_id=None,
            ),
        ]
    )
    assert context.basket.items == ()
    assert context.basket.value == 0.0
    assert context.basket.updated_ms == at_ms(60)
    assert context.store_orders == 1
    assert to_document(context, at_ms(61))["basket"] == {
        "items": [],
        "value": 0.0,
        "updated_at": iso(at_ms(60)),
        "channel": None,
    }


def test_an_order_removes_only_the_products_it_lists() -> None:
    context = fold_all(
        [
            added("1", 0, "p1"),
            added("2", 0, "p2"),
            ordered("3", 5, "o1", 10, [product("p1")], channel="mobile"),
        ]
    )
    assert items(context.basket) == {"p2": 1}


def test_an_order_listing_no_products_empties_the_basket() -> None:
    context = fold_all([added("1", 0, "p1"), added("2", 0, "p2"), ordered("3", 5, "o1", 10)])
    assert context.basket.items == ()


def test_an_add_after_the_order_survives_it_whatever_the_arrival_order() -> None:
    events = [
        added("1", 0, "p1"),
        ordered("2", 5, "o1", 10, [product("p1")], store_id="s1"),
        added("3", 10, "p2"),
    ]
    for arrival in (events, list(reversed(events)), [events[2], events[1], events[0]]):
        assert items(fold_all(arrival).basket) == {"p2": 1}


def test_an_add_arriving_after_the_order_that_bought_it_is_not_resurrected() -> None:
    context = fold_all([ordered("1", 5, "o1", 10, [product("p1")]), added("2", 0, "p1")])
    assert context.basket.items == ()
    # ...but still counts as interest and activity.
    assert context.events_by_type["Product Added"] == 1


def test_an_order_counted_once_settles_once() -> None:
    # The resend of an order must not settle adds made after the first one.
    context = fold_all(
        [
            ordered("1", 5, "o1", 10, [product("p1")]),
            added("2", 10, "p1"),
            ordered("3", 5, "o1", 10, [product("p1")]),
        ]
    )
    assert items(context.basket) == {"p1": 1}


def test_basket_is_capped_to_the_most_recent_adds() -> None:
    limits = ContextLimits(basket_items=2)
    context = fold_all([added(str(i), i, f"p{i}") for i in range(4)], limits=limits)
    assert [item.product_id for item in context.basket.items] == ["p3", "p2"]
