"""Contact history and reservations: the one home of "who was contacted, when, how".

Slots are taken inside the person's commit script (:mod:`.scripts`), atomically
with their context, by the rule of :mod:`models.offers.pressure` whose numbers
are passed in here. A reservation is marked emitted once Kafka has the trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson

from models.identity import Identity
from models.offers.pressure import HISTORY_MS, WEEK_MS, ChannelCount, Contact, ContactAsk
from models.offers.rules import ContactCaps
from streams.redis.batch import ContactVerdict, PersonPlan, TimerEntry
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.keys import PersonKeys, pairs, text

CONTACT_TTL_S = 30 * 86_400


def commit_args(
    *,
    caps: ContactCaps,
    contacts: Sequence[ContactAsk],
    timers: Sequence[TimerEntry],
    check: bool,
    version: str = "",
    write: bool = False,
    **context_fields: Any,
) -> bytes:
    """The plan of the ``commit_person`` script (see its header for the fields)."""
    return orjson.dumps(
        {
            "check": check,
            "version": version,
            "write": write,
            "ctx_ttl": 0,
            "seen_ttl": 0,
            "seen_max": 0,
            "links": [],
            "seen": [],
            **context_fields,
            "caps": {
                "day": caps.per_day,
                "week": caps.per_week,
                "week_ms": WEEK_MS,
                "history_ms": HISTORY_MS,
                "ttl": CONTACT_TTL_S,
                "exempt": sorted(caps.exempt_types),
                # 0: that window of the channel is uncapped.
                "channels": {
                    name: {"day": limits.per_day or 0, "week": limits.per_week or 0}
                    for name, limits in caps.channels.items()
                },
            },
            "reserve": [
                {
                    "id": c.trigger_id,
                    "type": c.trigger_type,
                    "channels": list(c.channels),
                    "at": c.at_ms,
                    "cooldown": c.cooldown_ms,
                    "day_from": c.day_start_ms,
                    "day_to": c.day_end_ms,
                }
                for c in contacts
            ],
            "pending": [v for t in timers for v in (t.slot, t.stored.decode())],
        }
    )


def queue_commit(trip: RoundTrip, owner: Identity, plan_json: bytes, doc: bytes = b"") -> Reply:
    """One person's commit script. Its error is the person's alone: it is raised when its
    reply is read. The timers of the pending triggers it writes are armed once it is
    known to have gone through (:func:`streams.redis.timers.queue_arm`)."""
    keys = PersonKeys.of(owner)
    return trip.script(
        "commit_person",
        [
            keys.context,
            keys.seen,
            keys.links,
            keys.contacts,
            keys.decided,
            keys.pending,
            keys.decisions,
        ],
        [plan_json, doc],
        decode=decode_commit,
        isolated=True,
    )


async def reserve_contacts(
    gateway: RedisGateway, caps: ContactCaps, plans: Mapping[Identity, PersonPlan]
) -> None:
    """Contact slots for decisions taken outside a batch's commit (due timers, restocks):
    one script per person, no context written, in one round trip (none when no plan asks)."""
    trip = gateway.round_trip()
    replies: dict[Identity, Reply] = {}
    for owner, plan in plans.items():
        if plan.contacts:
            body = commit_args(
                caps=caps, contacts=plan.contacts, timers=(), check=False, existing_only=True
            )
            replies[owner] = queue_commit(trip, owner, body)
    await trip.send()
    for owner, reply in replies.items():
        status, verdicts = reply.value
        if status == -2:  # erased since the decision: nothing is sent or recorded
            plans[owner].decisions.clear()
            plans[owner].contacts.clear()
            continue
        plans[owner].verdicts = verdicts


def decode_commit(raw: list[Any]) -> tuple[int, list[ContactVerdict]]:
    verdicts = []
    for verdict, a, b, channel, skipped in raw[1:]:
        name, granted = text(verdict), text(channel) or None
        if name == "existing":
            verdicts.append(ContactVerdict(name, state=text(a), channel=granted))
            continue
        passed_over = tuple(
            ChannelCount(text(skipped[i]), int(skipped[i + 1]), int(skipped[i + 2]))
            for i in range(0, len(skipped), 3)
        )
        verdicts.append(ContactVerdict(name, "", int(a), int(b), granted, passed_over))
    return int(raw[0]), verdicts


def queue_mark_emitted(trip: RoundTrip, sent: Iterable[tuple[Identity, str]]) -> None:
    """Mark (person, trigger_id) reservations as delivered: one script per person."""
    _queue_marks(trip, "mark_emitted", sent)


def queue_mark_held_out(trip: RoundTrip, held_out: Iterable[tuple[Identity, str]]) -> None:
    """Mark (person, trigger_id) reservations as held out once their suppression is
    delivered: the slot stays taken (see the README's holdout section), nothing was sent."""
    _queue_marks(trip, "mark_held_out", held_out)


def _queue_marks(trip: RoundTrip, script: str, marks: Iterable[tuple[Identity, str]]) -> None:
    by_person: dict[Identity, list[str]] = {}
    for person, trigger_id in marks:
        by_person.setdefault(person, []).append(trigger_id)
    for person, trigger_ids in by_person.items():
        trip.script(script, [PersonKeys.of(person).decided], trigger_ids)


async def read_contacts(
    gateway: RedisGateway, person: Identity, *, sent_only: bool = False
) -> list[Contact]:
    """The person's recent contacts, newest first. ``sent_only``: only those whose
    trigger reached Kafka (what the customer got), not slots merely reserved."""
    trip = gateway.round_trip()
    contacts = queue_contacts(trip, person, sent_only=sent_only)
    await trip.send()
    return contacts()


def queue_contacts(
    trip: RoundTrip, person: Identity, *, sent_only: bool = False
) -> Callable[[], list[Contact]]:
    """:func:`read_contacts` as commands of a round trip the caller sends; call the
    result once it is sent."""
    keys = PersonKeys.of(person)
    rows = trip.call("ZRANGE", keys.contacts, 0, -1, "WITHSCORES")
    states = trip.call("HGETALL", keys.decided)

    def contacts() -> list[Contact]:
        emitted = {text(k) for k, v in pairs(states.value) if text(v) == "emitted"}
        found = [parse_contact(text(member), int(float(at))) for member, at in pairs(rows.value)]
        if sent_only:
            found = [c for c in found if c.trigger_id in emitted]
        return sorted(found, key=lambda c: (-c.at_ms, c.trigger_id))

    return contacts


def parse_contact(member: str, at_ms: int) -> Contact:
    """``type|channel|trigger_id``; older entries are ``type|trigger_id`` (no channel)."""
    parts = member.split("|")
    channel = parts[1] if len(parts) == 3 else None
    return Contact(trigger_id=parts[-1], type=parts[0], at_ms=at_ms, channel=channel)
