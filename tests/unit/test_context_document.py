"""The context document (PRODUCT.md's stable API names) and the storage encoding."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import orjson

from models.context import SCHEMA_VERSION, CustomerContext, merge, to_document
from models.context.parts import (
    Affinity,
    ConsentChoice,
    OrderRecord,
    PurchasedProduct,
    Search,
    ViewedProduct,
)
from tests.unit.test_context_support import (
    added,
    at_ms,
    consented,
    fold_all,
    identify,
    iso,
    ordered,
    product,
    searched,
    viewed,
)

# The names PRODUCT.md promises; touchpoints read these, so they must never change.
PRODUCT_FIELDS = {
    "userId",
    "anonymousIds",
    "first_seen",
    "last_seen",
    "last_channel",
    "lifecycle_stage",
    "orders_count",
    "total_spent",
    "avg_order_value",
    "first_order_at",
    "last_order_at",
    "last_order_channel",
    "online_orders",
    "store_orders",
    "preferred_store",
    "basket",
    "recent_products",
    "category_affinity",
    "consent",
    "contacts",
}
# Recent contacts live in Redis: the web layer adds them (models.offers.pressure.contact_documents).
FROM_REDIS = {"contacts"}
EXTRA_FIELDS = {
    "consent_updated_at",
    "timezone",
    "recent_searches",
    "recent_purchases",
    "recent_orders",
    "purchases_by_store",
    "rfm",
    "events_total",
    "events_by_type",
    "events_by_channel",
}


def rich() -> CustomerContext:
    return fold_all(
        [
            identify("1", 0, "u-1", "anon-1"),
            viewed("2", 1, "p1", category="shoes"),
            viewed("3", 2, "p1", category="shoes"),
            searched("4", 3, "boots"),
            added("5", 4, "p1", price=59.9, quantity=2),
            added("6", 5, "p2", price=3.5, channel="mobile"),
            consented("7", 6, email=True, ads=False),
            ordered("8", 7, "o1", 119.8, [product("p1", category="shoes")], store_id="s1"),
            ordered("9", 8, "o2", 0.1, channel="mobile", user_id="u-1"),
        ]
    )


def test_document_has_exactly_the_product_fields_plus_documented_extras() -> None:
    document = to_document(rich(), at_ms(10))
    assert set(document) == (PRODUCT_FIELDS - FROM_REDIS) | EXTRA_FIELDS
    assert set(document["basket"]) == {"items", "value", "updated_at", "channel"}
    assert set(document["recent_products"][0]) == {
        "product_id",
        "category",
        "last_viewed_at",
        "views",
    }
    assert set(document["consent"]) == {"email", "sms", "push", "ads"}
    assert set(document["rfm"]) == {"recency_days", "frequency", "monetary"}
    orjson.dumps(document)  # plain JSON types only


def test_document_values() -> None:
    document = to_document(rich(), at_ms(10))
    assert document["userId"] == "u-1"
    assert document["lifecycle_stage"] == "repeat_customer"
    assert (document["orders_count"], document["total_spent"]) == (2, 119.9)
    assert document["avg_order_value"] == 59.95
    assert (document["first_order_at"], document["last_order_at"]) == (
        iso(at_ms(7)),
        iso(at_ms(8)),
    )
    assert document["last_order_channel"] == "mobile"
    assert (document["online_orders"], document["store_orders"]) == (1, 1)
    assert document["preferred_store"] == "s1"
    # The till order bought p1 but not p2; the empty-products online order after it
    # settles the rest.
    assert document["basket"]["items"] == []
    assert document["recent_products"] == [
        {"product_id": "p1", "category": "shoes", "last_viewed_at": iso(at_ms(2)), "views": 2}
    ]
    assert document["consent"] == {"email": True, "sms": False, "push": False, "ads": False}
    assert "contacts" not in document
    assert document["recent_searches"] == [{"query": "boots", "searched_at": iso(at_ms(3))}]
    assert document["recent_orders"][0]["total"] == 0.1


def test_document_basket_of_a_live_basket() -> None:
    context = fold_all([added("1", 0, "p1", price=59.9, quantity=2), added("2", 1, "p2")])
    basket = to_document(context, at_ms(5))["basket"]
    assert basket["items"] == [
        {"product_id": "p2", "quantity": 1, "price": None, "added_at": iso(at_ms(1))},
        {"product_id": "p1", "quantity": 2, "price": 59.9, "added_at": iso(at_ms(0))},
    ]
    assert (basket["value"], basket["updated_at"], basket["channel"]) == (
        119.8,
        iso(at_ms(1)),
        "web",
    )


def test_document_times_are_utc_with_z() -> None:
    document = to_document(rich(), at_ms(10))
    for key in ("first_seen", "last_seen", "first_order_at", "last_order_at"):
        assert document[key].endswith("Z")
        assert datetime.fromisoformat(document[key]).utcoffset() == timedelta(0)


def test_json_round_trip_of_a_rich_context() -> None:
    context = merge(rich(), fold_all([viewed("a", 0, "p7", anonymous_id="a-2")]), "a-2")
    raw = context.to_json()
    assert raw == orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
    restored = CustomerContext.from_json(raw)
    assert restored == context
    assert restored.to_json() == raw
    assert orjson.loads(raw)["schema"] == SCHEMA_VERSION == 4


def test_storage_keys() -> None:
    """Every key of a context whose fields all hold something; defaults are left out."""
    stored = orjson.loads(rich().to_json())
    assert set(stored) | {"merged_anonymous_ids", "purchases_by_store", "recent_searches"} == {
        "schema",
        "user_id",
        "anonymous_ids",
        "merged_anonymous_ids",
        "first_seen_ms",
        "last_seen_ms",
        "last_channel",
        "events_total",
        "events_by_type",
        "events_by_channel",
        "recent_products",
        "recent_searches",
        "category_affinity",
        "basket",
        "orders_count",
        "total_spent_cents",
        "first_order_ms",
        "last_order_ms",
        "last_order_channel",
        "online_orders",
        "store_orders",
        "recent_orders",
        "recent_purchases",
        "purchases_by_store",
        "consent",
    }
    assert stored["events_total"] == 9
    assert stored["basket"] == [[], at_ms(8)]
    assert stored["consent"]["email"] == [True, at_ms(6)]


def test_the_compact_encoding_leaves_out_defaults_and_repeated_visitor_ids() -> None:
    assert orjson.loads(CustomerContext().to_json()) == {"schema": SCHEMA_VERSION}
    context = CustomerContext(
        user_id="u-1",
        anonymous_ids=("a-1", "a-2"),
        merged_anonymous_ids=("a-2", "a-0"),
        first_seen_ms=0,
    )
    stored = orjson.loads(context.to_json())
    assert stored["merged_anonymous_ids"] == [1, "a-0"]  # a-0 was capped out of anonymous_ids
    assert stored["first_seen_ms"] == 0  # a time, not a default
    assert "events_total" not in stored and "basket" not in stored
    assert CustomerContext.from_json(context.to_json()) == context


def test_a_schema_2_context_still_loads() -> None:
    """Pieces as objects keyed by field name, every key present, as schema 2 stored them."""
    context = merge(rich(), fold_all([viewed("a", 0, "p7", anonymous_id="a-2")]), "a-2")
    stored = orjson.loads(context.to_json())
    names = {
        "recent_products": ViewedProduct,
        "recent_orders": OrderRecord,
        "recent_purchases": PurchasedProduct,
        "recent_searches": Search,
    }
    for key, cls in names.items():
        fields_of = [f.name for f in dataclasses.fields(cls)]
        stored[key] = [dict(zip(fields_of, piece, strict=True)) for piece in stored.get(key, [])]
    for key, cls in {"category_affinity": Affinity, "consent": ConsentChoice}.items():
        fields_of = [f.name for f in dataclasses.fields(cls)]
        stored[key] = {
            name: dict(zip(fields_of, piece, strict=True)) for name, piece in stored[key].items()
        }
    items, updated_ms = stored["basket"]
    stored["basket"] = {"items": items, "updated_ms": updated_ms}
    stored["merged_anonymous_ids"] = list(context.merged_anonymous_ids)
    stored["schema"] = 2
    assert CustomerContext.from_json(orjson.dumps(stored)) == context


def test_a_schema_1_context_still_loads() -> None:
    old = orjson.dumps(
        {
            "schema": 1,
            "user_id": "u-1",
            "anonymous_ids": ["a-1"],
            "first_seen_ms": 1,
            "last_seen_ms": 2,
            "last_channel": "web",
            "events_total": 2,
            "events_by_type": {"page": 2},
            "events_by_channel": {"web": 2},
        }
    )
    context = CustomerContext.from_json(old)
    assert context == CustomerContext(
        user_id="u-1",
        anonymous_ids=("a-1",),
        first_seen_ms=1,
        last_seen_ms=2,
        last_channel="web",
        events_total=2,
        events_by_type={"page": 2},
        events_by_channel={"web": 2},
    )


def test_a_context_stored_with_contacts_still_loads_without_them() -> None:
    stored = orjson.loads(rich().to_json())
    stored["contacts"] = [
        {"trigger_id": "t1", "trigger_type": "cross_sell", "channel": "email", "at_ms": 5}
    ]
    loaded = CustomerContext.from_json(orjson.dumps(stored))
    assert loaded == rich()
    assert loaded.to_json() == rich().to_json()
    assert "contacts" not in orjson.loads(loaded.to_json())
