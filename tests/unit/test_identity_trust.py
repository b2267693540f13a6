"""Trusted identity: only trusted sources link a visitor to a customer (parser level)."""

from __future__ import annotations

import orjson
import pytest

from models.events import Channel, Event, EventKind
from models.identity import Identity
from models.identity_trust import IdentityTrust, event_source
from models.json_fields import RejectReason
from models.parsing import EventParser
from tests.unit.parsing_support import (
    IDENTIFY,
    NOW,
    PRODUCT_VIEWED,
    build,
    parse_one,
    reject_one,
)

STRICT = EventParser(
    identity_trust=IdentityTrust(
        trusted_channels=frozenset({Channel.STORE}),
        trusted_sources=frozenset({"analytics-node"}),
        configured=True,
    )
)


def _parse(doc: dict[str, object]) -> Event:
    record = STRICT.parse_record(orjson.dumps(doc), NOW)
    assert record.rejections == ()
    [event] = record.events
    return event


def test_an_untrusted_identify_is_refused_with_its_reason_and_bytes() -> None:
    raw = orjson.dumps(build(IDENTIFY))
    rejection = reject_one(raw, STRICT)
    assert rejection.reason is RejectReason.UNTRUSTED_IDENTITY_LINK
    assert rejection.original == raw
    assert "context.channel 'web'" in rejection.message
    assert "trusts channels store and sources analytics-node" in rejection.message
    assert "u-1" not in rejection.message and "anon-1" not in rejection.message


@pytest.mark.parametrize(
    "changes",
    [
        {"context__channel": "store"},
        {"context__library": {"name": "analytics-node", "version": "6.0"}},
    ],
    ids=["trusted-channel", "trusted-library"],
)
def test_a_trusted_identify_links(changes: dict[str, object]) -> None:
    event = _parse(build(IDENTIFY, **changes))
    assert event.kind is EventKind.IDENTIFY
    assert (event.user_id, event.anonymous_id) == ("u-1", "anon-1")
    assert not event.link_refused


def test_an_identify_without_a_visitor_links_nothing_and_is_kept() -> None:
    event = _parse(build(IDENTIFY, anonymousId=None))
    assert event.identity == Identity.user("u-1")


def test_an_untrusted_event_with_both_ids_stays_the_visitors() -> None:
    event = _parse(build(PRODUCT_VIEWED, userId="u-1"))
    assert event.identity == Identity.anonymous("anon-1")
    assert event.user_id is None
    assert event.link_refused
    only_user = _parse(build(PRODUCT_VIEWED, userId="u-1", anonymousId=None))
    assert only_user.identity == Identity.user("u-1")
    assert not only_user.link_refused


def test_without_an_identity_section_every_source_links() -> None:
    event = parse_one(build(PRODUCT_VIEWED, userId="u-1"))
    assert event.identity == Identity.user("u-1") and not event.link_refused
    assert parse_one(build(IDENTIFY)).anonymous_id == "anon-1"


def test_the_source_is_the_segment_library_name_when_it_is_text() -> None:
    assert event_source({"library": {"name": "analytics-node"}}) == "analytics-node"
    assert event_source({"library": "analytics-node"}) is None
    assert event_source({"library": {"name": 3}}) is None
    assert event_source({}) is None
