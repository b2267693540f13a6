"""Online stock: a ``Stock Updated`` from web or mobile with no store is the online shop's."""

from __future__ import annotations

import orjson
import pytest

from models.events import ONLINE_STOCK
from models.json_fields import RejectReason
from tests.unit.parsing_support import DROP, STOCK, build, parse_one, reject_one


@pytest.mark.parametrize("channel", ["web", "mobile"])
def test_a_reading_from_web_or_mobile_without_a_store_is_online_stock(channel: str) -> None:
    event = parse_one(build(STOCK, context__channel=channel, properties__store_id=DROP))
    assert event.stock is not None
    assert (event.stock.store_id, event.stock.product_id, event.stock.quantity) == (
        ONLINE_STOCK,
        "p-2",
        3,
    )


def test_a_reading_from_web_naming_a_store_is_that_stores() -> None:
    event = parse_one(build(STOCK, context__channel="web"))
    assert event.stock is not None and event.stock.store_id == "s-7"


def test_a_till_reading_still_needs_its_store_and_no_store_is_called_online() -> None:
    rejection = reject_one(orjson.dumps(build(STOCK, properties__store_id=DROP)))
    assert rejection.reason is RejectReason.MISSING_FIELD
    assert "properties.store_id" in rejection.message
    dot = reject_one(orjson.dumps(build(STOCK, properties__store_id=ONLINE_STOCK)))
    assert dot.reason is RejectReason.INVALID_ID
