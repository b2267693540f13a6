"""The input event contract of PRODUCT.md, as typed values.

Events arrive as Segment-spec JSON. The parser (:mod:`models.parsing`) turns
them into these frozen values, so the rest of the engine never touches raw
dictionaries or re-checks types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from models.identity import Identity


class CallType(StrEnum):
    TRACK = "track"
    IDENTIFY = "identify"
    PAGE = "page"
    SCREEN = "screen"


class Channel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    STORE = "store"


class EventKind(StrEnum):
    """What an event means to the engine. ``OTHER`` covers custom track events."""

    PAGE = "page"
    SCREEN = "screen"
    IDENTIFY = "identify"
    PRODUCT_VIEWED = "Product Viewed"
    PRODUCTS_SEARCHED = "Products Searched"
    CONSENT_UPDATED = "Consent Updated"
    PRODUCT_ADDED = "Product Added"
    PRODUCT_REMOVED = "Product Removed"
    CART_VIEWED = "Cart Viewed"
    CHECKOUT_STARTED = "Checkout Started"
    ORDER_COMPLETED = "Order Completed"
    STOCK_UPDATED = "Stock Updated"
    ERASURE_REQUESTED = "Erasure Requested"
    OTHER = "other"


TRACK_KINDS: dict[str, EventKind] = {
    kind.value: kind
    for kind in EventKind
    if kind not in (EventKind.PAGE, EventKind.SCREEN, EventKind.IDENTIFY, EventKind.OTHER)
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CONSENT_CHANNELS: tuple[str, ...] = ("email", "sms", "push", "ads")


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    category: str | None = None
    name: str | None = None
    brand: str | None = None
    price: float | None = None
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    total: float
    currency: str | None
    store_id: str | None


# The store id of online stock (a ``Stock Updated`` from web or mobile with no store):
# "." is no valid store id (:func:`models.json_fields.checked_id`), so no store shares it.
ONLINE_STOCK = "."


@dataclass(frozen=True, slots=True)
class StockLevel:
    store_id: str  # ONLINE_STOCK for the online shop's stock
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Event:
    """One valid event. ``properties`` keeps the raw fields for custom events."""

    message_id: str
    call: CallType
    kind: EventKind
    name: str | None
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    channel: Channel
    properties: dict[str, Any] = field(default_factory=dict)
    products: tuple[Product, ...] = ()
    order: Order | None = None
    stock: StockLevel | None = None
    consent: dict[str, bool] = field(default_factory=dict)
    query: str | None = None
    # The event came with a userId from a source not trusted to link it to its
    # anonymousId (:mod:`models.identity_trust`): it was kept as the visitor's.
    link_refused: bool = False
    # context.timezone when it names a zone zoneinfo knows; else why it was ignored.
    timezone: str | None = None
    timezone_ignored: str | None = None

    # Derived once: sorting, dedupe scores, clocks and timers read them many times per event.
    event_time_ms: int = field(init=False, repr=False, compare=False)
    # The key this event is stored under: ``userId`` first, else ``anonymousId``;
    # None for events about no person (anonymous till sales, stock updates).
    identity: Identity | None = field(init=False, repr=False, compare=False)
    # Events of one batch are applied in this order, whatever order they arrived in.
    order_key: tuple[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        event_time_ms = (self.timestamp - _EPOCH) // timedelta(milliseconds=1)
        object.__setattr__(self, "event_time_ms", event_time_ms)
        object.__setattr__(self, "identity", Identity.of(self.user_id, self.anonymous_id))
        object.__setattr__(self, "order_key", (event_time_ms, self.message_id))
