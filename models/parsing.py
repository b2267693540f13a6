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

from models import payloads
from models.bounds import MAX_ID_CHARS, MAX_TEXT_CHARS
from models.events import TRACK_KINDS, CallType, Channel, Event, EventKind
from models.identity_trust import TRUST_ALL, IdentityTrust, event_source
from models.json_fields import (
    InvalidEvent,
    RejectReason,
    enum_value,
    event_time,
    json_type,
    optional_id,
    optional_object,
    required_str,
)
from models.timezones import zone_problem


@dataclass(frozen=True, slots=True)
class Rejection:
    """One invalid record, or one invalid event inside a batch record.

    ``original`` is the record's bytes; for an event inside a batch it is that
    event re-encoded as JSON (the record's bytes when it is nested too deep to be
    re-encoded), and ``batch_index`` says where it stood.
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
    identity_trust: IdentityTrust = TRUST_ALL

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
            # A member's bytes are its compact JSON: what its dead letter carries, and
            # what the event limit measures, inside a batch as for a record of its own.
            try:
                original = orjson.dumps(item)
            except orjson.JSONEncodeError:
                # Nested deeper than orjson encodes (it decodes deeper): only the
                # record's own bytes can carry it.
                rejections.append(
                    Rejection(
                        RejectReason.TOO_LARGE,
                        f"batch[{index}]: is nested too deep to be re-encoded alone",
                        raw,
                        index,
                    )
                )
                continue
            try:
                if len(original) > self.max_event_bytes:
                    raise InvalidEvent(
                        RejectReason.TOO_LARGE,
                        f"event is {len(original)} bytes, the limit is {self.max_event_bytes}",
                    )
                if not isinstance(item, dict):
                    raise InvalidEvent(
                        RejectReason.NOT_OBJECT,
                        f"is a JSON {json_type(item)}, expected an object",
                    )
                events.append(self.parse_event(item, now))
                indexes.append(index)
            except InvalidEvent as exc:
                rejections.append(
                    Rejection(exc.reason, f"batch[{index}]: {exc.message}", original, index)
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
            fields["products"] = payloads.products(properties, required=True)
        elif kind is EventKind.ORDER_COMPLETED:
            products = payloads.products(properties, required=False)
            fields["products"] = products
            fields["order"] = payloads.order(properties, products, channel)
        elif kind is EventKind.CHECKOUT_STARTED or kind is EventKind.CART_VIEWED:
            fields["products"] = payloads.products(properties, required=False)
        elif kind is EventKind.STOCK_UPDATED:
            fields["stock"] = payloads.stock(properties, channel)
        elif kind is EventKind.CONSENT_UPDATED:
            fields["consent"] = payloads.consent(properties)
        elif kind is EventKind.PRODUCTS_SEARCHED:
            fields["query"] = required_str(properties, "query", "properties.query", MAX_TEXT_CHARS)
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
        link_refused = False
        if user_id is not None and anonymous_id is not None:
            source = event_source(context)
            if not self.identity_trust.trusts(channel, source):
                if kind is EventKind.IDENTIFY:
                    raise InvalidEvent(
                        RejectReason.UNTRUSTED_IDENTITY_LINK,
                        self.identity_trust.refusal(channel, source),
                    )
                user_id, link_refused = None, True
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
            link_refused=link_refused,
            **fields,
            **_zone_fields(context),
        )


def _zone_fields(context: dict[str, Any]) -> dict[str, Any]:
    """The event's ``timezone``, or why the one sent was ignored. A bad zone is that
    field's problem, not the event's: the event is still folded (nothing is lost)."""
    if "timezone" not in context or context["timezone"] is None:
        return {}
    problem = zone_problem(context["timezone"])
    if problem is not None:
        return {"timezone_ignored": problem}
    return {"timezone": context["timezone"]}


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
