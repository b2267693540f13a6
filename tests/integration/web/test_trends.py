"""``/trends`` in process, over counts written by the real offer store."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.integration.web.api_support import AUTH, Shopper, serve, unique

pytestmark = pytest.mark.integration


def test_top_products_of_a_store_and_of_a_category(redis_url: str) -> None:
    store, category = unique("store"), unique("category")
    boots, laces = unique("BOOT"), unique("LACE")
    shopper = Shopper()
    shopper.track("Product Viewed", product_id=boots, category=category, price=120.0)
    shopper.track(
        "Order Completed",
        channel="store",
        store_id=store,
        order_id=unique("order"),
        total=130.0,
        currency="EUR",
        products=[
            {"product_id": boots, "category": category, "price": 120.0},
            {"product_id": laces, "price": 10.0},
        ],
    )

    async def scenario(client: Any, deps: Any) -> list[tuple[int, Any]]:
        await shopper.write(deps)
        answers = []
        for query in (f"store={store}", f"category={category}&limit=1"):
            response = await client.get(f"/trends?{query}", headers=AUTH)
            answers.append((response.status, orjson.loads(await response.read())))
        return answers

    (status, at_store), (by_category_status, by_category) = serve(redis_url, scenario)
    assert (status, by_category_status) == (200, 200)
    assert (at_store["window_seconds"], at_store["store"], at_store["category"]) == (
        3600,
        store,
        None,
    )
    assert [(p["product_id"], p["purchases"]) for p in at_store["products"]] == [
        (boots, 1),
        (laces, 1),
    ]
    assert [(p["product_id"], p["views"]) for p in by_category["products"]] == [(boots, 1)]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "limit must be between 1 and 100"),
        ("101", "limit must be between 1 and 100"),
        ("ten", "limit must be a whole number"),
    ],
)
def test_a_bad_limit_is_a_400(redis_url: str, limit: str, message: str) -> None:
    async def scenario(client: Any, _deps: Any) -> tuple[int, Any]:
        response = await client.get(f"/trends?limit={limit}", headers=AUTH)
        return response.status, orjson.loads(await response.read())

    assert serve(redis_url, scenario) == (400, {"error": {"code": "bad_limit", "message": message}})
