"""Decision history: each person's recent decisions, sent and suppressed, with their reasons.

It answers "why did (or didn't) this customer get the message?". Capped per
person, expiring with the contact history, exported and erased with the person.
A redelivered batch that decides the same again does not add a second entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from models.identity import Identity
from streams.redis.gateway import RedisGateway, RoundTrip
from streams.redis.keys import PersonKeys

HISTORY_TTL_S = 30 * 86_400


def decision_entry(document: dict[str, Any], outcome: str) -> bytes:
    """A compact, deterministic entry from a trigger or suppression document."""
    entry = {
        "trigger_id": document["trigger_id"],
        "type": document["type"],
        "outcome": outcome,
        "reason": document["reason"],
        "channel": document.get("channel"),
        "at": document.get("created_at") or document.get("decided_at"),
    }
    return orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)


def queue_record(trip: RoundTrip, entries: Iterable[tuple[Identity, bytes]], keep: int) -> None:
    """Newest first; the same entry again (a replay) replaces itself instead of repeating.
    One script per person, which writes nothing for a person erased meanwhile."""
    by_person: dict[Identity, list[bytes]] = {}
    for person, entry in entries:
        by_person.setdefault(person, []).append(entry)
    for person, recorded in by_person.items():
        keys = PersonKeys.of(person)
        trip.script(
            "record_decisions", [keys.decisions, keys.context], [keep, HISTORY_TTL_S, *recorded]
        )


async def read_history(gateway: RedisGateway, person: Identity) -> list[dict[str, Any]]:
    raw = await gateway.redis.lrange(PersonKeys.of(person).decisions, 0, -1)
    return [orjson.loads(entry) for entry in raw]
