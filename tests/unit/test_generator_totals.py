"""expected_totals: distinct orders and spend per loyalty id, following identify links."""

from __future__ import annotations

from typing import Any

import orjson

from streams.local.generator import CustomerTotals, GeneratedRecord, expected_totals
from tests.unit.generator_support import events, orders, records


def _record(topic: str, event: dict[str, Any], valid: bool = True) -> GeneratedRecord:
    person = event.get("userId") or event.get("anonymousId")
    key = person.encode() if person else None
    return GeneratedRecord(topic, key, orjson.dumps(event), valid, None if valid else "not_json")


def _order(order_id: str, total: float, **ids: str) -> dict[str, Any]:
    props = {"order_id": order_id, "total": total, "currency": "EUR", "products": []}
    return {"type": "track", "event": "Order Completed", "properties": props, **ids}


def test_expected_totals_on_hand_made_records() -> None:
    identify = {"type": "identify", "userId": "u1", "anonymousId": "a1"}
    batch = {"batch": [_order("o3", 5.5, anonymousId="a1"), identify], "sentAt": "x"}
    recs = [
        _record("basket", _order("o1", 10.25, userId="u1")),
        _record("store-checkouts", _order("o1", 10.25, userId="u1")),
        _record("store-checkouts", _order("o2", 20.0, userId="u1")),
        GeneratedRecord("clickstream", b"u1", orjson.dumps(batch), True, None),
        _record("basket", _order("o4", 99.0, userId="u1"), valid=False),
        _record("basket", _order("o5", 7.0, userId="u2")),
        _record("clickstream", {"type": "identify", "userId": "u3", "anonymousId": "a3"}),
        _record("basket", _order("o6", 8.0, anonymousId="guest")),
        _record("store-checkouts", _order("o7", 9.0)),
    ]
    assert expected_totals(recs) == {
        "u1": CustomerTotals(3, 35.75),
        "u2": CustomerTotals(1, 7.0),
        "u3": CustomerTotals(0, 0.0),
    }


def test_expected_totals_on_a_small_generation() -> None:
    recs = records(customers=30, bad_share=0.05, batch_share=0.5)
    by_user: dict[str, dict[str, float]] = {}
    for _, event in events(recs):
        if event.get("userId"):
            by_user.setdefault(event["userId"], {})
    for _, event in orders(recs):
        if event.get("userId"):
            by_user[event["userId"]][event["properties"]["order_id"]] = event["properties"]["total"]
    totals = expected_totals(recs)
    assert totals == {
        user: CustomerTotals(len(o), round(sum(o.values()), 2)) for user, o in by_user.items()
    }
    assert any(t.orders_count >= 2 for t in totals.values())
    assert any(t.orders_count == 0 for t in totals.values())
