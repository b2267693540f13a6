"""Redis-backed customer context store with identity stitching.

One person's events can arrive under different keys, and so on different
partitions and workers: ``anonymousId`` before ``identify``, ``userId`` after.
Rather than repartitioning (a faust ``group_by`` hop costs ~5x throughput),
identity is resolved here, in Redis:

- an event with a ``userId`` belongs to that customer;
- an event with only an ``anonymousId`` belongs to the customer the visitor was
  identified as (``moved_to`` on the anonymous context), else to the visitor;
- ``identify`` freezes the visitor's context, merges it into the customer's
  (idempotently: the customer remembers which visitors it absorbed), then
  drops the visitor's data, keeping only the alias.

Every write is a compare-and-set on the context's version, so concurrent
workers never lose an update; a write to a context that moved is refused and
the events are re-resolved. Folding itself is pure (``models.context``).

A batch costs three round trips (resolve aliases, read, write), plus two when
it contains ``identify`` events (freeze, clean up), whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from models.context import (
    ContextLimits,
    CustomerContext,
    LifecycleThresholds,
    fold_new_events,
    merge,
)
from models.events import Event, EventKind
from models.identity import Identity, IdentityKind
from streams.redis.keys import COMPARE_AND_SET, FREEZE, context_key, links_key, seen_key, text

MAX_CAS_ATTEMPTS = 20


@dataclass(frozen=True)
class OwnerUpdate:
    """A person touched by a batch: their context now, and the batch's events for them
    (duplicates included, so decisions lost to a crash are made again on redelivery)."""

    context: CustomerContext
    events: list[Event]


@dataclass
class ApplyResult:
    applied: list[Event] = field(default_factory=list)
    owners: dict[Identity, OwnerUpdate] = field(default_factory=dict)
    duplicates: int = 0
    failed: list[tuple[Event, Exception]] = field(default_factory=list)
    contexts_written: int = 0
    cas_retries: int = 0
    merges: int = 0


@dataclass(frozen=True)
class BatchOutcome:
    """What the ingest step hands the engine after a batch is in Redis."""

    owners: dict[Identity, OwnerUpdate]
    sources: dict[Identity, tuple[str, int]]  # where each person's latest event came from
    applied: list[Event]
    clock_marks: dict[tuple[str, int], int]  # newest event time per input partition


class ContextStore(Protocol):
    async def apply(self, events: list[Event]) -> ApplyResult: ...


@dataclass(frozen=True)
class _Absorbed:
    """A frozen anonymous context about to be merged into a customer's."""

    anonymous_id: str
    context: CustomerContext | None
    seen: list[tuple[str, int]]


def _user(user_id: str) -> Identity:
    return Identity(IdentityKind.USER, user_id)


def _anonymous(anonymous_id: str) -> Identity:
    return Identity(IdentityKind.ANONYMOUS, anonymous_id)


class RedisContextStore:
    def __init__(
        self,
        redis: Redis,
        *,
        dedupe_ttl_s: int,
        dedupe_max_ids: int,
        anonymous_ttl_s: int = 30 * 86_400,
        limits: ContextLimits | None = None,
        thresholds: LifecycleThresholds | None = None,
    ) -> None:
        self._redis = redis
        self._dedupe_ttl_s = dedupe_ttl_s
        self._dedupe_max_ids = dedupe_max_ids
        self._anonymous_ttl_s = anonymous_ttl_s
        self.limits = limits or ContextLimits()
        self.thresholds = thresholds or LifecycleThresholds()
        self._compare_and_set = redis.register_script(COMPARE_AND_SET)
        self._freeze = redis.register_script(FREEZE)

    @property
    def redis(self) -> Redis:
        return self._redis

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def resolve(self, identity: Identity) -> Identity:
        """The identity whose context holds this person's data."""
        if identity.kind is IdentityKind.USER:
            return identity
        moved_to = await self._redis.hget(context_key(identity), "moved_to")
        return identity if moved_to is None else _user(text(moved_to))

    async def get(self, identity: Identity) -> CustomerContext | None:
        resolved = await self.resolve(identity)
        raw = await self._redis.hget(context_key(resolved), "doc")
        return None if raw is None else CustomerContext.from_json(raw)

    async def apply(self, events: list[Event]) -> ApplyResult:
        """Fold events into their people's contexts, each messageId at most once."""
        pending = [event for event in events if event.identity is not None]
        result = ApplyResult()
        for _attempt in range(MAX_CAS_ATTEMPTS):
            if not pending:
                return result
            pending = await self._apply_once(pending, result)
            result.cas_retries += len({_owner_hint(e) for e in pending})
        raise RuntimeError(f"{len(pending)} events kept racing other writers; giving up this batch")

    async def _apply_once(self, events: list[Event], result: ApplyResult) -> list[Event]:
        aliases = await self._aliases(events)
        by_owner: dict[Identity, list[Event]] = defaultdict(list)
        for event in events:
            by_owner[_owner(event, aliases)].append(event)
        absorbed = await self._freeze_identified(events)

        owners = list(by_owner)
        reads = self._redis.pipeline(transaction=False)
        for owner in owners:
            reads.hmget(context_key(owner), "doc", "v")
            reads.zmscore(seen_key(owner), [e.message_id for e in by_owner[owner]])
        replies: list[Any] = await reads.execute()

        writes = self._redis.pipeline(transaction=False)
        cleanup = self._redis.pipeline(transaction=False)
        written: list[tuple[Identity, Any, list[_Absorbed]]] = []
        for index, owner in enumerate(owners):
            (doc, version), scores = replies[2 * index], replies[2 * index + 1]
            batch = by_owner[owner]
            context = CustomerContext() if doc is None else CustomerContext.from_json(doc)
            already_seen = {e.message_id for e, s in zip(batch, scores, strict=True) if s}
            merged: list[_Absorbed] = []
            for visitor in absorbed.get(owner, []):
                already_seen |= {message_id for message_id, _score in visitor.seen}
                if visitor.context is None:
                    continue
                if visitor.anonymous_id in context.merged_anonymous_ids:
                    _clean_up(cleanup, visitor)  # merged before a crash, not yet cleaned
                    continue
                context = merge(context, visitor.context, visitor.anonymous_id, self.limits)
                merged.append(visitor)
            outcome = fold_new_events(context, batch, already_seen, self.limits)
            if not outcome.applied and not merged:
                result.duplicates += outcome.duplicates
                result.failed.extend(outcome.failed)
                result.owners[owner] = OwnerUpdate(outcome.context, batch)
                continue
            pairs: list[str | int] = []
            for event in outcome.applied:
                pairs += [event.message_id, event.event_time_ms]
            for visitor in merged:
                for message_id, score in visitor.seen:
                    pairs += [message_id, score]
            ttl = self._anonymous_ttl_s if owner.kind is IdentityKind.ANONYMOUS else 0
            await self._compare_and_set(
                keys=[context_key(owner), seen_key(owner), links_key(owner)],
                args=[
                    b"" if version is None else version,
                    outcome.context.to_json(),
                    ttl,
                    self._dedupe_ttl_s,
                    self._dedupe_max_ids,
                    len(merged),
                    *(visitor.anonymous_id for visitor in merged),
                    *pairs,
                ],
                client=writes,
            )
            written.append((owner, outcome, merged))
        versions: list[Any] = await writes.execute() if written else []

        retry: list[Event] = []
        for (owner, outcome, merged), new_version in zip(written, versions, strict=True):
            if int(new_version) <= 0:
                retry += by_owner[owner]
                continue
            result.applied.extend(outcome.applied)
            result.duplicates += outcome.duplicates
            result.failed.extend(outcome.failed)
            result.contexts_written += 1
            result.merges += len(merged)
            result.owners[owner] = OwnerUpdate(outcome.context, by_owner[owner])
            for visitor in merged:
                _clean_up(cleanup, visitor)
        if len(cleanup):
            await cleanup.execute()
        return retry

    async def _aliases(self, events: list[Event]) -> dict[str, str]:
        """anonymousId -> userId for the visitors of this batch who were identified."""
        visitors = sorted({e.anonymous_id for e in events if e.user_id is None and e.anonymous_id})
        if not visitors:
            return {}
        reads = self._redis.pipeline(transaction=False)
        for visitor in visitors:
            reads.hget(context_key(_anonymous(visitor)), "moved_to")
        moved: list[bytes | None] = await reads.execute()
        return {v: m.decode() for v, m in zip(visitors, moved, strict=True) if m is not None}

    async def _freeze_identified(self, events: list[Event]) -> dict[Identity, list[_Absorbed]]:
        """Freeze the visitors named by ``identify`` events; returns them per customer."""
        links = sorted(
            {
                (e.user_id, e.anonymous_id)
                for e in events
                if e.kind is EventKind.IDENTIFY and e.user_id and e.anonymous_id
            }
        )
        if not links:
            return {}
        freezes = self._redis.pipeline(transaction=False)
        for user_id, anonymous_id in links:
            visitor = _anonymous(anonymous_id)
            await self._freeze(
                keys=[context_key(visitor), seen_key(visitor)], args=[user_id], client=freezes
            )
        replies: list[Any] = await freezes.execute()
        absorbed: dict[Identity, list[_Absorbed]] = defaultdict(list)
        for (user_id, anonymous_id), (moved_to, doc, flat_seen) in zip(links, replies, strict=True):
            if moved_to.decode() != user_id:
                continue  # the device was identified as someone else first; it stays theirs
            seen = [
                (flat_seen[i].decode(), int(float(flat_seen[i + 1])))
                for i in range(0, len(flat_seen), 2)
            ]
            context = CustomerContext.from_json(doc) if doc else None
            absorbed[_user(user_id)].append(_Absorbed(anonymous_id, context, seen))
        return absorbed


def _owner(event: Event, aliases: dict[str, str]) -> Identity:
    if event.user_id is not None:
        return _user(event.user_id)
    assert event.anonymous_id is not None
    alias = aliases.get(event.anonymous_id)
    return _user(alias) if alias else _anonymous(event.anonymous_id)


def _clean_up(pipeline: Any, visitor: _Absorbed) -> None:
    """Drop a merged visitor's data; its ``moved_to`` alias stays."""
    identity = _anonymous(visitor.anonymous_id)
    pipeline.hdel(context_key(identity), "doc", "v")
    pipeline.delete(seen_key(identity))


def _owner_hint(event: Event) -> str:
    return event.user_id or event.anonymous_id or ""
