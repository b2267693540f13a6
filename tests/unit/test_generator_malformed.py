"""Malformed records: at the requested share, each one malformed the way it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from streams.local.generator import BAD_REASONS
from tests.unit.generator_support import records


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
