"""EventParser.parse_record: every event type parses to its kind, with its identity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.events import CallType, Channel, EventKind
from models.identity import Identity, IdentityKind
from tests.unit.parsing_support import (
    ADDED,
    CART_VIEWED,
    CHECKOUT,
    CONSENT,
    CUSTOM,
    DROP,
    IDENTIFY,
    ORDER_STORE,
    ORDER_WEB,
    PAGE,
    PRODUCT_VIEWED,
    REMOVED,
    SCREEN,
    SEARCHED,
    STOCK,
    TILL_ANONYMOUS,
    build,
    parse_one,
)


@pytest.mark.parametrize(
    ("doc", "call", "kind", "channel"),
    [
        (PAGE, CallType.PAGE, EventKind.PAGE, Channel.WEB),
        (SCREEN, CallType.SCREEN, EventKind.SCREEN, Channel.MOBILE),
        (IDENTIFY, CallType.IDENTIFY, EventKind.IDENTIFY, Channel.WEB),
        (PRODUCT_VIEWED, CallType.TRACK, EventKind.PRODUCT_VIEWED, Channel.WEB),
        (SEARCHED, CallType.TRACK, EventKind.PRODUCTS_SEARCHED, Channel.WEB),
        (CONSENT, CallType.TRACK, EventKind.CONSENT_UPDATED, Channel.WEB),
        (ADDED, CallType.TRACK, EventKind.PRODUCT_ADDED, Channel.WEB),
        (REMOVED, CallType.TRACK, EventKind.PRODUCT_REMOVED, Channel.WEB),
        (CART_VIEWED, CallType.TRACK, EventKind.CART_VIEWED, Channel.WEB),
        (CHECKOUT, CallType.TRACK, EventKind.CHECKOUT_STARTED, Channel.WEB),
        (ORDER_WEB, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.WEB),
        (ORDER_STORE, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.STORE),
        (TILL_ANONYMOUS, CallType.TRACK, EventKind.ORDER_COMPLETED, Channel.STORE),
        (STOCK, CallType.TRACK, EventKind.STOCK_UPDATED, Channel.STORE),
        (CUSTOM, CallType.TRACK, EventKind.OTHER, Channel.WEB),
    ],
    ids=lambda v: v.value if isinstance(v, EventKind) else None,
)
def test_every_event_type_parses_to_its_kind(
    doc: dict[str, Any], call: CallType, kind: EventKind, channel: Channel
) -> None:
    event = parse_one(doc)
    assert (event.call, event.kind, event.channel) == (call, kind, channel)
    assert event.message_id == doc["messageId"]
    assert event.timestamp == datetime(2024, 6, 1, 11, 0, tzinfo=UTC)
    assert event.name == doc.get("event")
    assert event.properties == doc["properties"]


def test_page_and_screen_keep_url_and_name() -> None:
    assert parse_one(PAGE).properties["url"] == "https://shop.example/p/1"
    screen = parse_one(SCREEN)
    assert screen.name is None  # only track calls carry an event name
    assert screen.identity == Identity(IdentityKind.ANONYMOUS, "anon-1")


def test_identify_links_user_and_anonymous_ids() -> None:
    event = parse_one(IDENTIFY)
    assert (event.user_id, event.anonymous_id) == ("u-1", "anon-1")
    assert event.identity == Identity(IdentityKind.USER, "u-1")
    assert str(event.identity) == "user:u-1"


def test_unknown_track_event_is_other_and_keeps_properties() -> None:
    event = parse_one(CUSTOM)
    assert event.kind is EventKind.OTHER
    assert event.name == "Wishlist Shared"
    assert event.properties == {"list": "xmas", "items": 3}
    assert event.products == () and event.order is None


@pytest.mark.parametrize(
    ("user_id", "anonymous_id", "expected"),
    [
        ("u-1", "anon-1", Identity(IdentityKind.USER, "u-1")),
        ("u-1", DROP, Identity(IdentityKind.USER, "u-1")),
        (DROP, "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
        ("", "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
        (None, "anon-1", Identity(IdentityKind.ANONYMOUS, "anon-1")),
    ],
)
def test_identity_prefers_user_id(
    user_id: object, anonymous_id: object, expected: Identity
) -> None:
    assert parse_one(build(PAGE, userId=user_id, anonymousId=anonymous_id)).identity == expected
