"""Erasure memory: what outlives a person's erasure, so it cannot be undone or abused.

An erasure deletes every key of the person, but events already queued in the
topics still arrive, and a fresh context must not reset contact caps. So each
erased identity leaves one hash, ``erased:{tag}``, for ``ERASURE_MEMORY_DAYS``:

- ``at``: the erasure's time; events up to it are dropped and counted, never folded;
- ``c|type|channel|at_ms``: the person's recent contacts, which a fresh context
  starts with so caps and cooldowns still hold.

The tag is an HMAC of the identity under ``ERASURE_SALT``, a secret from the
environment: without the salt, Redis holds nothing that leads back to the id
(an unsalted hash of a known email address is found by hashing the address).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from models.identity import Identity
from models.offers.pressure import Contact
from streams.redis.gateway import Reply, RoundTrip
from streams.redis.keys import erased_key, pairs, text

_CONTACT = "c"


@dataclass(frozen=True, slots=True)
class RememberedContact:
    """A contact kept through an erasure: what it was and when, not whom or why."""

    type: str
    channel: str
    at_ms: int

    @property
    def member(self) -> str:
        """Its entry in a fresh context's contact history (never shown as sent)."""
        return f"{self.type}|{self.channel}|erased-{self.at_ms}"


@dataclass(frozen=True, slots=True)
class Erasure:
    at_ms: int
    contacts: tuple[RememberedContact, ...] = ()

    def forgets(self, event_time_ms: int) -> bool:
        """An event from before the erasure (or at it) belonged to the erased person."""
        return event_time_ms <= self.at_ms


@dataclass(frozen=True, slots=True)
class Erased:
    """What erasing a person found."""

    found: bool  # whether anything was stored about them
    # The customer's recent contacts, remembered so a fresh context keeps its caps.
    contacts: list[Contact]


class ErasureMemory:
    def __init__(self, salt: str, ttl_s: int) -> None:
        if not salt:
            raise ValueError("an erasure memory needs a salt (ERASURE_SALT)")
        self._salt = salt.encode()
        self.ttl_s = ttl_s

    def key(self, identity: Identity) -> str:
        tag = hmac.new(self._salt, identity.key.encode(), hashlib.sha256).hexdigest()[:32]
        return erased_key(tag)

    def queue_read(self, trip: RoundTrip, identity: Identity) -> Reply:
        """The identity's erasure (or None), read with the rest of a batch's load."""
        return trip.call("HGETALL", self.key(identity), decode=_erasure)

    def queue_remember(
        self, trip: RoundTrip, identity: Identity, at_ms: int, contacts: list[Contact]
    ) -> None:
        # Seeded entries of an earlier erasure are contacts too: they carry over again.
        fields = [f"{_CONTACT}|{c.type}|{c.channel or ''}|{c.at_ms}" for c in contacts]
        trip.script("remember_erasure", [self.key(identity)], [self.ttl_s, at_ms, *fields])


def _erasure(raw: Any) -> Erasure | None:
    at_ms: int | None = None
    contacts = []
    for name, value in pairs(raw):
        field = text(name)
        if field == "at":
            at_ms = int(text(value))
        elif field.startswith(f"{_CONTACT}|"):
            _c, kind, channel, at = field.split("|")
            contacts.append(RememberedContact(kind, channel, int(at)))
    if at_ms is None:
        return None
    return Erasure(at_ms, tuple(sorted(contacts, key=lambda c: (c.at_ms, c.type))))
