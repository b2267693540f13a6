"""The customer's rights over their data: export (access) and erasure.

Both act on the person, not on one id: an anonymous id that was identified
leads to the customer, and erasing the customer removes every linked
anonymous id's keys too.
"""

from __future__ import annotations

from typing import Any

import orjson

from models.context import CustomerContext, to_document
from models.identity import Identity, IdentityKind
from streams.redis.contexts import RedisContextStore
from streams.redis.keys import context_key, identity_tag, links_key, seen_key, text
from streams.redis.offer_keys import contacts_key, decided_key, pending_key
from streams.redis.offers import OfferStore


async def _linked(
    store: RedisContextStore, owner: Identity, context: CustomerContext
) -> list[Identity]:
    ids = set(context.anonymous_ids) | set(context.merged_anonymous_ids)
    ids |= {text(raw) for raw in await store.redis.smembers(links_key(owner))}
    return [Identity(IdentityKind.ANONYMOUS, anonymous_id) for anonymous_id in sorted(ids)]


async def export(
    store: RedisContextStore, identity: Identity, now_ms: int
) -> dict[str, Any] | None:
    """Everything stored about the person, or None when nothing is."""
    owner = await store.resolve(identity)
    raw = await store.redis.hget(context_key(owner), "doc")
    if raw is None:
        return None
    context = CustomerContext.from_json(raw)
    seen: list[tuple[bytes, float]] = await store.redis.zrange(  # type: ignore[assignment]
        seen_key(owner), 0, -1, withscores=True
    )
    pending = await store.redis.hgetall(pending_key(identity_tag(owner)))
    return {
        "identity": {"kind": owner.kind.value, "id": owner.value},
        "linked_anonymous_ids": [linked.value for linked in await _linked(store, owner, context)],
        "context": to_document(context, now_ms, store.thresholds, store.limits),
        "stored_context": CustomerContext.from_json(raw).to_json().decode(),
        "contacts": [
            {"type": member.split("|", 1)[0], "trigger_id": member.split("|", 1)[1], "at_ms": at}
            for member, at in await OfferStore(store.redis).contacts(identity_tag(owner))
        ],
        "pending_triggers": [orjson.loads(raw) for raw in pending.values()],
        "processed_message_ids": [
            {"messageId": text(message_id), "event_time_ms": int(score)}
            for message_id, score in seen
        ],
    }


def _keys_of(person: Identity) -> tuple[str, ...]:
    tag = identity_tag(person)
    return (
        context_key(person),
        seen_key(person),
        links_key(person),
        pending_key(tag),  # pending timers: without their payload they never fire
        contacts_key(tag),
        decided_key(tag),
    )


async def erase(store: RedisContextStore, identity: Identity) -> bool:
    """Delete every key of the person and of their linked anonymous ids."""
    owner = await store.resolve(identity)
    raw = await store.redis.hget(context_key(owner), "doc")
    people = [owner, identity]
    if raw is not None:
        people += await _linked(store, owner, CustomerContext.from_json(raw))
    keys = {key for person in people for key in _keys_of(person)}
    deleted = await store.redis.delete(*sorted(keys))
    return bool(deleted)
