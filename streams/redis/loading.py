"""Loading a batch's people: one round trip for the freezes, contexts and dedupe scores.

``identify`` events freeze their visitor first, so a visitor identified in this
batch routes its own events of the batch to the customer. A visitor identified
earlier leads to its customer through ``moved_to``; when that customer is not
in the batch, one more round trip reads them. Each identity's erasure memory
(:mod:`.erasures`) is read in the same round trips.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from models.context import CustomerContext
from models.events import Event, EventKind
from models.identity import Identity
from streams.redis.context_cache import DecodedContexts
from streams.redis.erasures import Erasure, ErasureMemory
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.keys import PersonKeys, dedupe_member, pairs, text


@dataclass(frozen=True)
class Absorbed:
    """A frozen anonymous context about to be merged into a customer's, with what
    follows it there: dedupe ids, contact history and decision history."""

    visitor: Identity
    context: CustomerContext | None
    seen: list[tuple[str, int]]
    contacts: list[tuple[str, int]] = field(default_factory=list)
    decided: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[bytes] = field(default_factory=list)
    # This batch's freeze moved the visitor (else an earlier identify had).
    frozen_now: bool = False


@dataclass
class LoadedPerson:
    """A person as read from Redis, before folding."""

    owner: Identity
    events: list[Event]
    context: CustomerContext
    version: str
    already_seen: set[str]
    # The owner's last erasure: a fresh context starts with its remembered contacts.
    erasure: Erasure | None = None


@dataclass
class Loaded:
    people: dict[Identity, LoadedPerson]
    absorbed: dict[Identity, list[Absorbed]]
    # The erasure of every identity the batch names (owners, visitors), where one is kept.
    erasures: dict[Identity, Erasure]


async def load_people(
    gateway: RedisGateway, events: list[Event], memory: ErasureMemory, decoded: DecodedContexts
) -> Loaded:
    """Freeze identified visitors and read every person of the batch: one round trip,
    plus one when a visitor leads to a customer the batch did not name."""
    trip = gateway.round_trip()
    # Freezes go first, so a visitor identified in this batch routes its own events.
    freezes = [
        (user_id, _queue_freeze(trip, user_id, Identity.anonymous(visitor_id)))
        for user_id, visitor_id in sorted(
            {
                (e.user_id, e.anonymous_id)
                for e in events
                if e.kind is EventKind.IDENTIFY and e.user_id and e.anonymous_id
            }
        )
    ]
    by_identity: dict[Identity, list[Event]] = defaultdict(list)
    for event in events:
        assert event.identity is not None
        by_identity[event.identity].append(event)
    reads = {who: _queue_read(trip, who, batch) for who, batch in by_identity.items()}
    named = set(by_identity) | {
        Identity.anonymous(e.anonymous_id) for e in events if e.anonymous_id
    }
    erasure_reads = {who: memory.queue_read(trip, who) for who in named}
    await trip.send()

    absorbed: dict[Identity, list[Absorbed]] = defaultdict(list)
    for user_id, reply in freezes:
        moved_to, frozen = reply.value
        if moved_to == user_id:  # else identified as someone else first: stays theirs
            absorbed[Identity.user(user_id)].append(frozen)

    loaded: dict[Identity, LoadedPerson] = {}
    moved: dict[Identity, list[Event]] = defaultdict(list)
    for who, batch in by_identity.items():
        doc, version, moved_to, seen = _read_value(reads[who])
        if moved_to is not None:
            moved[Identity.user(moved_to)] += batch
            continue
        already = {e.message_id for e, score in zip(batch, seen, strict=True) if score}
        loaded[who] = LoadedPerson(who, batch, _context(decoded, doc), version, already)
    erasures = {who: reply.value for who, reply in erasure_reads.items() if reply.value}
    if moved:
        await _load_moved(gateway, memory, decoded, moved, loaded, erasures)
    for person in loaded.values():
        person.events.sort(key=attrgetter("order_key"))
        person.erasure = erasures.get(person.owner)
    return Loaded(loaded, absorbed, erasures)


async def _load_moved(
    gateway: RedisGateway,
    memory: ErasureMemory,
    decoded: DecodedContexts,
    moved: dict[Identity, list[Event]],
    loaded: dict[Identity, LoadedPerson],
    erasures: dict[Identity, Erasure],
) -> None:
    """Events of visitors already identified: checked against, and folded into, the customer."""
    trip = gateway.round_trip()
    reads: dict[Identity, tuple[list[Event], tuple[Reply, Reply], Reply]] = {}
    for owner, batch in moved.items():
        known = loaded.get(owner)
        wanted = batch if known is None else batch + known.events
        reads[owner] = (wanted, _queue_read(trip, owner, wanted), memory.queue_read(trip, owner))
    await trip.send()
    for owner, (wanted, reply, erasure) in reads.items():
        doc, version, _moved_to, seen = _read_value(reply)
        already = {e.message_id for e, score in zip(wanted, seen, strict=True) if score}
        loaded[owner] = LoadedPerson(owner, wanted, _context(decoded, doc), version, already)
        if erasure.value:
            erasures[owner] = erasure.value


def _queue_freeze(trip: RoundTrip, user_id: str, visitor: Identity) -> Reply:
    keys = PersonKeys.of(visitor)

    def decode(raw: list[Any]) -> tuple[str, Absorbed]:
        moved_to, doc, seen, contacts, decided, decisions, frozen_now = raw
        absorbed = Absorbed(
            visitor,
            CustomerContext.from_json(doc) if doc else None,
            [(text(member), int(float(score))) for member, score in pairs(seen)],
            [(text(member), int(float(score))) for member, score in pairs(contacts)],
            [(text(trigger_id), text(state)) for trigger_id, state in pairs(decided)],
            list(decisions),
            bool(frozen_now),
        )
        return text(moved_to), absorbed

    return trip.script(
        "freeze",
        [keys.context, keys.seen, keys.contacts, keys.decided, keys.decisions],
        [user_id],
        decode=decode,
    )


def _queue_read(trip: RoundTrip, who: Identity, events: list[Event]) -> tuple[Reply, Reply]:
    """The person's context hash, and for each of these events whether its messageId is
    in their dedupe set: as its digest, or as itself (sets written before digests; that
    half of the lookup can go once DEDUPE_TTL_S has passed since the upgrade)."""
    keys = PersonKeys.of(who)
    ids = [e.message_id for e in events]
    return (
        trip.call("HMGET", keys.context, "doc", "v", "moved_to"),
        trip.call(
            "ZMSCORE",
            keys.seen,
            *(dedupe_member(i) for i in ids),
            *ids,
            decode=lambda scores: [
                a or b for a, b in zip(scores[: len(ids)], scores[len(ids) :], strict=True)
            ],
        ),
    )


def _read_value(replies: tuple[Reply, Reply]) -> tuple[bytes | None, str, str | None, list[Any]]:
    doc, version, moved_to = replies[0].value
    version_text = "" if version is None else text(version)
    return doc, version_text, None if moved_to is None else text(moved_to), replies[1].value


def _context(decoded: DecodedContexts, doc: bytes | None) -> CustomerContext:
    return CustomerContext() if doc is None else decoded.decode(doc)
