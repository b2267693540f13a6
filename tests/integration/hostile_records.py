"""Hostile input with an oracle: what ``test_hostile_input.py`` publishes to the real worker.

Every record is made of items: one for a single-event record, one per member for a
batch record. A hostile item names the dead-letter reasons it may get; a valid item
names the person it counts for, so the contexts in Redis can be checked against
:class:`Oracle`. Records are generated from a seed, fast (no parser involved).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from models.bounds import (
    MAX_AMOUNT,
    MAX_CATEGORY_CHARS,
    MAX_ID_CHARS,
    MAX_QUANTITY,
    MAX_TEXT_CHARS,
)
from models.identity import Identity
from streams.local.demo.malformed import BAD_REASONS, malformed_record
from streams.local.demo.records import GeneratedRecord, iso

INPUT_TOPICS = ("clickstream", "basket", "store_checkouts", "inventory")
# Ids the parser accepts although they hold what keys, members and URLs treat specially.
ODD_IDS = ("x|y", "*", "a:b", "a/b", "50%", "é 漢字", "two words")
# Ids it refuses (invalid_id): braces, control characters, dot segments, too long.
BAD_IDS = ("a{b}", "{x}", "}", "a\x00b", "a\nb", "\x7f", ".", "..", "i" * (MAX_ID_CHARS + 1))


@dataclass(frozen=True)
class Item:
    reasons: frozenset[str] = frozenset()  # the dead-letter reasons it may get; none: valid
    person: Identity | None = None  # a valid item: whose context it counts in
    message_id: str = ""
    order: tuple[str, int] | None = None  # a valid order: its id and total in cents


@dataclass
class Record:
    topic: str  # an attribute of TopicNames
    key: bytes | None
    value: bytes | None
    items: list[Item]
    batch: bool = False


@dataclass
class Oracle:
    """Per person: the messageIds and orders (id -> cents) their context must hold."""

    messages: dict[Identity, set[str]] = field(default_factory=lambda: defaultdict(set))
    orders: dict[Identity, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, item: Item) -> None:
        assert item.person is not None
        self.messages[item.person].add(item.message_id)
        if item.order is not None:
            self.orders[item.person][item.order[0]] = item.order[1]


def dead(*reasons: str) -> Item:
    return Item(frozenset(reasons))


class HostileInput:
    """Generates the records; ``run`` keeps every id unique to one test run."""

    def __init__(self, run: str, seed: int, now: datetime) -> None:
        self.run, self.rng, self.now = run, random.Random(seed), now
        self.category = f"cat-{run}"
        self.injected = f"INJECTED-{run}"
        self.people = [self._person(index) for index in range(120)]
        self._serial = 0

    def _person(self, index: int) -> Identity:
        odd = ODD_IDS[index % len(ODD_IDS)]
        value = f"{odd}-{self.run}-{index}"
        if index % 10 == 9:  # the longest id the alphabet allows
            value = value.ljust(MAX_ID_CHARS, "z")
        return Identity.anonymous(value) if index % 4 == 3 else Identity.user(value)

    def _id(self) -> str:
        self._serial += 1
        return f"{self.run}-{self._serial}"

    def _envelope(self, who: Identity, channel: str = "web") -> dict[str, Any]:
        # Within the last hour: the trends window the API reads.
        minutes = self.rng.uniform(1, 50)
        return {
            "messageId": f"m-{self._id()}",
            "type": "track",
            "userId" if who.user_id else "anonymousId": who.value,
            "timestamp": iso(self.now - timedelta(minutes=minutes)),
            "context": {"channel": channel},
        }

    # ------------------------------------------------------------------ valid events

    def valid(self) -> tuple[str, dict[str, Any], Item]:
        """(topic, event, item): a valid event of one of the people, numbers up to their
        bounds, a category holding '|' that must forge no trending product."""
        who = self.rng.choice(self.people)
        roll = self.rng.random()
        order = None
        if roll < 0.25:
            topic, doc = "clickstream", self._envelope(who)
            category = f"{self.category}|{self.injected}"
            doc |= {"event": "Product Viewed", "properties": self._product(category)}
        elif roll < 0.45:
            topic, doc = "basket", self._envelope(who, self.rng.choice(["web", "mobile"]))
            product = self._product("c" * MAX_CATEGORY_CHARS)
            product["quantity"] = self.rng.choice([1, 2, MAX_QUANTITY])
            doc |= {"event": "Product Added", "properties": product}
        elif roll < 0.65:
            store = self.rng.random() < 0.5
            topic = "store_checkouts" if store else "basket"
            doc = self._envelope(who, "store" if store else "web")
            total = self.rng.choice([0, 0.01, 19.99, 1234.5, MAX_AMOUNT])
            properties: dict[str, Any] = {
                "order_id": f"o-{self._id()}",
                "total": total,
                "products": [self._product("shoes") for _ in range(self.rng.randint(0, 3))],
            }
            if store:
                properties["store_id"] = f"s|{self.rng.randint(1, 3)}"
            doc |= {"event": "Order Completed", "properties": properties}
            order = (properties["order_id"], round(total * 100))
        elif roll < 0.8:
            topic, doc = "clickstream", self._envelope(who)
            doc |= {"event": "Products Searched", "properties": {"query": "q" * MAX_TEXT_CHARS}}
        else:
            topic, doc = "clickstream", self._envelope(who)
            doc |= {"type": "page", "properties": {"url": "/x?" + "y" * 100}}
        return topic, doc, Item(person=who, message_id=doc["messageId"], order=order)

    def _product(self, category: str) -> dict[str, Any]:
        return {
            "product_id": f"p|{self.rng.randint(1, 20)}-{self.run}",
            "category": category,
            "price": self.rng.choice([0, 9.99, MAX_AMOUNT]),
        }

    # ------------------------------------------------------------------ hostile events

    def base(self) -> dict[str, Any]:
        """A valid Product Added of nobody in the oracle, for mutations to spoil."""
        doc = self._envelope(Identity.user(f"h-{self.run}"))
        return doc | {"event": "Product Added", "properties": self._product("hats")}

    def hostile_event(self) -> tuple[dict[str, Any], frozenset[str]]:
        """A JSON event that the parser must refuse, and why."""
        doc = self.base()
        mutate, reason = self.rng.choice(_MUTATIONS)
        mutate(self, doc)
        return doc, frozenset({reason})

    def hostile_raw(self) -> tuple[bytes | None, frozenset[str]]:
        """Bytes that are not a valid event as a whole, and the reasons they may get."""
        kind = self.rng.randrange(10)
        rng = self.rng
        good = orjson.dumps(self.base())
        if kind == 0:
            return rng.randbytes(rng.randint(1, 200)), _UNDECODABLE
        if kind == 1:
            return good[: rng.randint(0, len(good) - 1)], frozenset({"not_json", "not_utf8"})
        if kind == 2:
            depth = rng.randint(1025, 3000)
            return b'{"a":' + b"[" * depth + b"]" * depth + b"}", frozenset({"not_json"})
        if kind == 3:
            literal = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"1e400"])
            return good.replace(b'"price":', b'"price":' + literal + b',"x":'), _NOT_JSON
        if kind == 4:  # duplicate keys: the last one wins, and it is wrong
            bad, reason = rng.choice(_DUPLICATE_KEYS)
            return good[:-1] + b"," + bad + b"}", frozenset({reason})
        if kind == 5:  # a lone surrogate, escaped or as raw (CESU-8) bytes
            escaped = rng.random() < 0.5
            surrogate = b"\\ud800" if escaped else b"\xed\xa0\x80"
            value = good.replace(b'"Product Added"', b'"Product' + surrogate + b'"')
            return value, frozenset({"not_json"} if escaped else {"not_utf8"})
        if kind == 6:  # huge arrays and strings
            if rng.random() < 0.8:
                doc = self.base() | {"properties": {"products": [{"product_id": "p"}] * 101}}
            else:
                doc = self.base() | {"properties": {"notes": "x" * 33_000}}
            return orjson.dumps(doc), frozenset({"too_large"})
        if kind == 7:
            return None, frozenset({"not_json"})  # a tombstone
        if kind == 8:
            return orjson.dumps(rng.choice([[1, 2], "page", 42, None, True])), _NOT_OBJECT
        doc, reasons = self.hostile_event()
        return orjson.dumps(doc), reasons

    def demo_malformed(self) -> tuple[bytes, frozenset[str]]:
        """One of the demo generator's malformed records (not the 600 KB one: too slow)."""
        reason = self.rng.choice([r for r in BAD_REASONS if r != "too_large"])
        after = GeneratedRecord("clickstream", None, b"", True, None)
        made = malformed_record(reason, self.rng, after, self.now)
        return made.value, frozenset({reason})

    def huge(self) -> tuple[bytes, frozenset[str]]:
        """A record over MAX_RECORD_BYTES."""
        doc = self.base() | {"properties": {"blob": "x" * 600_000}}
        return orjson.dumps(doc), frozenset({"too_large"})


_UNDECODABLE = frozenset({"not_utf8", "not_json", "not_object"})
_DUPLICATE_KEYS = [
    (b'"messageId":5', "bad_type"),
    (b'"userId":"a{b}"', "invalid_id"),
    (b'"timestamp":"never"', "bad_timestamp"),
]
_NOT_JSON = frozenset({"not_json"})
_NOT_OBJECT = frozenset({"not_object"})


def _set(path: str, value: Any) -> Callable[[HostileInput, dict[str, Any]], None]:
    def apply(_input: HostileInput, doc: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = doc
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value

    return apply


def _drop(key: str) -> Callable[[HostileInput, dict[str, Any]], None]:
    return lambda _input, doc: doc.pop(key, None) and None


def _future(hostile: HostileInput, doc: dict[str, Any]) -> None:
    doc["timestamp"] = iso(hostile.now + timedelta(days=3))


# Wrong types in every field, missing fields, bad values, ids and numbers out of bounds.
_MUTATIONS: list[tuple[Callable[[HostileInput, dict[str, Any]], None], str]] = [
    *(
        (_set(path, value), "bad_type")
        for path, value in [
            ("messageId", 7),
            ("type", ["track"]),
            ("event", 3.5),
            ("userId", 42),
            ("anonymousId", {"a": 1}),
            ("context", "web"),
            ("context.channel", 1),
            ("properties", [1]),
            ("properties.product_id", 1.5),
            ("properties.price", "9.99"),
            ("properties.quantity", 2.0),
            ("properties.category", 5),
            ("properties.name", True),
        ]
    ),
    (_set("timestamp", 1717236000), "bad_timestamp"),
    (_set("timestamp", "2024-13-45T25:61:00Z"), "bad_timestamp"),
    (_set("timestamp", "2024-06-01T11:00:00"), "bad_timestamp"),
    (_future, "future_timestamp"),
    (_drop("messageId"), "missing_field"),
    (_drop("context"), "missing_field"),
    (_set("properties.product_id", None), "missing_field"),
    (_set("type", "alias"), "bad_value"),
    (_set("context.channel", "tv"), "bad_value"),
    (_set("properties.quantity", 0), "bad_value"),
    (_set("properties.price", -1), "bad_value"),
    (_set("properties.price", 1e300), "out_of_range"),
    (_set("properties.price", MAX_AMOUNT + 1), "out_of_range"),
    (_set("properties.quantity", 2**63), "out_of_range"),
    (_set("properties.quantity", MAX_QUANTITY + 1), "out_of_range"),
    (_set("properties.category", "c" * (MAX_CATEGORY_CHARS + 1)), "too_large"),
    *((_set("userId", bad), "invalid_id") for bad in BAD_IDS),
    *((_set("anonymousId", bad), "invalid_id") for bad in BAD_IDS[:4]),
    *((_set("properties.product_id", bad), "invalid_id") for bad in BAD_IDS[:4]),
]
