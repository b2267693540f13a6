"""The measured decisions of a person and their conversions: ``lift:{p}`` (see :mod:`.keys`).

Only types with a holdout are measured. Both writes are ``HSETNX``: a decision is
remembered, and converted, by the first writer only, whoever replays or races it, so a
reply of 1 is the one moment to count it (:mod:`streams.pipeline.lift`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from models.identity import Identity
from models.offers.conversions import Conversion, MeasuredDecision
from streams.redis.gateway import Reply, RoundTrip
from streams.redis.keys import PersonKeys, pairs, text

_DECISION = "d:"
_CONVERTED = "c:"


def queue_remember(
    trip: RoundTrip,
    owner: Identity,
    decision: MeasuredDecision,
    ttl_ms: int,
    on_first: Callable[[], None],
) -> None:
    """Remember a decision until its window closes; ``on_first`` runs when the reply says
    this was its first write (a round trip that fails is retried and answers then)."""
    key = PersonKeys.of(owner).lift
    field = _DECISION + decision.trigger_id
    trip.call("HSETNX", key, field, decision.encode(), decode=_when_set(on_first))
    trip.call("PEXPIRE", key, ttl_ms)


def queue_read(trip: RoundTrip, owner: Identity) -> Reply:
    """The person's measured decisions and the trigger ids converted already."""
    return trip.call("HGETALL", PersonKeys.of(owner).lift, decode=_decode)


def queue_convert(
    trip: RoundTrip,
    owner: Identity,
    conversion: Conversion,
    ttl_ms: int,
    on_first: Callable[[], None],
) -> None:
    """Mark a decision converted; ``on_first`` runs only for the write that did it."""
    key, field = PersonKeys.of(owner).lift, _CONVERTED + conversion.decision.trigger_id
    trip.call("HSETNX", key, field, conversion.order.at_ms, decode=_when_set(on_first))
    trip.call("PEXPIRE", key, ttl_ms)  # an erasure since the read must not leave it forever


def queue_forget(trip: RoundTrip, owner: Identity, trigger_ids: Iterable[str]) -> None:
    """Drop decisions whose window has closed: nothing converts them any more."""
    fields = [prefix + tid for tid in trigger_ids for prefix in (_DECISION, _CONVERTED)]
    if fields:
        trip.call("HDEL", PersonKeys.of(owner).lift, *fields)


def export_measured(
    decisions: Iterable[MeasuredDecision], converted: set[str]
) -> list[dict[str, Any]]:
    """The person's measured decisions, as their data export lists them."""
    return [
        {
            "trigger_id": d.trigger_id,
            "type": d.type,
            "group": d.group.value,
            "decided_ms": d.decided_ms,
            "until_ms": d.until_ms,
            "converted": d.trigger_id in converted,
        }
        for d in sorted(decisions, key=lambda d: (d.decided_ms, d.trigger_id))
    ]


def _decode(raw: Any) -> tuple[list[MeasuredDecision], set[str]]:
    decisions, converted = [], set()
    for name, value in pairs(raw):
        field = text(name)
        if field.startswith(_DECISION):
            decisions.append(MeasuredDecision.decode(field[2:], text(value)))
        elif field.startswith(_CONVERTED):
            converted.add(field[2:])
    return decisions, converted


def _when_set(on_first: Callable[[], None]) -> Callable[[Any], bool]:
    def decode(raw: Any) -> bool:
        first = bool(int(raw) == 1)
        if first:
            on_first()
        return first

    return decode
