"""The typed pieces of a customer context and their storage encoding.

Every piece is a flat frozen dataclass of JSON scalars and tuples, so one
generic codec stores them: as a JSON array of the field values in field order
(schema 3: a context is read on every batch of its person and kept per
customer in Redis, so field names repeated in every piece cost bytes and
time). Readers still take the objects keyed by field name that earlier
schemas stored. Fields are only ever added at the end, with a default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


VIEW_TIMES = 10


@dataclass(frozen=True, slots=True)
class ViewedProduct:
    product_id: str
    category: str | None
    last_viewed_ms: int
    views: int = 1
    # Times of the latest views, newest first, capped at VIEW_TIMES: enough to count
    # views within a window (browse abandonment, web-to-store). Contexts stored
    # before this field load with none, so their older views never count as recent.
    # Left out of ==, which stays on the summary above that callers already compare;
    # the stored JSON includes it, so canonical bytes still tell two contexts apart.
    view_times_ms: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Search:
    query: str
    searched_ms: int

    @property
    def key(self) -> str:
        return self.query.casefold()


@dataclass(frozen=True, slots=True)
class Affinity:
    """A decayed sum of weights, valid at ``as_of_ms``: decaying it further is exact."""

    score: float
    as_of_ms: int


@dataclass(frozen=True, slots=True)
class BasketItem:
    product_id: str
    quantity: int
    price: float | None
    # Event time of the latest add: an order at or after it covers the item.
    added_ms: int
    channel: str


@dataclass(frozen=True, slots=True)
class Basket:
    items: tuple[BasketItem, ...] = ()
    updated_ms: int | None = None

    @property
    def value(self) -> float:
        return round(sum((item.price or 0.0) * item.quantity for item in self.items), 2)

    @property
    def channel(self) -> str | None:
        """Where the basket was last built: the channel of its latest add."""
        if not self.items:
            return None
        return max(self.items, key=lambda item: (item.added_ms, item.channel)).channel


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """What is remembered of one order: enough to deduplicate, merge and settle baskets."""

    order_id: str
    # Cents keep sums exact, so totals do not depend on the order of folding or merging.
    total_cents: int
    at_ms: int
    channel: str
    store_id: str | None
    product_ids: tuple[str, ...] = ()
    # One entry per product line with a category: the purchase weight it earned,
    # taken back when a merge finds the order counted on both sides.
    categories: tuple[str, ...] = ()

    def covers(self, item: BasketItem) -> bool:
        """An order listing no products settles the whole basket."""
        listed = not self.product_ids or item.product_id in self.product_ids
        return listed and item.added_ms <= self.at_ms


@dataclass(frozen=True, slots=True)
class PurchasedProduct:
    product_id: str
    category: str | None
    last_bought_ms: int


@dataclass(frozen=True, slots=True)
class StoreVisits:
    """Till purchases in one store."""

    orders: int
    last_order_ms: int


@dataclass(frozen=True, slots=True)
class ConsentChoice:
    granted: bool
    updated_ms: int


P = TypeVar("P", bound="DataclassInstance")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def encode(part: DataclassInstance) -> list[Any]:
    return [
        list(value) if isinstance(value := getattr(part, name), tuple) else value
        for name in field_names(type(part))
    ]


def decode(cls: type[P], obj: list[Any] | dict[str, Any]) -> P:
    names = field_names(cls)
    if isinstance(obj, list):
        # Values past the known fields are a newer writer's additions: ignored.
        return cls(*(tuple(v) if isinstance(v, list) else v for v in obj[: len(names)]))
    # Schema 2 and before: an object keyed by field name; unknown keys are ignored.
    return cls(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in obj.items()
            if key in names
        }
    )


def encode_all(parts: Iterable[DataclassInstance]) -> list[list[Any]]:
    return [encode(part) for part in parts]


def decode_all(cls: type[P], objs: Iterable[list[Any] | dict[str, Any]]) -> tuple[P, ...]:
    return tuple(decode(cls, obj) for obj in objs)


def encode_map(parts: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: encode(part) for key, part in parts.items()}


def decode_map(cls: type[P], objs: dict[str, Any]) -> dict[str, P]:
    return {key: decode(cls, obj) for key, obj in objs.items()}
