"""fold_new_events (the store's entry point) and the activity fold over random events."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import models.context.folding
from models.context import ContextLimits, CustomerContext, FoldOutcome, fold_new_events
from models.events import Channel, Event, EventKind
from tests.unit.test_context_support import T0, ev, fold_all, ms

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
    real_fold = models.context.folding.fold
    boom = RuntimeError("poisoned")

    def flaky_fold(context: CustomerContext, event: Event) -> CustomerContext:
        if event.message_id == "m-poison":
            raise boom
        return real_fold(context, event)

    monkeypatch.setattr(models.context.folding, "fold", flaky_fold)
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


def test_fold_new_events_honours_the_limits() -> None:
    limits = ContextLimits(anonymous_ids=1)
    events = [ev("1", 0, anonymous_id="a-1"), ev("2", 1, anonymous_id="a-2")]
    outcome = fold_new_events(CustomerContext(), events, set(), limits)
    assert outcome.context.anonymous_ids == ("a-2",)
    assert fold_new_events(CustomerContext(), events, set()).context.anonymous_ids == (
        "a-1",
        "a-2",
    )


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
