"""No sequence of parsed events makes a context that cannot be stored: counts and sums
saturate at COUNT_MAX, floats stay finite, and ``to_json`` always succeeds."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from models.bounds import MAX_CATEGORY_CHARS, MAX_ID_CHARS, MAX_PRODUCTS
from models.context import (
    Basket,
    BasketItem,
    CustomerContext,
    StoreVisits,
    ViewedProduct,
    fold,
    merge,
    to_document,
)
from models.context.limits import COUNT_MAX
from models.events import Event
from tests.unit.test_context_support import PARSE_NOW, PARSER, SPAN_MS, T0, iso, ms

# Whatever a producer may write in a number field, accepted by the parser or not.
ANY_NUMBER = st.one_of(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.floats(min_value=0, max_value=1e30, allow_nan=False, allow_infinity=False),
    st.sampled_from([10**10, 10**6, 10**9, 2**53, 2**63 - 1, 2**63, 1e20]),
)
PRODUCT_IDS = st.sampled_from(["p1", "p2", "p3"])
CATEGORIES = st.sampled_from([None, "shoes", "bags"])


@st.composite
def product_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"product_id": draw(PRODUCT_IDS), "price": draw(ANY_NUMBER)}
    if (category := draw(CATEGORIES)) is not None:
        doc["category"] = category
    if draw(st.booleans()):
        doc["quantity"] = draw(ANY_NUMBER.filter(lambda n: isinstance(n, int) and n >= 1))
    return doc


@st.composite
def raw_events(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Product Viewed", "Product Added", "Order Completed", "page"]))
    at = ms(T0) + draw(st.integers(-SPAN_MS, SPAN_MS))
    doc: dict[str, Any] = {
        "messageId": f"m-{index}",
        "type": "page" if kind == "page" else "track",
        "userId": "u-1",
        "timestamp": iso(at),
        "context": {"channel": draw(st.sampled_from(["web", "mobile", "store"]))},
    }
    if kind == "page":
        return doc
    doc["event"] = kind
    if kind == "Order Completed":
        properties: dict[str, Any] = {
            "order_id": f"o-{draw(st.integers(0, 4))}",
            "products": draw(st.lists(product_docs(), max_size=3)),
        }
        if draw(st.booleans()) or not properties["products"]:
            properties["total"] = draw(ANY_NUMBER)
        if doc["context"]["channel"] == "store":
            properties["store_id"] = draw(st.sampled_from(["s1", "s2"]))
        doc["properties"] = properties
    else:
        doc["properties"] = draw(product_docs())
    return doc


@st.composite
def parsed_events(draw: st.DrawFn) -> list[Event]:
    """The events the parser accepts among random documents with any numbers."""
    docs = [draw(raw_events(index)) for index in range(draw(st.integers(1, 12)))]
    events = []
    for doc in docs:
        record = PARSER.parse_record(orjson.dumps(doc), PARSE_NOW)
        events.extend(record.events)
    return events


COUNTS = st.integers(min_value=0, max_value=COUNT_MAX)


@st.composite
def worn_contexts(draw: st.DrawFn) -> CustomerContext:
    """A context whose counts and sums are anywhere up to the cap, as a long life leaves them."""
    at = ms(T0)
    return CustomerContext(
        user_id="u-1",
        first_seen_ms=at,
        last_seen_ms=at,
        last_channel="web",
        events_total=draw(COUNTS),
        events_by_type={"Product Added": draw(COUNTS), "page": draw(COUNTS)},
        events_by_channel={"web": draw(COUNTS), "store": draw(COUNTS)},
        recent_products=(ViewedProduct("p1", "shoes", at, draw(COUNTS), (at,)),),
        basket=Basket((BasketItem("p2", draw(COUNTS), 10.0, at, "web"),), at),
        orders_count=draw(COUNTS),
        total_spent_cents=draw(COUNTS),
        online_orders=draw(COUNTS),
        store_orders=draw(COUNTS),
        purchases_by_store={"s1": StoreVisits(draw(COUNTS), at)},
    )


def assert_storable(context: CustomerContext) -> None:
    raw = context.to_json()  # raises on an integer past 64 bits
    assert CustomerContext.from_json(raw).to_json() == raw
    document = to_document(context, ms(T0))
    orjson.dumps(document)
    _assert_bounded(orjson.loads(raw))
    _assert_bounded(document)


def _assert_bounded(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _assert_bounded(item)
    elif isinstance(value, list):
        for item in value:
            _assert_bounded(item)
    elif isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        # Times (epoch ms) are bounded by the calendar; counts and sums by the cap.
        assert -COUNT_MAX <= value <= COUNT_MAX


@given(worn_contexts(), parsed_events())
@settings(max_examples=300)
def test_any_parsed_events_fold_into_a_storable_context(
    context: CustomerContext, events: list[Event]
) -> None:
    for event in events:
        context = fold(context, event)
    assert_storable(context)


@given(worn_contexts(), parsed_events(), worn_contexts(), parsed_events())
@settings(max_examples=100)
def test_merging_two_worn_contexts_is_storable(
    customer: CustomerContext,
    customer_events: list[Event],
    visitor: CustomerContext,
    visitor_events: list[Event],
) -> None:
    for event in customer_events:
        customer = fold(customer, event)
    visitor = replace(visitor, user_id=None)
    for event in visitor_events:
        visitor = fold(visitor, replace(event, user_id=None, anonymous_id="a-1"))
    assert_storable(merge(customer, visitor, "a-1"))


def test_counts_and_sums_stop_at_the_cap() -> None:
    at = ms(T0)
    full = CustomerContext(
        user_id="u-1",
        events_total=COUNT_MAX,
        events_by_type={"Product Added": COUNT_MAX},
        basket=Basket((BasketItem("p1", COUNT_MAX, 1.0, at, "web"),), at),
        orders_count=COUNT_MAX,
        total_spent_cents=COUNT_MAX,
        online_orders=COUNT_MAX,
    )
    for doc in (
        {"event": "Product Added", "properties": {"product_id": "p1", "quantity": 5}},
        {
            "event": "Order Completed",
            "properties": {"order_id": "o-9", "total": 10**10, "products": [{"product_id": "p9"}]},
        },
    ):
        raw = {
            "messageId": f"m-{doc['event']}",
            "type": "track",
            "userId": "u-1",
            "timestamp": iso(at + 1),
            "context": {"channel": "web"},
            **doc,
        }
        (event,) = PARSER.parse_record(orjson.dumps(raw), PARSE_NOW).events
        full = fold(full, event)
    assert full.events_total == COUNT_MAX
    assert full.events_by_type["Product Added"] == COUNT_MAX
    assert full.basket.items[0].quantity == COUNT_MAX
    assert (full.orders_count, full.total_spent_cents, full.online_orders) == (COUNT_MAX,) * 3
    assert_storable(full)


def _longest(prefix: str, index: int, width: int) -> str:
    return f"{prefix}{index}-".ljust(width, "x")


def test_the_largest_context_valid_events_can_build_stays_under_1_5_mb() -> None:
    """Every field at its cap, every id and text at its longest: the bound the README gives."""
    docs: list[dict[str, Any]] = []
    for n in range(60):
        lines = [
            {
                "product_id": _longest(f"o{n}p", i, MAX_ID_CHARS),
                "category": _longest("c", n * MAX_PRODUCTS + i, MAX_CATEGORY_CHARS),
                "price": 1,
            }
            for i in range(MAX_PRODUCTS)
        ]
        properties = {
            "order_id": _longest("o", n, MAX_ID_CHARS),
            "store_id": _longest("s", n, MAX_ID_CHARS),
            "products": lines,
        }
        docs.append({"event": "Order Completed", "channel": "store", "properties": properties})
        product = {
            "product_id": _longest("v", n, MAX_ID_CHARS),
            "category": _longest("vc", n, MAX_CATEGORY_CHARS),
        }
        docs.append({"event": "Product Viewed", "properties": product})
        docs.append({"event": "Product Added", "properties": {**product, "price": 1}})
        docs.append({"event": "Products Searched", "properties": {"query": _longest("q", n, 256)}})
    context = CustomerContext()
    for index, doc in enumerate(docs):
        raw = {
            "messageId": f"m-{index}",
            "type": "track",
            "userId": "u" * MAX_ID_CHARS,
            "anonymousId": _longest("a", index, MAX_ID_CHARS),
            "timestamp": iso(ms(T0) + index),
            "context": {"channel": doc.pop("channel", "web")},
            **doc,
        }
        encoded = orjson.dumps(raw)
        assert len(encoded) <= PARSER.max_event_bytes
        (event,) = PARSER.parse_record(encoded, PARSE_NOW).events
        context = fold(context, event)
    size = len(context.to_json())
    assert len(context.recent_orders) == 50 and len(context.anonymous_ids) == 20
    assert size < 1_500_000, size  # 1.37 MB: the recent orders' product lines weigh most
