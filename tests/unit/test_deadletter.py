"""The dead-letter record: everything needed to fix and replay a rejected input."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.deadletter import (
    DEADLETTER_MAX_BYTES,
    SourcePosition,
    deadletter_record,
    original_bytes,
)
from models.json_fields import RejectReason
from models.parsing import EventParser, Rejection

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SOURCE = SourcePosition(topic="clickstream", partition=3, offset=42)


def record_for(rejection: Rejection, key: bytes | None = b"u-1") -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(deadletter_record(rejection, SOURCE, key, NOW))
    return document


def test_record_holds_reason_message_source_key_and_original() -> None:
    rejection = Rejection(RejectReason.MISSING_FIELD, "messageId is required", b'{"type":"page"}')
    document = record_for(rejection)
    assert document == {
        "reason": "missing_field",
        "message": "messageId is required",
        "source": {"topic": "clickstream", "partition": 3, "offset": 42},
        "key": {"encoding": "utf-8", "data": "u-1"},
        "original": {"encoding": "utf-8", "data": '{"type":"page"}'},
        "batch_index": None,
        "rejected_at": "2024-06-01T12:00:00+00:00",
    }
    assert original_bytes(document) == b'{"type":"page"}'


@pytest.mark.parametrize("reason", list(RejectReason))
def test_every_reason_code_is_written_by_name(reason: RejectReason) -> None:
    document = record_for(Rejection(reason, "why", b"{}"))
    assert document["reason"] == reason.value


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, None),
        (b"anon-\xc3\xa9", {"encoding": "utf-8", "data": "anon-\u00e9"}),
        (b"\xff\x00", {"encoding": "base64", "data": "/wA="}),
        (b"", {"encoding": "utf-8", "data": ""}),
    ],
)
def test_key_is_encoded_like_the_original(key: bytes | None, expected: object) -> None:
    assert record_for(Rejection(RejectReason.NOT_JSON, "x", b"x"), key)["key"] == expected


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (b'{"messageId": "caf\xc3\xa9"}', "utf-8"),
        (b"plain text \x00 with a nul", "utf-8"),
        (b"", "utf-8"),
        (b"\xff\xfe{}", "base64"),
        (b'{"a": "\xc3\x28"}', "base64"),
        (bytes(range(256)), "base64"),
    ],
)
def test_original_round_trips_exactly(raw: bytes, encoding: str) -> None:
    document = record_for(Rejection(RejectReason.NOT_JSON, "x", raw))
    assert document["original"]["encoding"] == encoding
    if encoding == "utf-8":
        assert document["original"]["data"] == raw.decode("utf-8")
    else:
        assert base64.b64decode(document["original"]["data"]) == raw
    assert original_bytes(document) == raw


@given(st.binary(max_size=300))
def test_any_original_bytes_round_trip(raw: bytes) -> None:
    document = record_for(Rejection(RejectReason.NOT_UTF8, "x", raw), key=raw)
    assert original_bytes(document) == raw
    assert original_bytes({"original": document["key"]}) == raw


@given(st.text(max_size=100))
def test_utf8_originals_are_stored_as_text(text: str) -> None:
    raw = text.encode("utf-8")
    document = record_for(Rejection(RejectReason.NOT_JSON, "x", raw))
    assert document["original"] == {"encoding": "utf-8", "data": text}
    assert original_bytes(document) == raw


def test_rejection_from_the_parser_round_trips_with_its_batch_index() -> None:
    bad_inner = {"messageId": "m-2", "type": "page"}
    good = {
        "messageId": "m-1",
        "type": "page",
        "anonymousId": "a",
        "timestamp": "2024-06-01T11:00:00Z",
        "context": {"channel": "web"},
    }
    raw = orjson.dumps({"batch": [good, bad_inner]})
    (rejection,) = EventParser().parse_record(raw, NOW).rejections
    document = record_for(rejection, key=b"a")
    assert document["batch_index"] == 1
    assert document["reason"] == "missing_field"
    assert document["message"] == "batch[1]: timestamp is required"
    assert orjson.loads(original_bytes(document)) == bad_inner


def test_undecodable_record_from_the_parser_is_kept_byte_for_byte() -> None:
    raw = b"\xff\xfe{}"
    (rejection,) = EventParser().parse_record(raw, NOW).rejections
    document = record_for(rejection, key=None)
    assert document["reason"] == "not_utf8"
    assert document["original"]["encoding"] == "base64"
    assert document["key"] is None
    assert original_bytes(document) == raw


def test_a_record_of_control_bytes_fits_whole_as_base64() -> None:
    # 180 KB of \x01 is valid UTF-8 that JSON escapes six-fold (\u0001): 1.08 MB as
    # text, over the producer's 1,000,000-byte limit.
    raw = b"\x01" * 180_000
    encoded = deadletter_record(Rejection(RejectReason.NOT_JSON, "x", raw), SOURCE, b"k", NOW)
    assert len(encoded) < DEADLETTER_MAX_BYTES
    document = orjson.loads(encoded)
    assert document["original"]["encoding"] == "base64"
    assert "truncated" not in document["original"]
    assert original_bytes(document) == raw


def test_an_original_too_large_for_the_record_keeps_its_first_bytes_size_and_digest() -> None:
    raw = bytes(range(256)) * 4096 * 2  # 2 MiB, not UTF-8
    document = record_for(Rejection(RejectReason.TOO_LARGE, "x", raw))
    original = document["original"]
    assert original["truncated"] is True
    assert original["size"] == len(raw)
    assert original["sha256"] == hashlib.sha256(raw).hexdigest()
    kept = original_bytes(document)
    assert 480 * 1024 <= len(kept) < len(raw)
    assert raw.startswith(kept)


@settings(max_examples=25)
@given(
    original=st.one_of(
        st.binary(min_size=0, max_size=2 << 20),
        st.text(alphabet=st.sampled_from('\x01\x1f"\\é😀a'), max_size=600_000).map(str.encode),
        st.integers(0, 3 << 20).map(lambda n: b"\x00" * n),
    ),
    key=st.one_of(st.none(), st.binary(max_size=100_000), st.just(b"\x02" * 50_000)),
    message=st.text(max_size=5000),
    topic=st.text(alphabet="\x01a.", min_size=1, max_size=249),
)
def test_every_dead_letter_fits_the_bound(
    original: bytes, key: bytes | None, message: str, topic: str
) -> None:
    rejection = Rejection(RejectReason.NOT_JSON, message, original, 3)
    encoded = deadletter_record(rejection, SourcePosition(topic, 7, 2**62), key, NOW)
    assert len(encoded) <= DEADLETTER_MAX_BYTES
    document = orjson.loads(encoded)
    kept = original_bytes(document)
    if document["original"].get("truncated"):
        assert original.startswith(kept)
        assert document["original"]["sha256"] == hashlib.sha256(original).hexdigest()
    else:
        assert kept == original


def test_the_bound_leaves_a_margin_under_the_workers_producer_limit() -> None:
    from config import Settings
    from streams.app import create_app

    app = create_app(Settings(erasure_salt="unit-test-erasure-salt"))
    limit = app.conf.producer_max_request_size
    assert limit * 0.7 > DEADLETTER_MAX_BYTES
