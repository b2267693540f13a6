from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import kafka
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.local.demo.catalogue import CATEGORIES, PRODUCTS, STORES
from streams.local.generator import (
    BAD_REASONS,
    CustomerTotals,
    GeneratedRecord,
    GeneratorOptions,
    TopicNames,
    expected_totals,
    generate,
    main,
)

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TOPICS = TopicNames()
STORE_IDS = {store.store_id for store in STORES}
PRODUCT_KEYS = {"product_id", "category", "name", "brand", "price", "quantity"}


def records(**overrides: Any) -> list[GeneratedRecord]:
    options: dict[str, Any] = {"customers": 60, "seed": 7, "start": START, "bad_share": 0.0}
    return list(generate(GeneratorOptions(**(options | overrides))))


def events(recs: list[GeneratedRecord]) -> Iterator[tuple[GeneratedRecord, dict[str, Any]]]:
    for record in recs:
        if record.valid:
            document = orjson.loads(record.value)
            for event in document.get("batch", [document]):
                yield record, event


def orders(recs: list[GeneratedRecord]) -> list[tuple[GeneratedRecord, dict[str, Any]]]:
    return [(r, e) for r, e in events(recs) if e.get("event") == "Order Completed"]


def test_catalogue_is_small_and_consistent() -> None:
    assert len(PRODUCTS) == 60
    assert len({p.product_id for p in PRODUCTS}) == 60
    assert {p.category for p in PRODUCTS} == set(CATEGORIES)
    assert len(CATEGORIES) == 8
    assert sorted(STORE_IDS) == [f"store-00{i}" for i in range(1, 6)]
    assert all(p.price > 0 for p in PRODUCTS)


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


def test_journeys_cover_the_expected_behaviours() -> None:
    seen: Counter[str] = Counter()
    for _, event in events(records(customers=200)):
        seen[event.get("event") or event["type"]] += 1
        if event["type"] == "identify":
            assert event["userId"] and event["anonymousId"]
        if event.get("event") == "Consent Updated":
            assert set(event["properties"]) == {"email", "sms", "push", "ads"}
            assert all(isinstance(v, bool) for v in event["properties"].values())
        if event.get("event") in ("Product Viewed", "Product Added", "Product Removed"):
            assert set(event["properties"]) == PRODUCT_KEYS
        if event.get("event") == "Stock Updated":
            props = event["properties"]
            assert "userId" not in event and "anonymousId" not in event
            assert props["store_id"] in STORE_IDS and props["product_id"]
            assert isinstance(props["quantity"], int) and props["quantity"] >= 0
        if event.get("event") == "Products Searched":
            assert event["properties"]["query"]
    for name in (
        "page",
        "screen",
        "identify",
        "Product Viewed",
        "Products Searched",
        "Consent Updated",
        "Product Added",
        "Product Removed",
        "Cart Viewed",
        "Checkout Started",
        "Order Completed",
        "Stock Updated",
    ):
        assert seen[name] > 0, name


def test_orders_carry_consistent_totals_and_land_on_the_right_topic() -> None:
    channels: Counter[str] = Counter()
    anonymous_till_sales = 0
    for record, event in orders(records(customers=200)):
        props = event["properties"]
        channel = event["context"]["channel"]
        channels[channel] += 1
        assert props["currency"] == "EUR" and props["order_id"]
        assert all(set(p) == PRODUCT_KEYS for p in props["products"])
        expected = round(sum(p["price"] * p["quantity"] for p in props["products"]), 2)
        assert props["total"] == expected
        if channel == "store":
            assert record.topic == TOPICS.store_checkouts
            assert props["store_id"] in STORE_IDS
            assert "anonymousId" not in event
            anonymous_till_sales += "userId" not in event
        else:
            assert record.topic == TOPICS.basket
            assert channel in ("web", "mobile")
    assert channels["store"] and channels["web"] and channels["mobile"]
    assert anonymous_till_sales > 0
    assert channels["store"] - anonymous_till_sales > 0


def test_store_checkouts_topic_only_holds_till_orders() -> None:
    for record, event in events(records(customers=100)):
        is_till = event.get("event") == "Order Completed" and event["context"]["channel"] == "store"
        assert (record.topic == TOPICS.store_checkouts) == is_till


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


@pytest.mark.parametrize("share", [0.01, 0.05, 0.2])
def test_bad_share_is_respected(share: float) -> None:
    recs = records(customers=150, bad_share=share)
    bad = [r for r in recs if not r.valid]
    assert abs(len(bad) / len(recs) - share) < 0.005 + share * 0.05
    assert all(r.reason in BAD_REASONS for r in bad)


def test_no_malformed_records_when_share_is_zero() -> None:
    assert all(r.valid and r.reason is None for r in records(bad_share=0.0))


def test_each_malformed_record_is_malformed_as_stated() -> None:
    now = datetime.now(UTC)
    bad = [r for r in records(customers=100, bad_share=0.05) if not r.valid]
    assert {r.reason for r in bad} == set(BAD_REASONS)
    for record in bad:
        if record.reason == "not_utf8":
            with pytest.raises(UnicodeDecodeError):
                record.value.decode("utf-8")
            continue
        record.value.decode("utf-8")
        if record.reason == "not_json":
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(record.value)
            continue
        if record.reason == "too_large":
            assert len(record.value) > 600 * 1024
            continue
        document = orjson.loads(record.value)
        if record.reason == "not_object":
            assert not isinstance(document, dict)
        elif record.reason == "missing_field":
            assert "messageId" not in document
        elif record.reason == "bad_timestamp":
            with pytest.raises(ValueError):
                datetime.fromisoformat(document["timestamp"])
        elif record.reason == "future_timestamp":
            assert datetime.fromisoformat(document["timestamp"]) > now + timedelta(hours=24)


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


def _record(topic: str, event: dict[str, Any], valid: bool = True) -> GeneratedRecord:
    person = event.get("userId") or event.get("anonymousId")
    key = person.encode() if person else None
    return GeneratedRecord(topic, key, orjson.dumps(event), valid, None if valid else "not_json")


def _order(order_id: str, total: float, **ids: str) -> dict[str, Any]:
    props = {"order_id": order_id, "total": total, "currency": "EUR", "products": []}
    return {"type": "track", "event": "Order Completed", "properties": props, **ids}


def test_expected_totals_on_hand_made_records() -> None:
    identify = {"type": "identify", "userId": "u1", "anonymousId": "a1"}
    batch = {"batch": [_order("o3", 5.5, anonymousId="a1"), identify], "sentAt": "x"}
    recs = [
        _record("basket", _order("o1", 10.25, userId="u1")),
        _record("store-checkouts", _order("o1", 10.25, userId="u1")),
        _record("store-checkouts", _order("o2", 20.0, userId="u1")),
        GeneratedRecord("clickstream", b"u1", orjson.dumps(batch), True, None),
        _record("basket", _order("o4", 99.0, userId="u1"), valid=False),
        _record("basket", _order("o5", 7.0, userId="u2")),
        _record("clickstream", {"type": "identify", "userId": "u3", "anonymousId": "a3"}),
        _record("basket", _order("o6", 8.0, anonymousId="guest")),
        _record("store-checkouts", _order("o7", 9.0)),
    ]
    assert expected_totals(recs) == {
        "u1": CustomerTotals(3, 35.75),
        "u2": CustomerTotals(1, 7.0),
        "u3": CustomerTotals(0, 0.0),
    }


def test_expected_totals_on_a_small_generation() -> None:
    recs = records(customers=30, bad_share=0.05, batch_share=0.5)
    by_user: dict[str, dict[str, float]] = {}
    for _, event in events(recs):
        if event.get("userId"):
            by_user.setdefault(event["userId"], {})
    for _, event in orders(recs):
        if event.get("userId"):
            by_user[event["userId"]][event["properties"]["order_id"]] = event["properties"]["total"]
    totals = expected_totals(recs)
    assert totals == {
        user: CustomerTotals(len(o), round(sum(o.values()), 2)) for user, o in by_user.items()
    }
    assert any(t.orders_count >= 2 for t in totals.values())
    assert any(t.orders_count == 0 for t in totals.values())


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


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--bootstrap", "--count", "--rate", "--bad-share", "--batch-share", "--loop"):
        assert flag in out


@pytest.mark.parametrize(
    "argv",
    [["--bad-share", "1.5"], ["--rate", "-1"], ["--loop", "--start", "2026-01-01T00:00:00Z"]],
)
def test_bad_arguments_exit_two(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


class FakeFuture:
    def add_errback(self, callback: Any) -> FakeFuture:
        return self


class FakeProducer:
    instances: ClassVar[list[FakeProducer]] = []
    interrupt_after: ClassVar[int | None] = None

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.flushed = self.closed = False
        FakeProducer.instances.append(self)

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> FakeFuture:
        if self.interrupt_after is not None and len(self.sent) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.sent.append((topic, key, value))
        return FakeFuture()

    def flush(self, timeout: float | None = None) -> None:
        self.flushed = True

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


@pytest.fixture
def fake_producer(monkeypatch: pytest.MonkeyPatch) -> type[FakeProducer]:
    FakeProducer.instances = []
    FakeProducer.interrupt_after = None
    monkeypatch.setattr(kafka, "KafkaProducer", FakeProducer)
    for var in ("KAFKA_BROKER", "TOPIC_CLICKSTREAM", "TOPIC_BASKET", "TOPIC_STORE_CHECKOUTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("TOPIC_INVENTORY", raising=False)
    return FakeProducer


def test_main_sends_capped_records(
    fake_producer: type[FakeProducer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--customers", "20", "--count", "50", "--rate", "0", "--quiet"]) == 0
    (producer,) = fake_producer.instances
    assert len(producer.sent) == 50
    assert producer.flushed and producer.closed
    assert producer.config["bootstrap_servers"] == ["127.0.0.1:9092"]
    assert producer.config["max_request_size"] >= 2 * 1024 * 1024
    err = capsys.readouterr().err
    assert "\r" in err and "sent 50 records" in err and err.endswith("\n")


def test_main_sends_everything_generated(fake_producer: type[FakeProducer]) -> None:
    argv = ["--customers", "10", "--seed", "3", "--rate", "0", "--quiet"]
    argv += ["--start", "2026-11-22T10:00:00+00:00", "--bad-share", "0.05", "--batch-share", "0.2"]
    assert main(argv) == 0
    options = GeneratorOptions(10, 3, 0.05, 0.2, START)
    expected = [(r.topic, r.key, r.value) for r in generate(options)]
    assert fake_producer.instances[0].sent == expected


def test_main_reads_broker_and_topics_from_env(
    fake_producer: type[FakeProducer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BROKER", "kafka://broker-a:9092,kafka://broker-b:9093")
    monkeypatch.setenv("TOPIC_STORE_CHECKOUTS", "tills")
    assert main(["--customers", "40", "--rate", "0", "--quiet"]) == 0
    (producer,) = fake_producer.instances
    assert producer.config["bootstrap_servers"] == ["broker-a:9092", "broker-b:9093"]
    topics = {topic for topic, _, _ in producer.sent}
    assert "tills" in topics and "store-checkouts" not in topics


def test_main_loops_until_interrupted(fake_producer: type[FakeProducer]) -> None:
    fake_producer.interrupt_after = 3000
    argv = ["--customers", "5", "--loop", "--rate", "0", "--quiet", "--bad-share", "0"]
    assert main(argv) == 0
    (producer,) = fake_producer.instances
    assert len(producer.sent) == 3000
    assert producer.flushed and producer.closed
    documents = [orjson.loads(value) for _, _, value in producer.sent]
    assert len({d["messageId"] for d in documents}) == len(documents)
    now = datetime.now(UTC)
    assert max(datetime.fromisoformat(d["timestamp"]) for d in documents) <= now


def test_rate_limits_sending(fake_producer: type[FakeProducer]) -> None:
    started = time.monotonic()
    assert main(["--customers", "5", "--count", "60", "--rate", "300", "--quiet"]) == 0
    assert time.monotonic() - started >= 0.15
