"""The state one generation shares across journeys: its random stream, topics, stock and ids."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from config import TopicNames
from streams.local.demo.catalogue import BY_CATEGORY, CATEGORIES, CatalogueProduct

Items = list[tuple[CatalogueProduct, int]]


def order_properties(order_id: str, items: Items) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "total": round(sum(product.price * qty for product, qty in items), 2),
        "currency": "EUR",
        "products": [product.as_properties(qty) for product, qty in items],
    }


class Simulation:
    def __init__(self, rng: random.Random, topics: TopicNames) -> None:
        self.rng = rng
        self.topics = topics
        self.stock: dict[tuple[str, str], int] = {}
        self.user_ids: set[str] = set()

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(
        self, call: str, channel: str, ids: Mapping[str, str | None], **parts: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"messageId": self.uid(), "type": call}
        body.update((k, v) for k, v in parts.items() if k in ("event", "name", "traits"))
        body.update((k, v) for k, v in ids.items() if v)
        body["context"] = {"channel": channel}
        body["properties"] = parts.get("properties", {})
        return body

    def items(self, pool: Sequence[CatalogueProduct], most: int = 3) -> Items:
        chosen = self.rng.sample(pool, k=self.rng.randint(1, min(most, len(pool))))
        return [(product, 1 if self.rng.random() < 0.8 else 2) for product in chosen]

    def random_items(self) -> Items:
        return self.items(BY_CATEGORY[self.rng.choice(CATEGORIES)])

    def new_user_id(self) -> str:
        while (user_id := f"loyalty-{self.rng.randrange(10**12):012d}") in self.user_ids:
            pass
        self.user_ids.add(user_id)
        return user_id
