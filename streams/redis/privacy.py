"""The customer's rights over their data: export (access) and erasure.

Both act on the person, not on one id: an anonymous id that was identified
leads to the customer, and erasing the customer removes every linked
anonymous id's keys too. What an erasure leaves behind, and why, is in
:mod:`streams.redis.erasures`.
"""

from __future__ import annotations

from typing import Any

import orjson

from models.context import CustomerContext, to_document
from models.identity import Identity
from models.offers.pressure import Contact
from models.offers.restock import scope as restock_scope
from streams.redis.contacts import parse_contact, read_contacts
from streams.redis.contexts import RedisContextStore
from streams.redis.decisions import read_history
from streams.redis.erasures import Erased
from streams.redis.keys import PersonKeys, pairs, text, timer_member, timers_key
from streams.redis.lift import export_measured, queue_read
from streams.redis.restock import queue_unwatch


async def _linked(
    store: RedisContextStore, owner: Identity, context: CustomerContext | None
) -> list[Identity]:
    ids = set(context.anonymous_ids) | set(context.merged_anonymous_ids) if context else set()
    ids |= {text(raw) for raw in await store.gateway.redis.smembers(PersonKeys.of(owner).links)}
    return [Identity.anonymous(anonymous_id) for anonymous_id in sorted(ids)]


async def export(
    store: RedisContextStore, identity: Identity, now_ms: int
) -> dict[str, Any] | None:
    """Everything stored about the person, or None when nothing is."""
    owner = await store.resolve(identity)
    keys = PersonKeys.of(owner)
    trip = store.gateway.round_trip()
    doc = trip.call("HGET", keys.context, "doc")
    seen = trip.call("ZRANGE", keys.seen, 0, -1, "WITHSCORES")
    pending = trip.call("HGETALL", keys.pending)
    measured = queue_read(trip, owner)
    await trip.send()
    if doc.value is None:
        return None
    context = CustomerContext.from_json(doc.value)
    contacts = await read_contacts(store.gateway, owner)
    return {
        "identity": {"kind": owner.kind.value, "id": owner.value},
        "linked_anonymous_ids": [linked.value for linked in await _linked(store, owner, context)],
        "context": to_document(context, now_ms, store.thresholds, store.limits),
        "stored_context": context.to_json().decode(),
        "contacts": [
            {
                "type": str(c.type),
                "trigger_id": c.trigger_id,
                "channel": c.channel,
                "at_ms": c.at_ms,
            }
            for c in contacts
        ],
        "decision_history": await read_history(store.gateway, owner),
        "pending_triggers": [orjson.loads(raw) for _type, raw in pairs(pending.value)],
        "measured_decisions": export_measured(*measured.value),
        "processed_message_ids": [
            {"messageId": text(message_id), "event_time_ms": int(float(score))}
            for message_id, score in pairs(seen.value)
        ],
    }


async def erase(store: RedisContextStore, identity: Identity, at_ms: int) -> Erased:
    """Delete every key of the person and of their linked anonymous ids, with the timers
    their pending triggers wait on and their entries in the restock indexes of the
    stores they bought at, and remember the erasure under a salted tag
    (:mod:`.erasures`): events from before ``at_ms`` still queued are dropped, and caps
    survive."""
    owner = await store.resolve(identity)
    context = await store.get(owner)
    people = sorted({owner, identity, *await _linked(store, owner, context)}, key=str)
    trip = store.gateway.round_trip()
    held = {
        person: (
            trip.call("HGETALL", PersonKeys.of(person).pending),
            trip.call("ZRANGE", PersonKeys.of(person).contacts, 0, -1, "WITHSCORES"),
        )
        for person in people
    }
    await trip.send()

    trip = store.gateway.round_trip()
    remembered: dict[Identity, list[Contact]] = {}
    for person, (pending, contacts) in held.items():
        remembered[person] = [
            parse_contact(text(member), int(float(score)))
            for member, score in pairs(contacts.value)
        ]
        store.erasures.queue_remember(trip, person, at_ms, remembered[person])
        for slot, raw in pairs(pending.value):
            where = orjson.loads(raw).get("timer")
            if where:
                member = timer_member(person.pseudonym, text(slot))
                trip.call("ZREM", timers_key(where[0], int(where[1])), member)
    # One DEL per key: on Redis Cluster a multi-key DEL must stay within one slot.
    deleted = [
        trip.call("DEL", key) for key in sorted({k for p in people for k in PersonKeys.of(p).all})
    ]
    if context is not None:
        queue_unwatch(trip, owner.pseudonym, restock_scope(context))
    await trip.send()
    return Erased(any(int(reply.value) for reply in deleted), remembered[owner])
