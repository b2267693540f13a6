"""EventParser: every number it reads is bounded; outside its bounds it is ``out_of_range``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from models.bounds import MAX_AMOUNT, MAX_QUANTITY, MAX_STOCK_UNITS
from models.json_fields import InvalidEvent, RejectReason
from tests.unit.parsing_support import (
    ADDED,
    NOW,
    ORDER_WEB,
    PARSER,
    PRODUCT_VIEWED,
    STOCK,
    build,
    parse_one,
    reject_one,
)

R = RejectReason.OUT_OF_RANGE


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        pytest.param(build(ORDER_WEB, properties__total=1e20), "properties.total", id="total-1e20"),
        pytest.param(
            build(ORDER_WEB, properties__total=MAX_AMOUNT + 0.01),
            "properties.total",
            id="total-just-over",
        ),
        pytest.param(
            build(PRODUCT_VIEWED, properties__price=1e300), "properties.price", id="price-1e300"
        ),
        pytest.param(
            build(ORDER_WEB, properties__products__0__price=2**64 - 1),
            "properties.products[0].price",
            id="nested-price-u64",
        ),
        pytest.param(
            build(ADDED, properties__quantity=2**63), "properties.quantity", id="quantity-2^63"
        ),
        pytest.param(
            build(ADDED, properties__quantity=MAX_QUANTITY + 1),
            "properties.quantity",
            id="quantity-just-over",
        ),
        pytest.param(
            build(ORDER_WEB, properties__products__1__quantity=2**64 - 1),
            "properties.products[1].quantity",
            id="nested-quantity-u64",
        ),
        pytest.param(
            build(STOCK, properties__quantity=MAX_STOCK_UNITS + 1),
            "properties.quantity",
            id="stock-just-over",
        ),
        pytest.param(
            build(
                ORDER_WEB,
                properties={
                    "order_id": "o-1",
                    "products": [
                        {"product_id": "p-1", "price": MAX_AMOUNT, "quantity": 1},
                        {"product_id": "p-2", "price": 1.0, "quantity": 1},
                    ],
                },
            ),
            "properties.total",
            id="total-summed-from-products",
        ),
    ],
)
def test_numbers_past_their_bound_are_out_of_range(doc: dict[str, Any], field: str) -> None:
    rejection = reject_one(orjson.dumps(doc))
    assert rejection.reason is R
    assert field in rejection.message


def test_numbers_at_their_bound_are_accepted() -> None:
    order = parse_one(build(ORDER_WEB, properties__total=MAX_AMOUNT))
    assert order.order is not None and order.order.total == MAX_AMOUNT
    added = parse_one(build(ADDED, properties__quantity=MAX_QUANTITY, properties__price=MAX_AMOUNT))
    assert (added.products[0].quantity, added.products[0].price) == (MAX_QUANTITY, MAX_AMOUNT)
    stock = parse_one(build(STOCK, properties__quantity=MAX_STOCK_UNITS))
    assert stock.stock is not None and stock.stock.quantity == MAX_STOCK_UNITS


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_non_finite_literals_are_not_json(literal: bytes) -> None:
    raw = orjson.dumps(build(ORDER_WEB, properties__total=0.5)).replace(b"0.5", literal)
    assert reject_one(raw).reason is RejectReason.NOT_JSON


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_a_decoded_non_finite_number_is_out_of_range(value: float) -> None:
    # Another decoder (or a caller of parse_event) may hand over what orjson refuses.
    with pytest.raises(InvalidEvent) as refused:
        PARSER.parse_event(build(ORDER_WEB, properties__total=value), NOW)
    assert refused.value.reason is R
    assert "properties.total" in refused.value.message
