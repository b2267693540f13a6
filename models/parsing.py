"""Raw Kafka record bytes -> valid events, or rejections with a stable reason code.

A record holds one event or a Segment batch (``{"batch": [...]}``). Each inner
event of a batch is validated on its own, so one bad event never loses its
siblings. The parser never raises on input: every failure becomes a
:class:`Rejection` that the stream layer dead-letters with the original bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from models.bounds import MAX_AMOUNT, MAX_QUANTITY, MAX_STOCK_UNITS
from models.events import (
    CONSENT_CHANNELS,
    TRACK_KINDS,
    CallType,
    Channel,
    Event,
    EventKind,
    Order,
    Product,
    StockLevel,
)
from models.json_fields import (
    MAX_ID_CHARS,
    InvalidEvent,
    RejectReason,
    code,
    enum_value,
    event_time,
    integer,
    json_type,
    number,
    optional_id,
    optional_object,
    optional_text,
    required_str,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """One invalid record, or one invalid event inside a batch record.

    ``original`` is the record's bytes; for an event inside a batch it is that
    event re-encoded as JSON, and ``batch_index`` says where it stood.
    """

    reason: RejectReason
    message: str
    original: bytes
    batch_index: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """Valid events and rejections of one record.

    ``batch_indexes[i]`` is where ``events[i]`` stood in a batch record, or None
    for a single-event record.
    """

    events: tuple[Event, ...]
    rejections: tuple[Rejection, ...]
    batch_indexes: tuple[int | None, ...] = ()


# Till sales may be anonymous (they feed trends), and stock updates are about no person.
_IDENTITY_OPTIONAL = frozenset({EventKind.STOCK_UPDATED})


@dataclass(frozen=True, slots=True)
class EventParser:
    max_record_bytes: int = 512 * 1024
    max_event_bytes: int = 32 * 1024
    max_future: timedelta = timedelta(hours=24)

    def parse_record(self, raw: bytes, now: datetime) -> ParsedRecord:
        if len(raw) > self.max_record_bytes:
            return _rejected(
                RejectReason.TOO_LARGE,
                f"record is {len(raw)} bytes, the limit is {self.max_record_bytes}",
                raw,
            )
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return _rejected(_decode_failure(raw), f"record is not JSON: {exc}", raw)
        if not isinstance(document, dict):
            return _rejected(
                RejectReason.NOT_OBJECT,
                f"record is a JSON {json_type(document)}, expected an object",
                raw,
            )
        if "batch" in document:
            return self._parse_batch(document["batch"], raw, now)
        if len(raw) > self.max_event_bytes:
            return _rejected(
                RejectReason.TOO_LARGE,
                f"event is {len(raw)} bytes, the limit is {self.max_event_bytes}",
                raw,
            )
        try:
            return ParsedRecord((self.parse_event(document, now),), (), (None,))
        except InvalidEvent as exc:
            return _rejected(exc.reason, exc.message, raw)

    def _parse_batch(self, batch: Any, raw: bytes, now: datetime) -> ParsedRecord:
        if not isinstance(batch, list):
            return _rejected(
                RejectReason.BAD_TYPE, f"batch is a JSON {json_type(batch)}, expected an array", raw
            )
        if not batch:
            return _rejected(RejectReason.BAD_VALUE, "batch is empty", raw)
        events: list[Event] = []
        indexes: list[int | None] = []
        rejections: list[Rejection] = []
        for index, item in enumerate(batch):
            try:
                if not isinstance(item, dict):
                    raise InvalidEvent(
                        RejectReason.NOT_OBJECT,
                        f"is a JSON {json_type(item)}, expected an object",
                    )
                events.append(self.parse_event(item, now))
                indexes.append(index)
            except InvalidEvent as exc:
                rejections.append(
                    Rejection(
                        exc.reason, f"batch[{index}]: {exc.message}", orjson.dumps(item), index
                    )
                )
        return ParsedRecord(tuple(events), tuple(rejections), tuple(indexes))

    def parse_event(self, document: dict[str, Any], now: datetime) -> Event:
        """Validate one Segment event object. Raises :class:`InvalidEvent`."""
        message_id = required_str(document, "messageId")
        if len(message_id) > MAX_ID_CHARS:
            raise InvalidEvent(
                RejectReason.BAD_VALUE,
                f"messageId is {len(message_id)} characters, the limit is {MAX_ID_CHARS}",
            )
        call = enum_value(CallType, required_str(document, "type"), "type")
        name = required_str(document, "event") if call is CallType.TRACK else None
        timestamp = event_time(document.get("timestamp"), now, self.max_future)
        context = optional_object(document, "context")
        if context is None:
            raise InvalidEvent(RejectReason.MISSING_FIELD, "context.channel is required")
        channel = enum_value(
            Channel, required_str(context, "channel", "context.channel"), "context.channel"
        )
        properties = optional_object(document, "properties") or {}
        user_id = optional_id(document, "userId")
        anonymous_id = optional_id(document, "anonymousId")
        kind = _kind(call, name)

        fields: dict[str, Any] = {}
        if kind in (EventKind.PRODUCT_VIEWED, EventKind.PRODUCT_ADDED, EventKind.PRODUCT_REMOVED):
            fields["products"] = _products(properties, required=True)
        elif kind is EventKind.ORDER_COMPLETED:
            products = _products(properties, required=False)
            fields["products"] = products
            fields["order"] = _order(properties, products, channel)
        elif kind is EventKind.CHECKOUT_STARTED or kind is EventKind.CART_VIEWED:
            fields["products"] = _products(properties, required=False)
        elif kind is EventKind.STOCK_UPDATED:
            fields["stock"] = _stock(properties)
        elif kind is EventKind.CONSENT_UPDATED:
            fields["consent"] = _consent(properties)
        elif kind is EventKind.PRODUCTS_SEARCHED:
            fields["query"] = required_str(properties, "query", "properties.query")
        elif kind is EventKind.IDENTIFY and user_id is None:
            raise InvalidEvent(RejectReason.MISSING_FIELD, "userId is required for identify")

        is_till_sale = kind is EventKind.ORDER_COMPLETED and channel is Channel.STORE
        if (
            user_id is None
            and anonymous_id is None
            and not (kind in _IDENTITY_OPTIONAL or is_till_sale)
        ):
            raise InvalidEvent(
                RejectReason.MISSING_IDENTITY, "one of userId or anonymousId is required"
            )
        return Event(
            message_id=message_id,
            call=call,
            kind=kind,
            name=name,
            user_id=user_id,
            anonymous_id=anonymous_id,
            timestamp=timestamp,
            channel=channel,
            properties=properties,
            **fields,
        )


def _rejected(reason: RejectReason, message: str, raw: bytes) -> ParsedRecord:
    return ParsedRecord((), (Rejection(reason, message, raw),))


def _decode_failure(raw: bytes) -> RejectReason:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return RejectReason.NOT_UTF8
    return RejectReason.NOT_JSON


def _kind(call: CallType, name: str | None) -> EventKind:
    if call is CallType.TRACK:
        return TRACK_KINDS.get(name or "", EventKind.OTHER)
    return EventKind(call.value)


def _product(obj: dict[str, Any], label: str) -> Product:
    return Product(
        product_id=code(obj, "product_id", f"{label}.product_id"),
        category=optional_text(obj, "category", f"{label}.category"),
        name=optional_text(obj, "name", f"{label}.name"),
        brand=optional_text(obj, "brand", f"{label}.brand"),
        price=number(obj, "price", f"{label}.price", MAX_AMOUNT),
        quantity=integer(
            obj, "quantity", f"{label}.quantity", default=1, minimum=1, maximum=MAX_QUANTITY
        ),
    )


def _products(properties: dict[str, Any], *, required: bool) -> tuple[Product, ...]:
    listed = properties.get("products")
    if listed is not None:
        if not isinstance(listed, list):
            raise InvalidEvent(
                RejectReason.BAD_TYPE,
                f"properties.products is a {json_type(listed)}, expected an array",
            )
        products = []
        for index, item in enumerate(listed):
            label = f"properties.products[{index}]"
            if not isinstance(item, dict):
                raise InvalidEvent(
                    RejectReason.BAD_TYPE, f"{label} is a {json_type(item)}, expected an object"
                )
            products.append(_product(item, label))
        if products or not required:
            return tuple(products)
    if "product_id" in properties or required:
        return (_product(properties, "properties"),)
    return ()


def _order(properties: dict[str, Any], products: tuple[Product, ...], channel: Channel) -> Order:
    order_id = code(properties, "order_id", "properties.order_id")
    total = number(properties, "total", "properties.total", MAX_AMOUNT)
    if total is None:
        if not products:
            raise InvalidEvent(
                RejectReason.MISSING_FIELD,
                "properties.total is required without products",
            )
        total = round(sum((p.price or 0.0) * p.quantity for p in products), 2)
        if total > MAX_AMOUNT:
            raise InvalidEvent(
                RejectReason.OUT_OF_RANGE,
                f"properties.total, the sum of the products, is over {MAX_AMOUNT:,}",
            )
    store_id = (
        code(properties, "store_id", "properties.store_id")
        if channel is Channel.STORE or properties.get("store_id") is not None
        else None
    )
    currency = optional_text(properties, "currency", "properties.currency")
    return Order(order_id=order_id, total=total, currency=currency, store_id=store_id)


def _stock(properties: dict[str, Any]) -> StockLevel:
    return StockLevel(
        store_id=code(properties, "store_id", "properties.store_id"),
        product_id=code(properties, "product_id", "properties.product_id"),
        quantity=integer(
            properties,
            "quantity",
            "properties.quantity",
            default=None,
            minimum=0,
            maximum=MAX_STOCK_UNITS,
        ),
    )


def _consent(properties: dict[str, Any]) -> dict[str, bool]:
    consent: dict[str, bool] = {}
    for channel in CONSENT_CHANNELS:
        if channel not in properties:
            continue
        value = properties[channel]
        if not isinstance(value, bool):
            raise InvalidEvent(
                RejectReason.BAD_TYPE,
                f"properties.{channel} is a {json_type(value)}, expected a boolean",
            )
        consent[channel] = value
    if not consent:
        raise InvalidEvent(
            RejectReason.MISSING_FIELD,
            "Consent Updated needs at least one of properties.email, sms, push, ads",
        )
    return consent
