"""What a generation should leave behind: distinct orders and spend per loyalty id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from streams.local.demo.records import GeneratedRecord


@dataclass(frozen=True, slots=True)
class CustomerTotals:
    orders_count: int
    total_spent: float


def expected_totals(records: Iterable[GeneratedRecord]) -> dict[str, CustomerTotals]:
    """Per-userId distinct orders and spend, from the valid records, following identify links."""
    links: dict[str, str] = {}
    orders: list[tuple[str | None, str | None, str, float]] = []
    users: set[str] = set()
    for record in records:
        if not record.valid:
            continue
        document = orjson.loads(record.value)
        for event in document.get("batch", [document]):
            user_id, anonymous_id = event.get("userId"), event.get("anonymousId")
            if user_id:
                users.add(user_id)
                if anonymous_id:
                    links[anonymous_id] = user_id
            if event.get("event") == "Order Completed":
                props = event["properties"]
                orders.append((user_id, anonymous_id, props["order_id"], float(props["total"])))
    spent: dict[str, dict[str, float]] = {user_id: {} for user_id in users}
    for user_id, anonymous_id, order_id, total in orders:
        owner = user_id or links.get(anonymous_id or "")
        if owner:
            spent[owner].setdefault(order_id, total)
    return {
        user_id: CustomerTotals(len(by_order), round(sum(by_order.values()), 2))
        for user_id, by_order in spent.items()
    }
