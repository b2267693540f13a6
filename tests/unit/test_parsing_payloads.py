"""EventParser.parse_record: the typed payload of each kind (products, orders, stock, ...)."""

from __future__ import annotations

from typing import Any

import pytest

from models.events import Order, Product, StockLevel
from models.identity import Identity, IdentityKind
from tests.unit.parsing_support import (
    ADDED,
    CART_VIEWED,
    CHECKOUT,
    CONSENT,
    DROP,
    ORDER_STORE,
    ORDER_WEB,
    PRODUCT_VIEWED,
    REMOVED,
    SEARCHED,
    STOCK,
    TILL_ANONYMOUS,
    build,
    parse_one,
)


def test_product_viewed_has_one_typed_product() -> None:
    event = parse_one(PRODUCT_VIEWED)
    assert event.products == (
        Product(product_id="p-1", category="shoes", name="Runner", price=89.9, quantity=1),
    )
    assert event.order is None and event.stock is None


def test_product_added_and_removed_carry_their_product() -> None:
    assert parse_one(ADDED).products == (Product("p-1", price=10.0, quantity=2),)
    assert parse_one(REMOVED).products == (Product("p-1"),)


def test_cart_and_checkout_products_are_optional() -> None:
    assert parse_one(CHECKOUT).products == (Product("p-1", price=5.0),)
    assert parse_one(build(CART_VIEWED, properties={})).products == ()


def test_products_searched_keeps_the_query() -> None:
    assert parse_one(SEARCHED).query == "red shoes"


def test_consent_updated_booleans_become_a_consent_dict() -> None:
    event = parse_one(build(CONSENT, properties__push=True, properties__other="ignored"))
    assert event.consent == {"email": True, "sms": False, "push": True}
    assert all(isinstance(v, bool) for v in event.consent.values())


def test_online_order_has_order_and_products_with_defaults() -> None:
    event = parse_one(ORDER_WEB)
    assert event.order == Order(order_id="o-1", total=59.9, currency="EUR", store_id=None)
    assert event.products == (
        Product("p-1", category="shoes", price=19.95, quantity=2),
        Product("42", price=None, quantity=1),
    )


def test_order_total_defaults_to_the_sum_of_products() -> None:
    event = parse_one(build(ORDER_WEB, properties__total=DROP, properties__products__1__price=0.1))
    assert event.order is not None
    assert event.order.total == round(19.95 * 2 + 0.1, 2)


@pytest.mark.parametrize("store_id", ["s-7", 7])
def test_till_order_carries_its_store(store_id: object) -> None:
    event = parse_one(build(ORDER_STORE, properties__store_id=store_id))
    assert event.order == Order(order_id="t-9", total=20.0, currency="EUR", store_id=str(store_id))
    assert event.products == (Product("p-2", price=20.0),)
    assert event.identity == Identity(IdentityKind.USER, "u-1")


def test_anonymous_till_sale_is_valid_without_identity() -> None:
    event = parse_one(TILL_ANONYMOUS)
    assert event.user_id is None and event.anonymous_id is None
    assert event.identity is None
    assert event.order is not None and event.order.store_id == "s-7"


def test_stock_updated_needs_no_person() -> None:
    event = parse_one(build(STOCK, properties__product_id=123, properties__quantity=0))
    assert event.stock == StockLevel(store_id="s-7", product_id="123", quantity=0)
    assert event.identity is None


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (build(PRODUCT_VIEWED, properties__product_id=123), ("123",)),
        (build(ORDER_WEB, properties__products__0__product_id=7), ("7", "42")),
    ],
)
def test_integer_product_ids_become_strings(doc: dict[str, Any], expected: tuple[str]) -> None:
    assert tuple(p.product_id for p in parse_one(doc).products) == expected


def test_integer_order_id_becomes_a_string() -> None:
    event = parse_one(build(ORDER_WEB, properties__order_id=1001))
    assert event.order is not None and event.order.order_id == "1001"
