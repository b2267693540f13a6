"""CustomerContext and the pure fold of events into it."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import models.context
from models.context import CustomerContext, FoldOutcome, fold, fold_new_events
from models.events import CallType, Channel, Event, EventKind

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
CALLS = {
    EventKind.PAGE: CallType.PAGE,
    EventKind.SCREEN: CallType.SCREEN,
    EventKind.IDENTIFY: CallType.IDENTIFY,
}


def ev(
    message_id: str,
    minutes: float = 0,
    kind: EventKind = EventKind.PAGE,
    channel: Channel = Channel.WEB,
    user_id: str | None = None,
    anonymous_id: str | None = "anon-1",
    at: datetime | None = None,
) -> Event:
    call = CALLS.get(kind, CallType.TRACK)
    return Event(
        message_id=message_id,
        call=call,
        kind=kind,
        name=kind.value if call is CallType.TRACK else None,
        user_id=user_id,
        anonymous_id=anonymous_id,
        timestamp=at if at is not None else T0 + timedelta(minutes=minutes),
        channel=channel,
    )


def ms(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)


def fold_all(events: list[Event], context: CustomerContext | None = None) -> CustomerContext:
    return functools.reduce(fold, events, context or CustomerContext())


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
    document = context.to_document()
    assert document == {
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
    document = CustomerContext().to_document()
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
    assert fold_all([event]).to_document()["first_seen"] == expected


# --------------------------------------------------------------------------- fold_new_events


def test_fold_new_events_skips_seen_ids_and_duplicates_inside_the_batch() -> None:
    events = [ev("m-3", 3), ev("m-1", 1), ev("m-2", 2), ev("m-3", 4), ev("m-4", 0)]
    outcome = fold_new_events(CustomerContext(), events, already_seen={"m-2"})
    assert isinstance(outcome, FoldOutcome)
    assert [e.message_id for e in outcome.applied] == ["m-4", "m-1", "m-3"]
    assert outcome.duplicates == 2
    assert outcome.failed == ()
    assert outcome.context.events_total == 3
    assert outcome.context.last_seen_ms == ms(T0 + timedelta(minutes=3))


def test_fold_new_events_does_not_mutate_already_seen() -> None:
    seen = {"m-1"}
    fold_new_events(CustomerContext(), [ev("m-2")], seen)
    assert seen == {"m-1"}


def test_fold_new_events_applies_in_event_time_order() -> None:
    events = [ev("c", 5, channel=Channel.STORE), ev("a", 9, channel=Channel.MOBILE), ev("b", 1)]
    outcome = fold_new_events(CustomerContext(), events, set())
    assert [e.message_id for e in outcome.applied] == ["b", "c", "a"]
    assert outcome.context.last_channel == "mobile"
    assert outcome.context == fold_all(events)


def test_fold_new_events_reports_a_failing_event_and_folds_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_fold = models.context.fold
    boom = RuntimeError("poisoned")

    def flaky_fold(context: CustomerContext, event: Event) -> CustomerContext:
        if event.message_id == "m-poison":
            raise boom
        return real_fold(context, event)

    monkeypatch.setattr(models.context, "fold", flaky_fold)
    events = [ev("m-1", 0), ev("m-poison", 1, channel=Channel.STORE), ev("m-2", 2)]
    outcome = fold_new_events(CustomerContext(), events, set())
    assert [e.message_id for e in outcome.applied] == ["m-1", "m-2"]
    assert len(outcome.failed) == 1
    failed_event, error = outcome.failed[0]
    assert failed_event.message_id == "m-poison"
    assert error is boom
    assert outcome.context.events_total == 2
    assert outcome.context.events_by_channel == {"web": 2}
    assert outcome.duplicates == 0


# --------------------------------------------------------------------------- properties

event_specs = st.lists(
    st.tuples(
        st.integers(min_value=-10_000_000, max_value=10_000_000),  # ms around T0
        st.sampled_from(list(EventKind)),
        st.sampled_from(list(Channel)),
        st.sampled_from([None, "u-1", "u-2"]),
        st.sampled_from([None, "a-1", "a-2", "a-3"]),
    ),
    max_size=12,
)


def make_events(specs: list[tuple[int, EventKind, Channel, str | None, str | None]]) -> list[Event]:
    return [
        ev(
            f"m-{i}",
            at=T0 + timedelta(milliseconds=offset),
            kind=kind,
            channel=channel,
            user_id=user,
            anonymous_id=anon,
        )
        for i, (offset, kind, channel, user, anon) in enumerate(specs)
    ]


@given(event_specs, st.data())
def test_fold_is_order_independent_for_counts_and_times(
    specs: list[tuple[int, EventKind, Channel, str | None, str | None]], data: st.DataObject
) -> None:
    events = make_events(specs)
    shuffled = data.draw(st.permutations(events))
    a, b = fold_all(events), fold_all(shuffled)
    assert a.events_total == b.events_total == len(events)
    assert a.events_by_type == b.events_by_type == dict(Counter(e.kind.value for e in events))
    assert a.events_by_channel == b.events_by_channel
    assert a.events_by_channel == dict(Counter(e.channel.value for e in events))
    assert a.first_seen_ms == b.first_seen_ms
    assert a.last_seen_ms == b.last_seen_ms
    assert a.last_channel == b.last_channel
    assert set(a.anonymous_ids) == set(b.anonymous_ids)
    assert len(set(a.anonymous_ids)) == len(a.anonymous_ids)
    if events:
        times = [ms(e.timestamp) for e in events]
        assert (a.first_seen_ms, a.last_seen_ms) == (min(times), max(times))
        latest = {e.channel.value for e in events if ms(e.timestamp) == max(times)}
        assert a.last_channel in latest
    else:
        assert a == CustomerContext()


@given(event_specs, st.lists(st.integers(min_value=0, max_value=11), max_size=6))
def test_fold_new_events_is_idempotent(
    specs: list[tuple[int, EventKind, Channel, str | None, str | None]], repeats: list[int]
) -> None:
    events = make_events(specs)
    events += [events[i] for i in repeats if i < len(events)]  # redeliveries in the same batch
    first = fold_new_events(CustomerContext(), events, set())
    assert len(first.applied) == len({e.message_id for e in events})
    assert first.duplicates == len(events) - len(first.applied)
    seen = {e.message_id for e in first.applied}
    second = fold_new_events(first.context, events, seen)
    assert second.context == first.context
    assert second.context.to_json() == first.context.to_json()
    assert second.applied == ()
    assert second.duplicates == len(events)
    assert CustomerContext.from_json(first.context.to_json()) == first.context
