"""The payloads of the event kinds of PRODUCT.md: products, an order, a stock reading,
consent choices. Each reader raises :class:`InvalidEvent` naming the field, and bounds
what it reads (:mod:`models.bounds`).
"""

from __future__ import annotations

from typing import Any

from models.bounds import (
    MAX_AMOUNT,
    MAX_CATEGORY_CHARS,
    MAX_PRODUCTS,
    MAX_QUANTITY,
    MAX_STOCK_UNITS,
    MAX_TEXT_CHARS,
)
from models.events import CONSENT_CHANNELS, ONLINE_STOCK, Channel, Order, Product, StockLevel
from models.json_fields import (
    InvalidEvent,
    RejectReason,
    code,
    integer,
    json_type,
    number,
    optional_text,
)


def _product(obj: dict[str, Any], label: str) -> Product:
    return Product(
        product_id=code(obj, "product_id", f"{label}.product_id"),
        category=optional_text(obj, "category", f"{label}.category", MAX_CATEGORY_CHARS),
        name=optional_text(obj, "name", f"{label}.name", MAX_TEXT_CHARS),
        brand=optional_text(obj, "brand", f"{label}.brand", MAX_TEXT_CHARS),
        price=number(obj, "price", f"{label}.price", MAX_AMOUNT),
        quantity=integer(
            obj, "quantity", f"{label}.quantity", default=1, minimum=1, maximum=MAX_QUANTITY
        ),
    )


def products(properties: dict[str, Any], *, required: bool) -> tuple[Product, ...]:
    listed = properties.get("products")
    if listed is not None:
        if not isinstance(listed, list):
            raise InvalidEvent(
                RejectReason.BAD_TYPE,
                f"properties.products is a {json_type(listed)}, expected an array",
            )
        if len(listed) > MAX_PRODUCTS:
            raise InvalidEvent(
                RejectReason.TOO_LARGE,
                f"properties.products has {len(listed)} entries, the limit is {MAX_PRODUCTS}",
            )
        parsed = []
        for index, item in enumerate(listed):
            label = f"properties.products[{index}]"
            if not isinstance(item, dict):
                raise InvalidEvent(
                    RejectReason.BAD_TYPE, f"{label} is a {json_type(item)}, expected an object"
                )
            parsed.append(_product(item, label))
        if parsed or not required:
            return tuple(parsed)
    if "product_id" in properties or required:
        return (_product(properties, "properties"),)
    return ()


def order(properties: dict[str, Any], listed: tuple[Product, ...], channel: Channel) -> Order:
    order_id = code(properties, "order_id", "properties.order_id")
    total = number(properties, "total", "properties.total", MAX_AMOUNT)
    if total is None:
        if not listed:
            raise InvalidEvent(
                RejectReason.MISSING_FIELD,
                "properties.total is required without products",
            )
        total = round(sum((p.price or 0.0) * p.quantity for p in listed), 2)
        if total > MAX_AMOUNT:
            raise InvalidEvent(
                RejectReason.OUT_OF_RANGE,
                f"properties.total, the sum of the products, is over {MAX_AMOUNT:,}",
            )
    store_id = (
        code(properties, "store_id", "properties.store_id")
        if channel is Channel.STORE or properties.get("store_id") is not None
        else None
    )
    currency = optional_text(properties, "currency", "properties.currency", MAX_TEXT_CHARS)
    return Order(order_id=order_id, total=total, currency=currency, store_id=store_id)


def stock(properties: dict[str, Any], channel: Channel) -> StockLevel:
    """A store's stock; from web or mobile with no ``store_id``, the online shop's."""
    online = channel is not Channel.STORE and properties.get("store_id") is None
    return StockLevel(
        store_id=ONLINE_STOCK if online else code(properties, "store_id", "properties.store_id"),
        product_id=code(properties, "product_id", "properties.product_id"),
        quantity=integer(
            properties,
            "quantity",
            "properties.quantity",
            default=None,
            minimum=0,
            maximum=MAX_STOCK_UNITS,
        ),
    )


def consent(properties: dict[str, Any]) -> dict[str, bool]:
    choices: dict[str, bool] = {}
    for channel in CONSENT_CHANNELS:
        if channel not in properties:
            continue
        value = properties[channel]
        if not isinstance(value, bool):
            raise InvalidEvent(
                RejectReason.BAD_TYPE,
                f"properties.{channel} is a {json_type(value)}, expected a boolean",
            )
        choices[channel] = value
    if not choices:
        raise InvalidEvent(
            RejectReason.MISSING_FIELD,
            "Consent Updated needs at least one of properties.email, sms, push, ads",
        )
    return choices
