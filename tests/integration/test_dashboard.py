"""The Grafana dashboard reads only series that a working worker really exports.

A worker is given a little of everything the dashboard shows (valid events, a bad
record, a cross-sell trigger, a capped one, an API call), then its /metrics is
scraped and every metric the dashboard's PromQL names must be in the scrape:
histograms through their ``_bucket`` series.
"""

from __future__ import annotations

import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.dashboard_queries import dashboard_series
from tests.integration.harness import WorkerProcess, produce, wait_until

pytestmark = pytest.mark.integration

SHOES = {"product_id": "SHO-001", "category": "shoes", "name": "Trail runner", "price": 90.0}


def _event(user: str, event_name: str | None, /, *, call: str = "track", **fields: Any) -> bytes:
    document: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "type": call,
        "userId": user,
        "timestamp": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "context": {"channel": fields.pop("channel", "web")},
        "properties": fields,
    }
    if event_name is not None:
        document["event"] = event_name
    return orjson.dumps(document)


def _till_order(user: str, store: str) -> bytes:
    return _event(
        user,
        "Order Completed",
        channel="store",
        order_id=f"till-{uuid.uuid4().hex[:8]}",
        store_id=store,
        total=SHOES["price"],
        currency="EUR",
        products=[SHOES],
    )


def _publish(worker: WorkerProcess, records: list[tuple[str, bytes | None, bytes]]) -> None:
    """Publish and return once the worker has consumed every record."""
    before = worker.metric_sum("omni_records_consumed_total")
    produce(worker.services.kafka_broker, records)
    wait_until(
        lambda: worker.metric_sum("omni_records_consumed_total") >= before + len(records),
        what=f"{len(records)} records consumed",
    )


def test_the_dashboard_queries_only_what_the_worker_exports(worker: WorkerProcess) -> None:
    topics = worker.topics
    user = f"dash-{uuid.uuid4().hex[:10]}"
    key = user.encode()
    # Valid events of several types, the consent the offers need, and one bad record.
    _publish(
        worker,
        [
            (topics.clickstream, key, _event(user, None, call="page", url="/")),
            (topics.clickstream, key, _event(user, "Product Viewed", **SHOES)),
            (topics.clickstream, key, _event(user, "Consent Updated", email=True)),
            (topics.clickstream, key, b"\x00 not json"),
        ],
    )
    # A till purchase of shoes is offered a cross-sell at once...
    _publish(worker, [(topics.store_checkouts, key, _till_order(user, "store-001"))])
    wait_until(
        lambda: worker.metric_sum("omni_triggers_emitted_total") >= 1, what="a trigger emitted"
    )
    # ...and a second one the same day is held back by the contact-pressure caps.
    _publish(worker, [(topics.store_checkouts, key, _till_order(user, "store-002"))])
    wait_until(
        lambda: worker.metric_sum("omni_triggers_suppressed_total") >= 1,
        what="a trigger suppressed",
    )
    assert worker.metric_sum("omni_deadletters_total", reason="not_json") >= 1
    with urllib.request.urlopen(f"{worker.url}/health", timeout=5) as response:
        assert response.status == 200

    expected = dashboard_series()
    assert len(expected) >= 10, f"the dashboard queries too little: {sorted(expected)}"
    scraped = {name for name, _labels in worker.metrics()}
    missing = sorted(expected - scraped)
    assert not missing, f"the dashboard queries series the worker does not export: {missing}"
