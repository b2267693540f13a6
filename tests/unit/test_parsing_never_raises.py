"""EventParser.parse_record never raises: property tests on random and mutated records."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from models.events import Event, EventKind
from models.json_fields import RejectReason
from models.parsing import ParsedRecord
from tests.unit.parsing_support import (
    ADDED,
    CART_VIEWED,
    CHECKOUT,
    CONSENT,
    CUSTOM,
    DROP,
    IDENTIFY,
    NOW,
    ORDER_STORE,
    ORDER_WEB,
    PAGE,
    PARSER,
    PRODUCT_VIEWED,
    REMOVED,
    SCREEN,
    SEARCHED,
    STOCK,
    TILL_ANONYMOUS,
    build,
    parse,
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
CONTRACT_KEYS = st.sampled_from(
    [
        "messageId",
        "type",
        "event",
        "userId",
        "anonymousId",
        "timestamp",
        "context",
        "channel",
        "properties",
        "products",
        "product_id",
        "price",
        "quantity",
        "batch",
        "order_id",
    ]
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(CONTRACT_KEYS | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)


def check_record(record: ParsedRecord, raw: bytes) -> None:
    assert isinstance(record, ParsedRecord)
    assert len(record.events) == len(record.batch_indexes)
    assert all(isinstance(e, Event) for e in record.events)
    for rejection in record.rejections:
        assert isinstance(rejection.reason, RejectReason)
        assert rejection.message
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    batch = document.get("batch") if isinstance(document, dict) else None
    if isinstance(batch, list) and batch and len(raw) <= PARSER.max_record_bytes:
        assert len(record.events) + len(record.rejections) == len(batch)
        assert {r.batch_index for r in record.rejections}.isdisjoint(record.batch_indexes)
    else:
        assert len(record.events) + len(record.rejections) == 1
        assert all(r.original == raw for r in record.rejections)


@given(st.binary(max_size=200))
def test_parser_never_raises_on_random_bytes(raw: bytes) -> None:
    check_record(PARSER.parse_record(raw, NOW), raw)


@given(json_values)
def test_parser_never_raises_on_random_json(value: Any) -> None:
    raw = orjson.dumps(value)
    check_record(PARSER.parse_record(raw, NOW), raw)


@given(st.lists(json_values, min_size=1, max_size=4))
def test_parser_never_raises_on_random_batches(items: list[Any]) -> None:
    raw = orjson.dumps({"batch": items})
    record = PARSER.parse_record(raw, NOW)
    check_record(record, raw)
    assert sorted([*record.batch_indexes, *(r.batch_index for r in record.rejections)]) == list(
        range(len(items))
    )


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
timestamps = st.datetimes(timezones=offsets).map(datetime.isoformat)


@given(st.datetimes(timezones=offsets))
@example(datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))))
@example(datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))))
@example(datetime.min.replace(tzinfo=UTC))
def test_any_iso_timestamp_is_accepted_or_rejected_never_raised(at: datetime) -> None:
    record = parse(build(PAGE, timestamp=at.isoformat()))
    if record.events:
        (event,) = record.events
        assert event.timestamp == at
        assert event.timestamp.utcoffset() == timedelta(0)
        assert at - NOW <= PARSER.max_future
    else:
        (rejection,) = record.rejections
        assert rejection.reason in (RejectReason.BAD_TIMESTAMP, RejectReason.FUTURE_TIMESTAMP)
        assert "timestamp" in rejection.message


VALID_DOCS = [
    PAGE,
    SCREEN,
    IDENTIFY,
    PRODUCT_VIEWED,
    SEARCHED,
    CONSENT,
    ADDED,
    REMOVED,
    CART_VIEWED,
    CHECKOUT,
    ORDER_WEB,
    ORDER_STORE,
    TILL_ANONYMOUS,
    STOCK,
    CUSTOM,
]
MUTABLE_PATHS = [
    ("messageId",),
    ("type",),
    ("event",),
    ("userId",),
    ("anonymousId",),
    ("timestamp",),
    ("context",),
    ("context", "channel"),
    ("properties",),
    *(
        ("properties", key)
        for key in (
            "product_id",
            "price",
            "quantity",
            "order_id",
            "store_id",
            "total",
            "currency",
            "products",
            "query",
            "email",
            "sms",
        )
    ),
    ("properties", "products", 0),
    ("properties", "products", 0, "product_id"),
    ("properties", "products", 0, "price"),
    ("properties", "products", 0, "quantity"),
]
odd_values = st.sampled_from(["", " ", "x" * 129, -1, 0, 1.5, 2.0, True, [], {}, 2**63 - 1])
mutations = st.lists(
    st.tuples(
        st.sampled_from(MUTABLE_PATHS),
        st.one_of(json_values, timestamps, odd_values, st.just(DROP)),
    ),
    max_size=3,
)


def has(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def mutate(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set (or drop) ``path`` in ``doc`` when its parent exists; otherwise do nothing."""
    target: Any = doc
    for part in path[:-1]:
        if not has(target, part):
            return
        target = target[part]
    leaf = path[-1]
    if value is DROP and has(target, leaf):
        del target[leaf]
    elif value is not DROP and (
        has(target, leaf) or (isinstance(target, dict) and isinstance(leaf, str))
    ):
        # sampled_from hands out the same {} and [] objects: copy them, or a dict can end
        # up containing itself
        target[leaf] = copy.deepcopy(value)


@given(st.sampled_from(VALID_DOCS), mutations)
def test_parser_never_raises_on_mutated_valid_events(
    base: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]
) -> None:
    doc = copy.deepcopy(base)
    for path, value in changes:
        mutate(doc, path, value)
    raw = orjson.dumps(doc)
    record = PARSER.parse_record(raw, NOW)
    check_record(record, raw)
    if not changes:
        assert len(record.events) == 1
    for event in record.events:
        assert event.timestamp.utcoffset() == timedelta(0)
        assert event.timestamp - NOW <= PARSER.max_future
        assert 0 < len(event.message_id) <= 128
        assert event.identity is not None or event.kind in (
            EventKind.STOCK_UPDATED,
            EventKind.ORDER_COMPLETED,
        )
        assert all(p.quantity >= 1 and (p.price or 0) >= 0 for p in event.products)
