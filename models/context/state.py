"""The stored form of a customer context and its canonical JSON encoding.

Only facts are stored; everything derived from them and the clock (lifecycle
stage, decayed affinity, RFM) is computed at read time by :mod:`.document`.
The JSON keys are the field names below; a reader fills keys missing from an
older schema with their defaults, so stored contexts survive an upgrade.

Schema 3 is compact, since every customer's context is kept in Redis and read
on every batch of theirs: keys holding their default (null, 0, empty) are left
out, pieces are arrays of their field values (:mod:`.parts`), and a merged
visitor id that is also among ``anonymous_ids`` is stored as its index there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from models.context.parts import (
    Affinity,
    Basket,
    BasketItem,
    ConsentChoice,
    OrderRecord,
    PurchasedProduct,
    Search,
    StoreVisits,
    ViewedProduct,
    decode,
    decode_all,
    decode_map,
    encode,
    encode_all,
    encode_map,
)
from models.context.stored import pack, unpack
from models.context.timezone import ZoneChoice

# 2: interests, basket, purchases, consent and merged visitors. Contexts stored by
# earlier versions may carry a ``contacts`` key, never filled: readers ignore it.
# 3: compact (defaults left out, pieces as arrays, merged visitors by index).
# 4: the customer's time zone, ``timezone`` = [zone, updated_ms]; absent before (no zone).
SCHEMA_VERSION = 4


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """One person's context. Dict fields are never mutated after construction."""

    user_id: str | None = None
    anonymous_ids: tuple[str, ...] = ()
    # Visitors already absorbed by :func:`merge`, so merging one again is a no-op.
    merged_anonymous_ids: tuple[str, ...] = ()
    first_seen_ms: int | None = None
    last_seen_ms: int | None = None
    last_channel: str | None = None
    events_total: int = 0
    events_by_type: dict[str, int] = field(default_factory=dict)
    events_by_channel: dict[str, int] = field(default_factory=dict)

    recent_products: tuple[ViewedProduct, ...] = ()
    recent_searches: tuple[Search, ...] = ()
    category_affinity: dict[str, Affinity] = field(default_factory=dict)

    basket: Basket = field(default_factory=Basket)

    orders_count: int = 0
    total_spent_cents: int = 0
    first_order_ms: int | None = None
    last_order_ms: int | None = None
    last_order_channel: str | None = None
    online_orders: int = 0
    store_orders: int = 0
    recent_orders: tuple[OrderRecord, ...] = ()
    recent_purchases: tuple[PurchasedProduct, ...] = ()
    purchases_by_store: dict[str, StoreVisits] = field(default_factory=dict)

    consent: dict[str, ConsentChoice] = field(default_factory=dict)
    # From Segment's context.timezone; None: unknown, the rules' zone applies.
    timezone: ZoneChoice | None = None

    @property
    def total_spent(self) -> float:
        return self.total_spent_cents / 100

    @property
    def avg_order_value(self) -> float:
        if not self.orders_count:
            return 0.0
        return round(self.total_spent_cents / self.orders_count / 100, 2)

    def consented(self, channel: str) -> bool:
        choice = self.consent.get(channel)
        return choice is not None and choice.granted

    def to_json(self) -> bytes:
        """Canonical bytes: the same context always encodes the same way."""
        basket = self.basket
        document: dict[str, Any] = {
            "user_id": self.user_id,
            "anonymous_ids": list(self.anonymous_ids),
            "merged_anonymous_ids": _merged_refs(self.anonymous_ids, self.merged_anonymous_ids),
            "first_seen_ms": self.first_seen_ms,
            "last_seen_ms": self.last_seen_ms,
            "last_channel": self.last_channel,
            "events_total": self.events_total,
            "events_by_type": self.events_by_type,
            "events_by_channel": self.events_by_channel,
            "recent_products": encode_all(self.recent_products),
            "recent_searches": encode_all(self.recent_searches),
            "category_affinity": encode_map(self.category_affinity),
            "basket": (
                [encode_all(basket.items), basket.updated_ms]
                if basket.items or basket.updated_ms is not None
                else None
            ),
            "orders_count": self.orders_count,
            "total_spent_cents": self.total_spent_cents,
            "first_order_ms": self.first_order_ms,
            "last_order_ms": self.last_order_ms,
            "last_order_channel": self.last_order_channel,
            "online_orders": self.online_orders,
            "store_orders": self.store_orders,
            "recent_orders": encode_all(self.recent_orders),
            "recent_purchases": encode_all(self.recent_purchases),
            "purchases_by_store": encode_map(self.purchases_by_store),
            "consent": encode_map(self.consent),
            "timezone": None if self.timezone is None else encode(self.timezone),
        }
        kept = {key: value for key, value in document.items() if not _is_default(key, value)}
        return orjson.dumps({"schema": SCHEMA_VERSION, **kept}, option=orjson.OPT_SORT_KEYS)

    def to_stored(self) -> bytes:
        """What Redis keeps: the canonical JSON, packed (:mod:`.stored`)."""
        return pack(self.to_json())

    @classmethod
    def from_json(cls, raw: bytes | str) -> CustomerContext:
        """A context from its JSON, or from its stored form (either format)."""
        data: dict[str, Any] = orjson.loads(unpack(raw))
        basket_items, basket_updated_ms = _basket_parts(data.get("basket"))
        anonymous_ids = tuple(data.get("anonymous_ids", ()))
        return cls(
            user_id=data.get("user_id"),
            anonymous_ids=anonymous_ids,
            merged_anonymous_ids=tuple(
                anonymous_ids[ref] if isinstance(ref, int) else ref
                for ref in data.get("merged_anonymous_ids", ())
            ),
            first_seen_ms=data.get("first_seen_ms"),
            last_seen_ms=data.get("last_seen_ms"),
            last_channel=data.get("last_channel"),
            events_total=data.get("events_total", 0),
            events_by_type=dict(data.get("events_by_type", {})),
            events_by_channel=dict(data.get("events_by_channel", {})),
            recent_products=decode_all(ViewedProduct, data.get("recent_products", ())),
            recent_searches=decode_all(Search, data.get("recent_searches", ())),
            category_affinity=decode_map(Affinity, data.get("category_affinity", {})),
            basket=Basket(items=decode_all(BasketItem, basket_items), updated_ms=basket_updated_ms),
            orders_count=data.get("orders_count", 0),
            total_spent_cents=data.get("total_spent_cents", 0),
            first_order_ms=data.get("first_order_ms"),
            last_order_ms=data.get("last_order_ms"),
            last_order_channel=data.get("last_order_channel"),
            online_orders=data.get("online_orders", 0),
            store_orders=data.get("store_orders", 0),
            recent_orders=decode_all(OrderRecord, data.get("recent_orders", ())),
            recent_purchases=decode_all(PurchasedProduct, data.get("recent_purchases", ())),
            purchases_by_store=decode_map(StoreVisits, data.get("purchases_by_store", {})),
            consent=decode_map(ConsentChoice, data.get("consent", {})),
            timezone=None if data.get("timezone") is None else decode(ZoneChoice, data["timezone"]),
        )


def evolve(context: CustomerContext, **changes: Any) -> CustomerContext:
    """``dataclasses.replace`` for the fold's hot path, at about half its cost.

    Folding copies the context once per event. ``replace`` goes through the
    generated ``__init__``, which sets each frozen field with ``object.__setattr__``
    after checking every field's flags; this copies the slots directly. There is no
    ``__post_init__`` to run, and an unknown field is still a ``TypeError``.
    """
    if not _FIELD_NAMES.issuperset(changes):
        unknown = ", ".join(sorted(set(changes) - _FIELD_NAMES))
        raise TypeError(f"CustomerContext has no field {unknown}")
    copied = object.__new__(CustomerContext)
    for name, put, get in _SLOTS:
        put(copied, changes[name] if name in changes else get(context))
    return copied


# Each field's slot descriptor: setting through it skips the frozen __setattr__.
_SLOTS = tuple(
    (f.name, getattr(CustomerContext, f.name).__set__, getattr(CustomerContext, f.name).__get__)
    for f in fields(CustomerContext)
)
_FIELD_NAMES = frozenset(name for name, _put, _get in _SLOTS)


# Counters whose 0 is their default; an optional time of 0 is a time, not a default.
_COUNTERS = frozenset(
    ("events_total", "orders_count", "total_spent_cents", "online_orders", "store_orders")
)


def _is_default(key: str, value: Any) -> bool:
    return value is None or value == [] or value == {} or (key in _COUNTERS and value == 0)


def _merged_refs(anonymous_ids: tuple[str, ...], merged: tuple[str, ...]) -> list[str | int]:
    """Merged visitor ids, each also in ``anonymous_ids`` (most are) as its index there."""
    index = {anonymous_id: i for i, anonymous_id in enumerate(anonymous_ids)}
    return [index.get(visitor, visitor) for visitor in merged]


def _basket_parts(stored: Any) -> tuple[list[Any], int | None]:
    """Schema 3 stores ``[items, updated_ms]``; earlier ones ``{items, updated_ms}``."""
    if isinstance(stored, list):
        return stored[0], stored[1]
    stored = stored or {}
    return stored.get("items", []), stored.get("updated_ms")
