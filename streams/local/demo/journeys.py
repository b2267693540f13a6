"""Seeded customer journeys across web, mobile and store, as Kafka records.

``generate`` is pure and deterministic for given options, so tests can use it
without a broker; ``streams.local.generator`` publishes the records to Kafka.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from config import TopicNames
from streams.local.demo.catalogue import BY_CATEGORY, CATEGORIES, PRODUCTS, STORES, CatalogueProduct

WINDOW = timedelta(hours=1)
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


@dataclass(frozen=True, slots=True)
class GeneratedRecord:
    topic: str
    key: bytes | None
    value: bytes
    valid: bool
    reason: str | None


@dataclass(frozen=True)
class GeneratorOptions:
    customers: int = 100
    seed: int = 42
    bad_share: float = 0.01
    batch_share: float = 0.0
    start: datetime | None = None
    topics: TopicNames = field(default_factory=TopicNames)

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise ValueError("customers must be >= 0")
        if not 0.0 <= self.bad_share < 1.0:
            raise ValueError("bad_share must be in [0, 1)")
        if not 0.0 <= self.batch_share <= 1.0:
            raise ValueError("batch_share must be in [0, 1]")


@dataclass(frozen=True, slots=True)
class CustomerTotals:
    orders_count: int
    total_spent: float


Items = list[tuple[CatalogueProduct, int]]


@dataclass(slots=True)
class _Draft:
    at: float
    topic: str
    event: dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _key(event: Mapping[str, Any]) -> bytes | None:
    person = event.get("userId") or event.get("anonymousId")
    return person.encode() if person else None


def _order(order_id: str, items: Items) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "total": round(sum(product.price * qty for product, qty in items), 2),
        "currency": "EUR",
        "products": [product.as_properties(qty) for product, qty in items],
    }


class _Journey:
    """One person's events on one device, at offsets in seconds from the journey start."""

    def __init__(self, sim: _Simulation, channel: str) -> None:
        self.sim = sim
        self.channel = channel
        self.anonymous_id = sim.uid()
        self.user_id: str | None = None
        self.t = 0.0
        self.drafts: list[_Draft] = []

    def emit(self, topic: str, gap: float, call: str, **parts: Any) -> None:
        self.t += gap
        ids = {"userId": self.user_id, "anonymousId": self.anonymous_id}
        self.drafts.append(_Draft(self.t, topic, self.sim.event(call, self.channel, ids, **parts)))

    def track(self, topic: str, gap: float, name: str, properties: dict[str, Any]) -> None:
        self.emit(topic, gap, "track", event=name, properties=properties)

    def view(self, gap: float, title: str, path: str) -> None:
        if self.channel == "web":
            props = {"url": f"https://shop.example.com{path}", "path": path, "title": title}
            self.emit(self.sim.topics.clickstream, gap, "page", name=title, properties=props)
        else:
            props = {"name": title}
            self.emit(self.sim.topics.clickstream, gap, "screen", name=title, properties=props)


class _Simulation:
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

    def stock_level(
        self,
        at: float,
        store_id: str,
        product: CatalogueProduct,
        delta: int = 0,
        reset: bool = False,
    ) -> _Draft:
        key = (store_id, product.product_id)
        known = key in self.stock and not reset
        level = max(0, (self.stock[key] if known else self.rng.randint(2, 40)) + delta)
        self.stock[key] = level
        props = {"store_id": store_id, "product_id": product.product_id, "quantity": level}
        event = self.event("track", "store", {}, event="Stock Updated", properties=props)
        return _Draft(at, self.topics.inventory, event)

    def till_sale(
        self, at: float, store_id: str, user_id: str | None, items: Items
    ) -> list[_Draft]:
        props = _order(f"till-{store_id[-3:]}-{self.rng.getrandbits(40):010x}", items)
        props["store_id"] = store_id
        ids = {"userId": user_id}
        order = self.event("track", "store", ids, event="Order Completed", properties=props)
        return [_Draft(at, self.topics.store_checkouts, order)] + [
            self.stock_level(at + self.rng.uniform(1, 30), store_id, product, -qty)
            for product, qty in items
        ]

    def customer(self) -> list[_Draft]:
        rng, clickstream = self.rng, self.topics.clickstream
        journey = _Journey(self, "web" if rng.random() < 0.6 else "mobile")
        user_id = self._new_user_id() if rng.random() < 0.75 else None
        favourite = rng.choice(CATEGORIES)
        home_store = rng.choice(STORES).store_id
        shortlist = [*rng.sample(BY_CATEGORY[favourite], k=3), rng.choice(PRODUCTS)]
        if rng.random() < 0.5:
            journey.drafts.append(
                self.stock_level(0.0, home_store, shortlist[0], rng.randint(0, 5))
            )
        journey.view(rng.uniform(0, 5), "Home", "/")
        if rng.random() < 0.4:
            query = rng.choice((favourite, shortlist[0].brand, shortlist[0].name.lower()))
            journey.track(clickstream, rng.uniform(5, 40), "Products Searched", {"query": query})
        viewed: list[CatalogueProduct] = []
        for _ in range(rng.randint(2, 8)):
            product = rng.choice(shortlist)
            journey.view(rng.uniform(5, 60), product.name, f"/p/{product.product_id}")
            journey.track(
                clickstream, rng.uniform(0.2, 2), "Product Viewed", product.as_properties()
            )
            viewed.append(product)
        if user_id is not None:
            journey.user_id = user_id
            journey.emit(clickstream, rng.uniform(5, 60), "identify", traits={"loyalty": True})
        if rng.random() < (0.6 if user_id else 0.2):
            odds = {"email": 0.7, "sms": 0.4, "push": 0.5, "ads": 0.6}
            consent = {channel: rng.random() < p for channel, p in odds.items()}
            journey.track(clickstream, rng.uniform(2, 20), "Consent Updated", consent)
        if rng.random() < 0.65:
            self._basket(journey, list(dict.fromkeys(viewed)), home_store)
        if user_id is not None and rng.random() < 0.35:
            for _ in range(rng.randint(1, 2)):
                store_id = home_store if rng.random() < 0.8 else rng.choice(STORES).store_id
                journey.t += rng.uniform(120, 900)
                journey.drafts += self.till_sale(journey.t, store_id, user_id, self.random_items())
        return journey.drafts

    def random_items(self) -> Items:
        return self.items(BY_CATEGORY[self.rng.choice(CATEGORIES)])

    def _new_user_id(self) -> str:
        while (user_id := f"loyalty-{self.rng.randrange(10**12):012d}") in self.user_ids:
            pass
        self.user_ids.add(user_id)
        return user_id

    def _basket(self, journey: _Journey, viewed: list[CatalogueProduct], store_id: str) -> None:
        rng, topic = self.rng, self.topics.basket
        items = self.items(viewed)
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
            order = _order(f"ord-{rng.getrandbits(64):016x}", items)
            journey.track(topic, rng.uniform(30, 240), "Order Completed", order)
        elif outcome == "store" and journey.user_id is not None:
            journey.t += rng.uniform(180, 1500)
            journey.drafts += self.till_sale(journey.t, store_id, journey.user_id, items)


def _records(
    drafts: list[_Draft], base: datetime, room: float, batch: bool, sim: _Simulation
) -> Iterator[tuple[datetime, GeneratedRecord]]:
    """Stamp a journey's drafts (squeezed into ``room`` seconds) and pack them into records."""
    duration = max((draft.at for draft in drafts), default=0.0)
    scale = min(1.0, room / duration) if duration > 0 else 1.0
    drafts = sorted(drafts, key=lambda draft: draft.at)
    for draft in drafts:
        draft.event["timestamp"] = _iso(base + timedelta(seconds=draft.at * scale))
    batchable = (sim.topics.clickstream, sim.topics.basket)
    index = 0
    while index < len(drafts):
        head = drafts[index]
        group = [head]
        packed = batch and head.topic in batchable
        if packed:
            same = (head.topic, _key(head.event))
            for draft in drafts[index + 1 : index + sim.rng.randint(2, 8)]:
                if (draft.topic, _key(draft.event)) != same:
                    break
                group.append(draft)
        index += len(group)
        at = base + timedelta(seconds=group[-1].at * scale)
        if packed:
            at += timedelta(seconds=sim.rng.uniform(0.2, 2.0))
            value = orjson.dumps({"batch": [draft.event for draft in group], "sentAt": _iso(at)})
        else:
            value = orjson.dumps(head.event)
        yield at, GeneratedRecord(head.topic, _key(head.event), value, True, None)


def _malformed(
    reason: str, rng: random.Random, after: GeneratedRecord, at: datetime
) -> GeneratedRecord:
    body: dict[str, Any] = {
        "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "timestamp": _iso(at),
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
            body["timestamp"] = _iso(FAR_FUTURE + timedelta(seconds=rng.randrange(365 * 86400)))
        else:
            body["properties"]["notes"] = "x" * (OVERSIZED_BYTES + rng.randrange(1024, 40 * 1024))
        value = orjson.dumps(body)
    return GeneratedRecord(after.topic, after.key, value, False, reason)


def generate(options: GeneratorOptions) -> Iterator[GeneratedRecord]:
    """Yield the records of ``options.customers`` journeys in event-time order.

    Journeys start within the first 45 minutes of a one-hour window from ``start`` and
    are squeezed to end inside it; a few anonymous till sales and stock updates are
    spread over the window. Malformed records follow valid ones at ``bad_share``.
    """
    rng = random.Random(options.seed)
    bad_rng = random.Random(rng.getrandbits(64))
    start = options.start or datetime.now(UTC) - WINDOW
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    span = WINDOW.total_seconds()
    sim = _Simulation(rng, options.topics)
    actors = [(rng.uniform(0, 0.75 * span), "customer") for _ in range(options.customers)]
    actors += [(rng.uniform(0, span), "till") for _ in range(-(-options.customers // 20))]
    actors += [(rng.uniform(0, span), "stock") for _ in range(options.customers // 4)]
    actors.sort()
    ratio = options.bad_share / (1.0 - options.bad_share)
    debt = bad_rng.random() if ratio else 0.0
    reasons = itertools.cycle(bad_rng.sample(BAD_REASONS, k=len(BAD_REASONS)))
    heap: list[tuple[datetime, int, GeneratedRecord]] = []
    seq = itertools.count()

    def due(until: datetime | None) -> Iterator[GeneratedRecord]:
        nonlocal debt
        while heap and (until is None or heap[0][0] <= until):
            at, _, record = heapq.heappop(heap)
            yield record
            debt += ratio
            while debt >= 1.0:
                debt -= 1.0
                yield _malformed(next(reasons), bad_rng, record, at)

    for offset, kind in actors:
        base = start + timedelta(seconds=offset)
        yield from due(base)
        batch = False
        if kind == "customer":
            drafts = sim.customer()
            batch = rng.random() < options.batch_share
        elif kind == "till":
            drafts = sim.till_sale(0.0, rng.choice(STORES).store_id, None, sim.random_items())
        else:
            store_id, product = rng.choice(STORES).store_id, rng.choice(PRODUCTS)
            drafts = [sim.stock_level(0.0, store_id, product, reset=True)]
        for at, record in _records(drafts, base, span - offset, batch, sim):
            heapq.heappush(heap, (at, next(seq), record))
    yield from due(None)


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
