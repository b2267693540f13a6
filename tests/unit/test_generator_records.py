"""The generated records: deterministic, on the event contract, in event-time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.local.generator import GeneratorOptions, TopicNames, generate
from tests.unit.generator_support import START, TOPICS, events, records


def test_same_options_give_identical_records() -> None:
    first = records(bad_share=0.05, batch_share=0.3)
    assert first == records(bad_share=0.05, batch_share=0.3)


def test_different_seeds_differ() -> None:
    assert [r.value for r in records(seed=1)] != [r.value for r in records(seed=2)]


@pytest.mark.parametrize("batch_share", [0.0, 0.5])
def test_valid_records_follow_the_event_contract(batch_share: float) -> None:
    recs = records(batch_share=batch_share)
    message_ids = []
    for record, event in events(recs):
        message_ids.append(event["messageId"])
        assert record.topic in (
            TOPICS.clickstream,
            TOPICS.basket,
            TOPICS.store_checkouts,
            TOPICS.inventory,
        )
        assert isinstance(event["messageId"], str) and 0 < len(event["messageId"]) <= 128
        assert event["type"] in ("track", "identify", "page", "screen")
        assert event["type"] != "track" or isinstance(event["event"], str)
        assert event["context"]["channel"] in ("web", "mobile", "store")
        assert isinstance(event["properties"], dict)
        timestamp = datetime.fromisoformat(event["timestamp"])
        assert timestamp.utcoffset() == timedelta(0)
        assert START <= timestamp <= START + timedelta(hours=1)
        person = event.get("userId") or event.get("anonymousId")
        assert record.key == (person.encode() if person else None)
        if person is None:
            assert event["event"] in ("Stock Updated", "Order Completed")
            assert event["context"]["channel"] == "store"
    assert len(message_ids) == len(set(message_ids))


def test_records_are_in_event_time_order() -> None:
    stamps = []
    for record in records(batch_share=0.5):
        document = orjson.loads(record.value)
        stamps.append(datetime.fromisoformat(document.get("sentAt") or document["timestamp"]))
    assert stamps == sorted(stamps)


def test_default_start_keeps_timestamps_out_of_the_future() -> None:
    now = datetime.now(UTC)
    recs = list(generate(GeneratorOptions(customers=40, bad_share=0.0, batch_share=0.5)))
    stamps = [datetime.fromisoformat(e["timestamp"]) for _, e in events(recs)]
    assert max(stamps) <= now + timedelta(minutes=2)
    assert min(stamps) >= now - timedelta(hours=1, minutes=1)


def test_custom_topic_names_are_used() -> None:
    topics = TopicNames(clickstream="c", basket="b", store_checkouts="s", inventory="i")
    recs = records(topics=topics, bad_share=0.05)
    assert {r.topic for r in recs} == {"c", "b", "s", "i"}


def test_batches_group_one_persons_web_and_mobile_events() -> None:
    recs = records(batch_share=1.0)
    batches = [r for r in recs if b'"batch"' in r.value]
    assert batches
    for record in batches:
        document = orjson.loads(record.value)
        assert record.topic in (TOPICS.clickstream, TOPICS.basket)
        assert record.key is not None
        sent_at = datetime.fromisoformat(document["sentAt"])
        for event in document["batch"]:
            assert (event.get("userId") or event.get("anonymousId")).encode() == record.key
            assert event["context"]["channel"] in ("web", "mobile")
            assert datetime.fromisoformat(event["timestamp"]) <= sent_at
    assert not [r for r in records(batch_share=0.0) if b'"batch"' in r.value]


def test_valid_records_stay_small() -> None:
    assert max(len(r.value) for r in records(batch_share=0.5)) < 32 * 1024


def test_options_are_validated() -> None:
    with pytest.raises(ValueError):
        GeneratorOptions(bad_share=1.0)
    with pytest.raises(ValueError):
        GeneratorOptions(batch_share=-0.1)
    with pytest.raises(ValueError):
        GeneratorOptions(customers=-1)
    assert list(generate(GeneratorOptions(customers=0, start=START))) == []


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    customers=st.integers(0, 8),
    bad_share=st.floats(0.0, 0.5),
    batch_share=st.floats(0.0, 1.0),
)
def test_any_seed_gives_well_formed_records(
    seed: int, customers: int, bad_share: float, batch_share: float
) -> None:
    options = GeneratorOptions(customers, seed, bad_share, batch_share, START)
    recs = list(generate(options))
    assert recs == list(generate(options))
    for record in recs:
        assert (record.reason is None) == record.valid
    for record, event in events(recs):
        person = event.get("userId") or event.get("anonymousId")
        assert record.key == (person.encode() if person else None)
