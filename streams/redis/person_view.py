"""Reads for the console about one person: their linked visitor ids and their pending
triggers (what the timers wait on). Read-only; one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from models.identity import Identity
from streams.redis.gateway import RedisGateway
from streams.redis.keys import PersonKeys, pairs, text


@dataclass(frozen=True, slots=True)
class PersonView:
    linked_anonymous_ids: tuple[str, ...]
    pending: tuple[dict[str, Any], ...]  # stored pending triggers, soonest due first


async def read_person_view(gateway: RedisGateway, person: Identity) -> PersonView:
    keys = PersonKeys.of(person)
    trip = gateway.round_trip()
    links = trip.call("SMEMBERS", keys.links)
    pending = trip.call("HGETALL", keys.pending)
    await trip.send()
    triggers = [orjson.loads(raw) for _slot, raw in pairs(pending.value)]
    triggers.sort(key=lambda t: (t.get("due_ms", 0), t.get("type", "")))
    return PersonView(tuple(sorted(text(raw) for raw in links.value)), tuple(triggers))
