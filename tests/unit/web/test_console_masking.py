"""Dead-letter samples on the Live page: ids, emails and traits masked, memory bounded."""

from __future__ import annotations

import base64

import orjson

from streams.web.console.deadletters import DeadLetterSamples
from streams.web.console.masking import mask_id, mask_raw, mask_text

USER = "cust-4242-secret"
EMAIL = "jane.doe@example.org"


def deadletter(reason: str, original: bytes, *, as_base64: bool = False) -> bytes:
    encoded = (
        {"encoding": "base64", "data": base64.b64encode(original).decode()}
        if as_base64
        else {"encoding": "utf-8", "data": original.decode()}
    )
    return orjson.dumps(
        {
            "reason": reason,
            "message": f"bad record from {EMAIL}",
            "source": {"topic": "clickstream", "partition": 2, "offset": 41},
            "key": {"encoding": "utf-8", "data": USER},
            "original": encoded,
            "batch_index": None,
            "rejected_at": "2024-01-01T00:00:00+00:00",
        }
    )


def test_mask_id_shows_a_hint_of_shape_only() -> None:
    assert mask_id(USER) == "cu•••(16)"
    assert mask_id("short") == "•••(5)"
    assert "jane" not in mask_text(f"write to {EMAIL} or +33 6 12 34 56 78")
    assert "12 34" not in mask_text("+33 6 12 34 56 78")


def test_json_originals_keep_their_shape_with_ids_and_traits_masked() -> None:
    event = {
        "userId": USER,
        "anonymousId": "anon-77",
        "type": "identify",
        "traits": {"email": EMAIL, "firstName": "Jane", "address": {"city": "Lyon"}},
        "properties": {"note": f"contact {EMAIL}", "product_id": "SHO-001"},
    }
    shown = mask_raw(orjson.dumps(event))
    for secret in (USER, "anon-77", EMAIL, "Jane", "Lyon"):
        assert secret not in shown, secret
    masked = orjson.loads(shown)
    assert masked["type"] == "identify" and masked["properties"]["product_id"] == "SHO-001"
    assert masked["userId"] == "cu•••(16)"


def test_broken_json_and_binary_originals_are_masked_as_text() -> None:
    cut = f'{{"userId": "{USER}", "traits": {{"email": "{EMAIL}"'.encode()
    assert USER not in mask_raw(cut) and EMAIL not in mask_raw(cut)
    assert "userId" in mask_raw(cut)
    assert mask_raw(b"\xff\xfe" + USER.encode()[:3])  # never raises on bytes


def test_samples_are_masked_bounded_per_reason_and_newest_first() -> None:
    samples = DeadLetterSamples(per_reason=3)
    for n in range(5):
        original = orjson.dumps({"userId": USER, "n": n})
        samples.add(deadletter("missing_field", original, as_base64=n % 2 == 1))
    samples.add(deadletter("not_json", f'{{"userId": "{USER}"'.encode()))
    samples.add(b"not a dead letter at all")  # ignored, never raises
    kept = samples.by_reason()
    assert list(kept) == ["missing_field", "not_json"]
    assert [orjson.loads(s.original)["n"] for s in kept["missing_field"]] == [4, 3, 2]
    for sample in (s for group in kept.values() for s in group):
        assert USER not in repr(sample) and EMAIL not in repr(sample)
        assert (sample.topic, sample.partition, sample.offset) == ("clickstream", 2, 41)
