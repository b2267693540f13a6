"""Builders and sample records shared by the parser tests (no tests of its own).

Each sample is one valid record of an event type of PRODUCT.md; tests derive
invalid ones from it with ``build``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson

from models.events import Event
from models.parsing import EventParser, ParsedRecord, Rejection

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TS = "2024-06-01T11:00:00Z"
PARSER = EventParser()
DROP = object()  # marks a key to delete in `build`


def build(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with dotted paths set (``properties__price``) or dropped."""
    doc = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(leaf) if isinstance(target, list) else leaf
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value
    return doc


def envelope(call: str = "track", event: str | None = None, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "messageId": "m-1",
        "type": call,
        "anonymousId": "anon-1",
        "timestamp": TS,
        "context": {"channel": "web"},
        "properties": {},
    }
    if event is not None:
        doc["event"] = event
    doc.update(fields)
    return doc


def parse(doc: Any, parser: EventParser = PARSER) -> ParsedRecord:
    return parser.parse_record(orjson.dumps(doc), NOW)


def parse_one(doc: dict[str, Any]) -> Event:
    record = parse(doc)
    assert record.rejections == (), record.rejections
    assert len(record.events) == 1
    assert record.batch_indexes == (None,)
    return record.events[0]


def reject_one(raw: bytes, parser: EventParser = PARSER) -> Rejection:
    record = parser.parse_record(raw, NOW)
    assert record.events == ()
    assert len(record.rejections) == 1
    rejection = record.rejections[0]
    assert rejection.original == raw
    assert rejection.batch_index is None
    return rejection


PAGE = envelope("page", properties={"url": "https://shop.example/p/1", "title": "Shoes"})
SCREEN = envelope("screen", name="Home", context={"channel": "mobile"})
IDENTIFY = envelope("identify", userId="u-1", traits={"email": "a@example.com"})
PRODUCT_VIEWED = envelope(
    event="Product Viewed",
    properties={"product_id": "p-1", "category": "shoes", "name": "Runner", "price": 89.9},
)
SEARCHED = envelope(event="Products Searched", properties={"query": "red shoes"})
CONSENT = envelope(event="Consent Updated", userId="u-1", properties={"email": True, "sms": False})
ADDED = envelope(
    event="Product Added", properties={"product_id": "p-1", "price": 10.0, "quantity": 2}
)
REMOVED = envelope(event="Product Removed", properties={"product_id": "p-1"})
CART_VIEWED = envelope(event="Cart Viewed", properties={"products": [{"product_id": "p-1"}]})
CHECKOUT = envelope(
    event="Checkout Started", properties={"products": [{"product_id": "p-1", "price": 5}]}
)
ORDER_WEB = envelope(
    event="Order Completed",
    userId="u-1",
    properties={
        "order_id": "o-1",
        "total": 59.9,
        "currency": "EUR",
        "products": [
            {"product_id": "p-1", "category": "shoes", "price": 19.95, "quantity": 2},
            {"product_id": 42},
        ],
    },
)
ORDER_STORE = envelope(
    event="Order Completed",
    userId="u-1",
    context={"channel": "store"},
    properties={
        "order_id": "t-9",
        "store_id": "s-7",
        "total": 20,
        "currency": "EUR",
        "products": [{"product_id": "p-2", "price": 20}],
    },
)
TILL_ANONYMOUS = build(ORDER_STORE, userId=DROP, anonymousId=DROP)
STOCK = {
    "messageId": "stock-1",
    "type": "track",
    "event": "Stock Updated",
    "timestamp": TS,
    "context": {"channel": "store"},
    "properties": {"store_id": "s-7", "product_id": "p-2", "quantity": 3},
}
CUSTOM = envelope(event="Wishlist Shared", properties={"list": "xmas", "items": 3})
