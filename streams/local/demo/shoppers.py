"""A shopper's journey on web or mobile: browse, search, identify, consent, basket, order."""

from __future__ import annotations

from typing import Any

from streams.local.demo.catalogue import BY_CATEGORY, CATEGORIES, PRODUCTS, STORES, CatalogueProduct
from streams.local.demo.records import Draft
from streams.local.demo.simulation import Simulation, order_properties
from streams.local.demo.store import stock_level, till_sale


class Journey:
    """One person's events on one device, at offsets in seconds from the journey start."""

    def __init__(self, sim: Simulation, channel: str) -> None:
        self.sim = sim
        self.channel = channel
        self.anonymous_id = sim.uid()
        self.user_id: str | None = None
        self.t = 0.0
        self.drafts: list[Draft] = []

    def emit(self, topic: str, gap: float, call: str, **parts: Any) -> None:
        self.t += gap
        ids = {"userId": self.user_id, "anonymousId": self.anonymous_id}
        self.drafts.append(Draft(self.t, topic, self.sim.event(call, self.channel, ids, **parts)))

    def track(self, topic: str, gap: float, name: str, properties: dict[str, Any]) -> None:
        self.emit(topic, gap, "track", event=name, properties=properties)

    def view(self, gap: float, title: str, path: str) -> None:
        if self.channel == "web":
            props = {"url": f"https://shop.example.com{path}", "path": path, "title": title}
            self.emit(self.sim.topics.clickstream, gap, "page", name=title, properties=props)
        else:
            props = {"name": title}
            self.emit(self.sim.topics.clickstream, gap, "screen", name=title, properties=props)


def customer(sim: Simulation) -> list[Draft]:
    rng, clickstream = sim.rng, sim.topics.clickstream
    journey = Journey(sim, "web" if rng.random() < 0.6 else "mobile")
    user_id = sim.new_user_id() if rng.random() < 0.75 else None
    favourite = rng.choice(CATEGORIES)
    home_store = rng.choice(STORES).store_id
    shortlist = [*rng.sample(BY_CATEGORY[favourite], k=3), rng.choice(PRODUCTS)]
    if rng.random() < 0.5:
        journey.drafts.append(stock_level(sim, 0.0, home_store, shortlist[0], rng.randint(0, 5)))
    journey.view(rng.uniform(0, 5), "Home", "/")
    if rng.random() < 0.4:
        query = rng.choice((favourite, shortlist[0].brand, shortlist[0].name.lower()))
        journey.track(clickstream, rng.uniform(5, 40), "Products Searched", {"query": query})
    viewed: list[CatalogueProduct] = []
    for _ in range(rng.randint(2, 8)):
        product = rng.choice(shortlist)
        journey.view(rng.uniform(5, 60), product.name, f"/p/{product.product_id}")
        journey.track(clickstream, rng.uniform(0.2, 2), "Product Viewed", product.as_properties())
        viewed.append(product)
    if user_id is not None:
        journey.user_id = user_id
        journey.emit(clickstream, rng.uniform(5, 60), "identify", traits={"loyalty": True})
    if rng.random() < (0.6 if user_id else 0.2):
        odds = {"email": 0.7, "sms": 0.4, "push": 0.5, "ads": 0.6}
        consent = {channel: rng.random() < p for channel, p in odds.items()}
        journey.track(clickstream, rng.uniform(2, 20), "Consent Updated", consent)
    if rng.random() < 0.65:
        _basket(sim, journey, list(dict.fromkeys(viewed)), home_store)
    if user_id is not None and rng.random() < 0.35:
        for _ in range(rng.randint(1, 2)):
            store_id = home_store if rng.random() < 0.8 else rng.choice(STORES).store_id
            journey.t += rng.uniform(120, 900)
            journey.drafts += till_sale(sim, journey.t, store_id, user_id, sim.random_items())
    return journey.drafts


def _basket(
    sim: Simulation, journey: Journey, viewed: list[CatalogueProduct], store_id: str
) -> None:
    rng, topic = sim.rng, sim.topics.basket
    items = sim.items(viewed)
    for product, qty in items:
        journey.track(topic, rng.uniform(5, 45), "Product Added", product.as_properties(qty))
    if len(items) > 1 and rng.random() < 0.2:
        product, qty = items.pop(rng.randrange(len(items)))
        journey.track(topic, rng.uniform(5, 30), "Product Removed", product.as_properties(qty))
    cart = {"products": [product.as_properties(qty) for product, qty in items]}
    if rng.random() < 0.6:
        journey.track(topic, rng.uniform(5, 30), "Cart Viewed", cart)
    roll = rng.random()
    outcome = "abandon" if roll < 0.35 else "online" if roll < 0.65 else "store"
    if outcome == "store" and journey.user_id is None:
        outcome = "online"
    if outcome == "online" or rng.random() < 0.4:
        journey.track(topic, rng.uniform(5, 60), "Checkout Started", cart)
    if outcome == "online":
        order = order_properties(f"ord-{rng.getrandbits(64):016x}", items)
        journey.track(topic, rng.uniform(30, 240), "Order Completed", order)
    elif outcome == "store" and journey.user_id is not None:
        journey.t += rng.uniform(180, 1500)
        journey.drafts += till_sale(sim, journey.t, store_id, journey.user_id, items)
