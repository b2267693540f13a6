"""Trend bucket fields: no id or category from input can forge a part of one."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from models.events import Event
from models.parsing import EventParser
from streams.redis.gateway import RedisGateway, RoundTrip
from streams.redis.signals import queue_observe
from streams.redis.trend_fields import TrendField, parse_trend_field, trend_field
from streams.redis.trend_window import (
    WindowTotals,
    index_by_category,
    rank_by_category,
    rank_index,
    top_products,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PARSER = EventParser()
MESSAGE_IDS = itertools.count()


def parsed(event: str, channel: str = "web", **properties: Any) -> Event:
    doc = {
        "messageId": f"m-{next(MESSAGE_IDS)}",
        "type": "track",
        "event": event,
        "userId": "u-1",
        "timestamp": "2024-06-01T11:00:00Z",
        "context": {"channel": channel},
        "properties": properties,
    }
    (parsed_event,) = PARSER.parse_record(orjson.dumps(doc), NOW).events
    return parsed_event


def counted(events: list[Event]) -> dict[str, int]:
    """What a window sums from these events' trend increments (no Redis needed)."""
    trip = RoundTrip(RedisGateway(redis=None))  # type: ignore[arg-type]  # queued, never sent
    total: Counter[str] = Counter()
    for bucket in queue_observe(trip, events, 3_600_000).values():
        total.update(bucket)
    return dict(total)


def test_a_category_holding_a_pipe_lists_no_forged_product() -> None:
    counts = counted(
        [
            parsed("Product Viewed", product_id="p-real", category="socks|INJECTED"),
            parsed("Product Added", product_id="p-real", category="socks|INJECTED", price=1),
        ]
    )
    products = [p["product_id"] for p in top_products(counts, store=None, category=None, limit=9)]
    assert products == ["p-real"]
    assert top_products(counts, store=None, category="socks", limit=9) == []
    assert [
        p["product_id"]
        for p in top_products(counts, store=None, category="socks|INJECTED", limit=9)
    ] == ["p-real"]
    assert rank_by_category(counts, {"socks", "socks|INJECTED"}) == {"socks|INJECTED": ("p-real",)}


def test_a_store_or_product_holding_a_pipe_or_percent_keeps_its_own_counts() -> None:
    sale = parsed(
        "Order Completed",
        channel="store",
        order_id="o-1",
        store_id="s|FAKE",
        total=5,
        products=[{"product_id": "p|x%7C", "category": "hats"}],
    )
    counts = counted([sale])
    assert top_products(counts, store="s", category=None, limit=9) == []
    (listed,) = top_products(counts, store="s|FAKE", category=None, limit=9)
    assert (listed["product_id"], listed["purchases"]) == ("p|x%7C", 1)
    assert rank_by_category(counts, {"hats"}) == {"hats": ("p|x%7C",)}


parts = st.text(alphabet=st.sampled_from("ab|%7C25"), max_size=8)


@given(st.sampled_from(["v", "a", "b"]), st.sampled_from(["cp", "sp"]), parts, parts)
def test_any_two_parts_read_back_as_written(kind: str, scope: str, first: str, second: str) -> None:
    assert parse_trend_field(trend_field(kind, scope, first, second)) == TrendField(
        kind, scope, (first, second)
    )


def test_fields_written_before_the_escaping_read_the_same_unless_forged() -> None:
    legacy = {
        "v|cp|socks|p-1": 4,
        "b|sp|s-1|p-2": 1,
        "v|p|p-1": 4,
        "v|p|50%off": 2,
        "v|cp|socks|INJECTED|p-9": 99,  # a category "socks|INJECTED" before the escaping
        "v|p|x|y": 99,
        "garbage": 1,
        "": 1,
    }
    assert rank_by_category(legacy, {"socks"}) == {"socks": ("p-1",)}
    everything = top_products(legacy, store=None, category=None, limit=9)
    assert [(p["product_id"], p["views"]) for p in everything] == [("p-1", 4), ("50%off", 2)]
    assert [p["product_id"] for p in top_products(legacy, store="s-1", category=None, limit=9)] == [
        "p-2"
    ]


def test_a_window_noting_increments_indexes_them_as_if_summed_from_scratch() -> None:
    first = {
        trend_field("v", "cp", "socks", "p-1"): 3,
        trend_field("b", "cp", "socks", "p-2"): 1,
        trend_field("v", "p", "p-1"): 3,
    }
    later = {
        trend_field("a", "cp", "socks", "p-2"): 4,
        trend_field("v", "cp", "hats", "h|1"): 2,
        "v|cp|socks|forged|extra": 9,
    }
    window = WindowTotals.of({0: first})
    window.note(0, later, None, None)
    summed = {name: first.get(name, 0) + later.get(name, 0) for name in first | later}
    assert window.counts == summed
    assert window.by_category == index_by_category(summed)
    assert rank_index(window.by_category, {"socks", "hats", "shoes"}) == rank_by_category(
        summed, {"socks", "hats", "shoes"}
    )
    assert rank_index(window.by_category, {"socks"}) == {"socks": ("p-2", "p-1")}
