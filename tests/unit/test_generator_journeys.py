"""What the demo journeys contain: the catalogue, every behaviour, orders and their topics."""

from __future__ import annotations

from collections import Counter

from streams.local.demo.catalogue import CATEGORIES, PRODUCTS
from tests.unit.generator_support import (
    PRODUCT_KEYS,
    STORE_IDS,
    TOPICS,
    events,
    orders,
    records,
)


def test_catalogue_is_small_and_consistent() -> None:
    assert len(PRODUCTS) == 60
    assert len({p.product_id for p in PRODUCTS}) == 60
    assert {p.category for p in PRODUCTS} == set(CATEGORIES)
    assert len(CATEGORIES) == 8
    assert sorted(STORE_IDS) == [f"store-00{i}" for i in range(1, 6)]
    assert all(p.price > 0 for p in PRODUCTS)


def test_journeys_cover_the_expected_behaviours() -> None:
    seen: Counter[str] = Counter()
    for _, event in events(records(customers=200)):
        seen[event.get("event") or event["type"]] += 1
        if event["type"] == "identify":
            assert event["userId"] and event["anonymousId"]
        if event.get("event") == "Consent Updated":
            assert set(event["properties"]) == {"email", "sms", "push", "ads"}
            assert all(isinstance(v, bool) for v in event["properties"].values())
        if event.get("event") in ("Product Viewed", "Product Added", "Product Removed"):
            assert set(event["properties"]) == PRODUCT_KEYS
        if event.get("event") == "Stock Updated":
            props = event["properties"]
            assert "userId" not in event and "anonymousId" not in event
            assert props["store_id"] in STORE_IDS and props["product_id"]
            assert isinstance(props["quantity"], int) and props["quantity"] >= 0
        if event.get("event") == "Products Searched":
            assert event["properties"]["query"]
    for name in (
        "page",
        "screen",
        "identify",
        "Product Viewed",
        "Products Searched",
        "Consent Updated",
        "Product Added",
        "Product Removed",
        "Cart Viewed",
        "Checkout Started",
        "Order Completed",
        "Stock Updated",
    ):
        assert seen[name] > 0, name


def test_orders_carry_consistent_totals_and_land_on_the_right_topic() -> None:
    channels: Counter[str] = Counter()
    anonymous_till_sales = 0
    for record, event in orders(records(customers=200)):
        props = event["properties"]
        channel = event["context"]["channel"]
        channels[channel] += 1
        assert props["currency"] == "EUR" and props["order_id"]
        assert all(set(p) == PRODUCT_KEYS for p in props["products"])
        expected = round(sum(p["price"] * p["quantity"] for p in props["products"]), 2)
        assert props["total"] == expected
        if channel == "store":
            assert record.topic == TOPICS.store_checkouts
            assert props["store_id"] in STORE_IDS
            assert "anonymousId" not in event
            anonymous_till_sales += "userId" not in event
        else:
            assert record.topic == TOPICS.basket
            assert channel in ("web", "mobile")
    assert channels["store"] and channels["web"] and channels["mobile"]
    assert anonymous_till_sales > 0
    assert channels["store"] - anonymous_till_sales > 0


def test_store_checkouts_topic_only_holds_till_orders() -> None:
    for record, event in events(records(customers=100)):
        is_till = event.get("event") == "Order Completed" and event["context"]["channel"] == "store"
        assert (record.topic == TOPICS.store_checkouts) == is_till
