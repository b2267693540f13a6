"""Store-side journeys: till sales (with a loyalty id or none) and stock level updates."""

from __future__ import annotations

from streams.local.demo.catalogue import CatalogueProduct
from streams.local.demo.records import Draft
from streams.local.demo.simulation import Items, Simulation, order_properties


def stock_level(
    sim: Simulation,
    at: float,
    store_id: str,
    product: CatalogueProduct,
    delta: int = 0,
    reset: bool = False,
) -> Draft:
    key = (store_id, product.product_id)
    known = key in sim.stock and not reset
    level = max(0, (sim.stock[key] if known else sim.rng.randint(2, 40)) + delta)
    sim.stock[key] = level
    props = {"store_id": store_id, "product_id": product.product_id, "quantity": level}
    event = sim.event("track", "store", {}, event="Stock Updated", properties=props)
    return Draft(at, sim.topics.inventory, event)


def till_sale(
    sim: Simulation, at: float, store_id: str, user_id: str | None, items: Items
) -> list[Draft]:
    props = order_properties(f"till-{store_id[-3:]}-{sim.rng.getrandbits(40):010x}", items)
    props["store_id"] = store_id
    ids = {"userId": user_id}
    order = sim.event("track", "store", ids, event="Order Completed", properties=props)
    return [Draft(at, sim.topics.store_checkouts, order)] + [
        stock_level(sim, at + sim.rng.uniform(1, 30), store_id, product, -qty)
        for product, qty in items
    ]
