"""Builders shared by the demo generator tests (no tests of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from streams.local.demo.catalogue import STORES
from streams.local.generator import GeneratedRecord, GeneratorOptions, TopicNames, generate

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TOPICS = TopicNames()
STORE_IDS = {store.store_id for store in STORES}
PRODUCT_KEYS = {"product_id", "category", "name", "brand", "price", "quantity"}


def records(**overrides: Any) -> list[GeneratedRecord]:
    options: dict[str, Any] = {"customers": 60, "seed": 7, "start": START, "bad_share": 0.0}
    return list(generate(GeneratorOptions(**(options | overrides))))


def events(recs: list[GeneratedRecord]) -> Iterator[tuple[GeneratedRecord, dict[str, Any]]]:
    for record in recs:
        if record.valid:
            document = orjson.loads(record.value)
            for event in document.get("batch", [document]):
                yield record, event


def orders(recs: list[GeneratedRecord]) -> list[tuple[GeneratedRecord, dict[str, Any]]]:
    return [(r, e) for r, e in events(recs) if e.get("event") == "Order Completed"]
