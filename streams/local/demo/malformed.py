"""Malformed records, one per rejection reason the parser has, to exercise dead letters."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from streams.local.demo.catalogue import PRODUCTS
from streams.local.demo.records import GeneratedRecord, iso

OVERSIZED_BYTES = 600 * 1024
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
BAD_REASONS: tuple[str, ...] = (
    "not_json",
    "not_object",
    "missing_field",
    "bad_timestamp",
    "future_timestamp",
    "too_large",
    "not_utf8",
)


def malformed_record(
    reason: str, rng: random.Random, after: GeneratedRecord, at: datetime
) -> GeneratedRecord:
    body: dict[str, Any] = {
        "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "timestamp": iso(at),
        "context": {"channel": "web"},
        "properties": rng.choice(PRODUCTS).as_properties(),
    }
    if reason == "not_json":
        value = orjson.dumps(body)[: rng.randint(10, 60)]
    elif reason == "not_object":
        value = orjson.dumps(rng.choice(([body], "Product Viewed", 42, None)))
    elif reason == "not_utf8":
        body["properties"]["name"] = "Écharpe en laine"
        value = orjson.dumps(body).decode("utf-8").encode("latin-1")
    else:
        if reason == "missing_field":
            del body["messageId"]
        elif reason == "bad_timestamp":
            body["timestamp"] = rng.choice(("yesterday", "2026-13-45T25:61:00Z", "22/11/2026"))
        elif reason == "future_timestamp":
            body["timestamp"] = iso(FAR_FUTURE + timedelta(seconds=rng.randrange(365 * 86400)))
        else:
            body["properties"]["notes"] = "x" * (OVERSIZED_BYTES + rng.randrange(1024, 40 * 1024))
        value = orjson.dumps(body)
    return GeneratedRecord(after.topic, after.key, value, False, reason)
