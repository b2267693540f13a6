"""EventParser: every id that reaches a key, a member or a URL path keeps to the id
alphabet; outside it the event is ``invalid_id``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from models.bounds import MAX_ID_CHARS
from models.events import Event
from models.json_fields import RejectReason
from tests.unit.parsing_support import (
    ORDER_STORE,
    ORDER_WEB,
    PAGE,
    PRODUCT_VIEWED,
    STOCK,
    build,
    parse_one,
    reject_one,
)

Read = Callable[[Event], Any]
# Where each id stands in a sample event, the field the rejection names, and where the
# parsed event keeps it.
ID_FIELDS: list[tuple[dict[str, Any], str, str, Read]] = [
    (PAGE, "userId", "userId", lambda e: e.user_id),
    (PAGE, "anonymousId", "anonymousId", lambda e: e.anonymous_id),
    (
        PRODUCT_VIEWED,
        "properties__product_id",
        "properties.product_id",
        lambda e: e.products[0].product_id,
    ),
    (
        ORDER_WEB,
        "properties__products__0__product_id",
        "properties.products[0].product_id",
        lambda e: e.products[0].product_id,
    ),
    (ORDER_WEB, "properties__order_id", "properties.order_id", lambda e: e.order.order_id),
    (ORDER_STORE, "properties__store_id", "properties.store_id", lambda e: e.order.store_id),
    (STOCK, "properties__store_id", "properties.store_id", lambda e: e.stock.store_id),
    (STOCK, "properties__product_id", "properties.product_id", lambda e: e.stock.product_id),
]
IDS = [f"{base['event'] if 'event' in base else base['type']}:{f}" for base, _p, f, _r in ID_FIELDS]
REFUSED = {
    "open-brace": "a{b",
    "hash-tag": "a{b}",
    "close-brace": "}",
    "nul": "a\x00b",
    "newline": "a\nb",
    "del": "a\x7f",
    "c1": "a\x85b",
    "blank": "   ",
    "dot": ".",
    "dot-dot": "..",
    "too-long": "i" * (MAX_ID_CHARS + 1),
}
ACCEPTED = ["x|y", "*", "a:b", "a/b", "a%b", "jo+shop@example.com", "é-ü-漢字", "i" * MAX_ID_CHARS]


@pytest.mark.parametrize(("base", "path", "field", "read"), ID_FIELDS, ids=IDS)
@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_an_id_outside_the_alphabet_is_invalid_id(
    base: dict[str, Any], path: str, field: str, read: Read, value: str
) -> None:
    rejection = reject_one(orjson.dumps(build(base, **{path: value})))
    assert rejection.reason is RejectReason.INVALID_ID
    assert rejection.message.startswith(field)


@pytest.mark.parametrize(("base", "path", "field", "read"), ID_FIELDS, ids=IDS)
@pytest.mark.parametrize("value", ACCEPTED)
def test_an_id_in_the_alphabet_is_kept_as_sent(
    base: dict[str, Any], path: str, field: str, read: Read, value: str
) -> None:
    assert read(parse_one(build(base, **{path: value}))) == value


def test_a_numeric_id_is_its_decimal_text() -> None:
    event = parse_one(build(ORDER_WEB, properties__order_id=2**64 - 1))
    assert event.order is not None and event.order.order_id == str(2**64 - 1)
