"""The Redis key layout: every key the engine reads or writes is named here, and only here.

All keys of one person share a hash tag, ``{pseudonym}``, so a script touching a
person's keys runs on Redis Cluster; the pseudonym hashes the identity, so key
names never carry a customer id.

Per person (``PersonKeys``):

- ``ctx:{p}``      hash: ``doc`` (context JSON), ``v`` (version for compare-and-set)
  and, once an anonymous visitor has been identified, ``moved_to`` (the userId
  whose context absorbed it). A moved context keeps only ``moved_to``: the alias
  that routes later events under the anonymous id to the customer.
- ``seen:{p}``     sorted set: applied messageIds scored by event time, capped, expiring.
  Each member is the messageId's :func:`dedupe_member` (11 characters, where ids are
  usually 36); sets written before hold the messageIds themselves.
- ``links:{p}``    set: the visitor ids merged into this customer that its context no
  longer lists (the context keeps the latest 20), so an erasure still finds every alias.
- ``contacts:{p}`` sorted set ``type|channel|trigger_id`` -> event time: contact history,
  the one home of "who was contacted when" (caps, cooldowns, the API's ``contacts``).
- ``decided:{p}``  hash ``trigger_id`` -> ``reserved`` | ``emitted`` | ``holdout``: the
  at-most-once guard.
- ``pending:{p}``  hash slot -> pending trigger JSON: one per timed type, one per held
  decision (``PendingTrigger.slot``), naming the partition whose timers hold it.
- ``decisions:{p}`` list, newest first: the person's recent decisions, sent and suppressed,
  with their reasons ("why didn't this customer get the message?").
- ``lift:{p}``     hash, only for trigger types with a holdout: ``d:<trigger_id>`` -> the
  sent or held-out decision (``type|group|decided_ms|until_ms|cause digest``) until its
  conversion window closes, and ``c:<trigger_id>`` -> the event time of the order that
  converted it (:mod:`.lift`).

Per input partition (``{topic:partition}``), owned with the partition:

- ``timers:{t:n}`` sorted set ``pseudonym|slot`` -> due time.
- ``clock:{t:n}``  hash ``event_ms``, ``wall_ms``: the partition's event-time clock.

Per erased identity, under a salted tag (:mod:`.erasures`): ``erased:{tag}`` hash.

Per store (``{store}``, the store id with ``%``, ``{`` and ``}`` percent-escaped, so
every key of one store is in one slot and no two stores share one):

- ``stock:{s}``  hash product -> ``units|event_ms|before``: the reading with the latest
  event time, and the units before it (-1: unknown), so a redelivered reading answers
  as the first delivery did.
- ``viewers:{s}:<product>`` sorted set pseudonym -> time of their latest qualifying
  view: the customers a restock of that product at that store re-evaluates. Members
  are pseudonyms (fixed-length digests: no input can forge or split one); the person
  behind one is read from their context. Pruned to the restock window and capped.

Shared: ``trends:{minute}`` hash ``kind|scope|part...`` -> count, one bucket per
event-time minute; each part (an id or category from input) percent-escaped, so none
can add a part (:mod:`.trend_fields`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from models.identity import Identity


@dataclass(frozen=True, slots=True)
class PersonKeys:
    pseudonym: str

    @classmethod
    def of(cls, identity: Identity) -> PersonKeys:
        return cls(identity.pseudonym)

    @property
    def context(self) -> str:
        return f"ctx:{{{self.pseudonym}}}"

    @property
    def seen(self) -> str:
        return f"seen:{{{self.pseudonym}}}"

    @property
    def links(self) -> str:
        return f"links:{{{self.pseudonym}}}"

    @property
    def contacts(self) -> str:
        return f"contacts:{{{self.pseudonym}}}"

    @property
    def decided(self) -> str:
        return f"decided:{{{self.pseudonym}}}"

    @property
    def pending(self) -> str:
        return f"pending:{{{self.pseudonym}}}"

    @property
    def decisions(self) -> str:
        return f"decisions:{{{self.pseudonym}}}"

    @property
    def lift(self) -> str:
        return f"lift:{{{self.pseudonym}}}"

    @property
    def all(self) -> tuple[str, ...]:
        return (
            self.context,
            self.seen,
            self.links,
            self.contacts,
            self.decided,
            self.pending,
            self.decisions,
            self.lift,
        )


def dedupe_member(message_id: str) -> str:
    """A messageId as its person's dedupe set keeps it: 64 bits of BLAKE2b, URL-safe base64.
    Two of one person's ids colliding within the dedupe window (at most DEDUPE_MAX_IDS
    ids, 2,000 by default) has a chance of about DEDUPE_MAX_IDS^2 / 2^65: 1 in 9e12."""
    digest = hashlib.blake2b(message_id.encode(), digest_size=8).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def timers_key(topic: str, partition: int) -> str:
    return f"timers:{{{topic}:{partition}}}"


def clock_key(topic: str, partition: int) -> str:
    return f"clock:{{{topic}:{partition}}}"


def timer_member(pseudonym: str, slot: str) -> str:
    return f"{pseudonym}|{slot}"


def erased_key(tag: str) -> str:
    return f"erased:{{{tag}}}"


def stock_key(store_id: str) -> str:
    return f"stock:{{{_store_tag(store_id)}}}"


def viewers_key(store_id: str, product_id: str) -> str:
    # The tag holds no brace, so it ends at the first "}": the product is all that follows.
    return f"viewers:{{{_store_tag(store_id)}}}:{product_id}"


def _store_tag(store_id: str) -> str:
    """A hash tag that is the store id itself unless it holds ``%``, ``{`` or ``}``: a raw
    brace would cut the tag short or empty it, and split a store's keys across slots."""
    return store_id.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


def trends_key(minute: int) -> str:
    return f"trends:{{{minute}}}"


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients may be configured to decode or not)."""
    return value.decode() if isinstance(value, bytes) else value


def pairs(raw: Any) -> list[tuple[Any, Any]]:
    """A hash or a WITHSCORES reply as (field, value) pairs, whatever the client parsed."""
    if isinstance(raw, dict):
        return list(raw.items())
    if raw and isinstance(raw[0], list | tuple):  # already paired by the client
        return [(first, second) for first, second in raw]
    return [(raw[i], raw[i + 1]) for i in range(0, len(raw), 2)]
