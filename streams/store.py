"""Redis-backed customer context store.

Layout, hash-tagged per person so one person's keys share a Redis Cluster slot:

- ``ctx:{tag}``  hash: ``doc`` (context JSON) and ``v`` (version for compare-and-set)
- ``seen:{tag}`` sorted set: processed messageIds scored by event time, capped and expiring

``tag`` is a hash of the identity, so key names never carry a customer id.

A batch costs two round trips whatever its size: one pipelined read of every
person's context and seen ids, then one pipelined compare-and-set script per
changed person. A person whose version moved meanwhile (another worker) is
re-read and re-folded.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from models.context import CustomerContext, fold_new_events
from models.events import Event, Identity, IdentityKind

MAX_CAS_ATTEMPTS = 20

# KEYS: ctx, seen. ARGV: expected version ('' if none), doc, ctx ttl (0 = keep),
# dedupe ttl, dedupe cap, then messageId/score pairs.
_COMPARE_AND_SET = """
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '') ~= ARGV[1] then return 0 end
local version = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'v', version)
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
for i = 6, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[4])
return version
"""


def identity_tag(identity: Identity) -> str:
    return hashlib.blake2b(str(identity).encode(), digest_size=12).hexdigest()


def context_key(identity: Identity) -> str:
    return f"ctx:{{{identity_tag(identity)}}}"


def seen_key(identity: Identity) -> str:
    return f"seen:{{{identity_tag(identity)}}}"


@dataclass
class ApplyResult:
    applied: list[Event] = field(default_factory=list)
    duplicates: int = 0
    failed: list[tuple[Event, Exception]] = field(default_factory=list)
    contexts_written: int = 0
    cas_retries: int = 0


class ContextStore(Protocol):
    async def apply(self, events: list[Event]) -> ApplyResult: ...


class RedisContextStore:
    def __init__(
        self,
        redis: Redis,
        *,
        dedupe_ttl_s: int,
        dedupe_max_ids: int,
        anonymous_ttl_s: int = 30 * 86_400,
    ) -> None:
        self._redis = redis
        self._dedupe_ttl_s = dedupe_ttl_s
        self._dedupe_max_ids = dedupe_max_ids
        self._anonymous_ttl_s = anonymous_ttl_s
        self._compare_and_set = redis.register_script(_COMPARE_AND_SET)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def get(self, identity: Identity) -> CustomerContext | None:
        raw: bytes | None = await self._redis.hget(context_key(identity), "doc")  # type: ignore[assignment]
        return None if raw is None else CustomerContext.from_json(raw)

    async def apply(self, events: list[Event]) -> ApplyResult:
        """Fold events into their people's contexts, each messageId at most once."""
        pending: dict[Identity, list[Event]] = defaultdict(list)
        for event in events:
            identity = event.identity
            if identity is not None:
                pending[identity].append(event)
        result = ApplyResult()
        for _attempt in range(MAX_CAS_ATTEMPTS):
            if not pending:
                return result
            pending = await self._apply_once(pending, result)
            result.cas_retries += len(pending)
        raise RuntimeError(f"{len(pending)} contexts kept changing under us; giving up this batch")

    async def _apply_once(
        self, pending: dict[Identity, list[Event]], result: ApplyResult
    ) -> dict[Identity, list[Event]]:
        people = list(pending)
        reads = self._redis.pipeline(transaction=False)
        for identity in people:
            reads.hmget(context_key(identity), "doc", "v")
            reads.zmscore(seen_key(identity), [e.message_id for e in pending[identity]])
        replies: list[Any] = await reads.execute()

        writes = self._redis.pipeline(transaction=False)
        written: list[tuple[Identity, list[Event], int, list[tuple[Event, Exception]]]] = []
        for index, identity in enumerate(people):
            (doc, version), scores = replies[2 * index], replies[2 * index + 1]
            batch = pending[identity]
            already_seen = {e.message_id for e, s in zip(batch, scores, strict=True) if s}
            context = CustomerContext() if doc is None else CustomerContext.from_json(doc)
            outcome = fold_new_events(context, batch, already_seen)
            if not outcome.applied:
                result.duplicates += outcome.duplicates
                result.failed.extend(outcome.failed)
                continue
            pairs: list[str | int] = []
            for event in outcome.applied:
                pairs += [event.message_id, event.event_time_ms]
            ttl = self._anonymous_ttl_s if identity.kind is IdentityKind.ANONYMOUS else 0
            await self._compare_and_set(
                keys=[context_key(identity), seen_key(identity)],
                args=[
                    b"" if version is None else version,
                    outcome.context.to_json(),
                    ttl,
                    self._dedupe_ttl_s,
                    self._dedupe_max_ids,
                    *pairs,
                ],
                client=writes,
            )
            written.append(
                (identity, list(outcome.applied), outcome.duplicates, list(outcome.failed))
            )
        versions: list[Any] = await writes.execute() if written else []

        conflicts: dict[Identity, list[Event]] = {}
        for (identity, applied, duplicates, failed), new_version in zip(
            written, versions, strict=True
        ):
            if not new_version:
                conflicts[identity] = pending[identity]
                continue
            result.applied.extend(applied)
            result.duplicates += duplicates
            result.failed.extend(failed)
            result.contexts_written += 1
        return conflicts
