"""Applying erasure memory to a loaded batch: what an erased person left in the topics.

Events still queued when a person was erased arrive afterwards. Any event that
names an erased identity (its owner, its userId or its anonymousId) and is not
later than the erasure is dropped and counted, never folded. An ``identify``
among them must not link the erased visitor again: when its freeze moved the
visitor in this batch, the freeze is undone in the commit and the visitor's
events of the batch are loaded again as their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.events import Event, EventKind
from models.identity import Identity
from streams.redis.loading import Loaded


@dataclass
class Forgetting:
    dropped: int = 0
    # (visitor, userId) freezes to undo: their identify preceded an erasure.
    unfreeze: list[tuple[Identity, str]] = field(default_factory=list)
    # Events routed to a customer through such a freeze: loaded again once it is undone.
    replay: list[Event] = field(default_factory=list)


def forget_erased(batch: Loaded) -> Forgetting:
    out = Forgetting()
    if batch.erasures:
        for person in batch.people.values():
            kept = [e for e in person.events if not _forgotten(batch, e, person.owner)]
            out.dropped += len(person.events) - len(kept)
            person.events[:] = kept
    for user, visitors in batch.absorbed.items():
        owner = batch.people.get(user)
        events = owner.events if owner is not None else []
        identified = {e.anonymous_id for e in events if e.kind is EventKind.IDENTIFY}
        kept_visitors = []
        for absorbed in visitors:
            if absorbed.visitor.value in identified:
                kept_visitors.append(absorbed)
            elif absorbed.frozen_now:
                out.unfreeze.append((absorbed.visitor, user.value))
                out.replay += [e for e in events if e.identity == absorbed.visitor]
                events[:] = [e for e in events if e.identity != absorbed.visitor]
        visitors[:] = kept_visitors
    for empty in [o for o, p in batch.people.items() if not p.events]:
        del batch.people[empty]
    return out


def _forgotten(batch: Loaded, event: Event, owner: Identity) -> bool:
    named = {owner, event.identity}
    if event.anonymous_id:
        named.add(Identity.anonymous(event.anonymous_id))
    return any(
        (erasure := batch.erasures.get(who)) is not None and erasure.forgets(event.event_time_ms)
        for who in named
        if who is not None
    )
