"""CustomerContext and the pure fold of events into it."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

import models.context
from models.context import CustomerContext, fold, to_document
from models.context.state import evolve
from models.events import Channel, EventKind
from tests.unit.test_context_support import T0, ev, fold_all, ms

ACTIVITY_KEYS = (
    "userId",
    "anonymousIds",
    "first_seen",
    "last_seen",
    "last_channel",
    "events_total",
    "events_by_type",
    "events_by_channel",
)


# --------------------------------------------------------------------------- fold


def test_fold_counts_by_type_and_channel() -> None:
    context = fold_all(
        [
            ev("1", 0, EventKind.PAGE, Channel.WEB),
            ev("2", 1, EventKind.PRODUCT_VIEWED, Channel.WEB),
            ev("3", 2, EventKind.PRODUCT_VIEWED, Channel.MOBILE),
            ev("4", 3, EventKind.SCREEN, Channel.MOBILE),
            ev("5", 4, EventKind.ORDER_COMPLETED, Channel.STORE),
            ev("6", 5, EventKind.OTHER, Channel.WEB),
        ]
    )
    assert context.events_total == 6
    assert context.events_by_type == {
        "page": 1,
        "Product Viewed": 2,
        "screen": 1,
        "Order Completed": 1,
        "other": 1,
    }
    assert context.events_by_channel == {"web": 3, "mobile": 2, "store": 1}


def test_fold_does_not_mutate_the_input_context() -> None:
    before = fold_all([ev("1")])
    snapshot = before.to_json()
    after = fold(before, ev("2", 1, EventKind.SCREEN, Channel.MOBILE))
    assert before.to_json() == snapshot
    assert after.events_total == 2 and before.events_total == 1


def test_first_and_last_seen_never_move_backwards() -> None:
    steps = [
        (ev("a", 60, channel=Channel.WEB), 60, 60, "web"),
        (ev("b", 0, channel=Channel.STORE), 0, 60, "web"),
        (ev("c", 120, channel=Channel.MOBILE), 0, 120, "mobile"),
        (ev("d", 90, channel=Channel.STORE), 0, 120, "mobile"),
        (ev("e", -30, channel=Channel.WEB), -30, 120, "mobile"),
    ]
    context = CustomerContext()
    for event, first, last, channel in steps:
        context = fold(context, event)
        assert context.first_seen_ms == ms(T0 + timedelta(minutes=first))
        assert context.last_seen_ms == ms(T0 + timedelta(minutes=last))
        assert context.last_channel == channel


def test_last_channel_follows_the_latest_event() -> None:
    context = fold_all([ev("1", 0, channel=Channel.WEB), ev("2", 5, channel=Channel.STORE)])
    assert context.last_channel == "store"
    context = fold(context, ev("3", 10, channel=Channel.MOBILE))
    assert context.last_channel == "mobile"
    assert fold(context, ev("4", 7, channel=Channel.WEB)).last_channel == "mobile"


def test_anonymous_ids_are_collected_once_in_arrival_order() -> None:
    context = fold_all(
        [
            ev("1", anonymous_id="a-1"),
            ev("2", anonymous_id="a-2"),
            ev("3", anonymous_id="a-1"),
            ev("4", anonymous_id=None, user_id="u-1"),
            ev("5", anonymous_id="a-3", user_id="u-1"),
        ]
    )
    assert context.anonymous_ids == ("a-1", "a-2", "a-3")
    assert context.user_id == "u-1"


def test_anonymous_event_does_not_clear_the_user_id() -> None:
    context = fold_all([ev("1", user_id="u-1"), ev("2", 1, user_id=None)])
    assert context.user_id == "u-1"


# --------------------------------------------------------------------------- encoding


def test_to_json_is_canonical() -> None:
    a = fold_all([ev("1", 0, EventKind.PAGE), ev("2", 1, EventKind.SCREEN, Channel.MOBILE)])
    b = fold_all([ev("2", 1, EventKind.SCREEN, Channel.MOBILE), ev("1", 0, EventKind.PAGE)])
    assert list(a.events_by_type) != list(b.events_by_type)  # insertion orders differ
    assert a == b
    assert a.to_json() == b.to_json()
    raw = a.to_json()
    assert raw == orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
    assert orjson.loads(raw)["schema"] == models.context.SCHEMA_VERSION


@pytest.mark.parametrize(
    "context",
    [
        CustomerContext(),
        fold_all([ev("1", anonymous_id="a-1"), ev("2", 3, user_id="u-1", anonymous_id="a-2")]),
        CustomerContext(
            user_id="u-\u00e9",
            anonymous_ids=("x", "y"),
            first_seen_ms=-1000,
            last_seen_ms=0,
            last_channel="store",
            events_total=3,
            events_by_type={"page": 2, "other": 1},
            events_by_channel={"store": 3},
        ),
    ],
)
def test_from_json_inverts_to_json(context: CustomerContext) -> None:
    restored = CustomerContext.from_json(context.to_json())
    assert restored == context
    assert isinstance(restored.anonymous_ids, tuple)
    assert restored.to_json() == context.to_json()


def test_to_document_uses_the_api_names_and_iso_times_in_utc() -> None:
    context = fold_all(
        [
            ev("1", at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC), user_id="u-1"),
            ev("2", at=datetime(2024, 6, 1, 10, 0, 0, 250_000, tzinfo=UTC), channel=Channel.STORE),
        ]
    )
    document = to_document(context, ms(T0))
    assert {key: document[key] for key in ACTIVITY_KEYS} == {
        "userId": "u-1",
        "anonymousIds": ["anon-1"],
        "first_seen": "2024-06-01T09:30:00Z",
        "last_seen": "2024-06-01T10:00:00.250000Z",
        "last_channel": "store",
        "events_total": 2,
        "events_by_type": {"page": 2},
        "events_by_channel": {"web": 1, "store": 1},
    }
    for key in ("first_seen", "last_seen"):
        assert document[key].endswith("Z")
        assert datetime.fromisoformat(document[key]).utcoffset() == timedelta(0)
    orjson.dumps(document)  # plain JSON types only


def test_to_document_of_an_empty_context_has_no_times() -> None:
    document = to_document(CustomerContext(), ms(T0))
    assert (document["first_seen"], document["last_seen"], document["last_channel"]) == (
        None,
        None,
        None,
    )
    assert document["anonymousIds"] == [] and document["events_total"] == 0


@pytest.mark.parametrize(
    "at",
    [
        datetime(2038, 1, 19, 10, 19, 22, 186_000, tzinfo=UTC),
        datetime(1969, 12, 19, 18, 24, 2, 19_000, tzinfo=UTC),
    ],
)
def test_event_time_is_exact_to_the_millisecond(at: datetime) -> None:
    event = ev("1", at=at)
    assert event.event_time_ms == ms(at)
    expected = at.isoformat().replace("+00:00", "Z")
    assert to_document(fold_all([event]), ms(T0))["first_seen"] == expected


def test_evolve_copies_like_dataclasses_replace_and_rejects_unknown_fields() -> None:
    context = fold_all([ev("1", 0, EventKind.PAGE), ev("2", 1, EventKind.PAGE, Channel.MOBILE)])
    changed = evolve(context, events_total=7, last_channel="store")
    assert changed == replace(context, events_total=7, last_channel="store")
    assert context.events_total == 2  # the original is untouched
    assert all(
        getattr(evolve(context), f.name) is getattr(context, f.name) for f in fields(context)
    )
    with pytest.raises(TypeError, match="no field colour"):
        evolve(context, colour="red")
