"""Redis-backed customer contexts with identity stitching: the batch as one unit of work.

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

A batch costs one round trip to load (freezes, contexts, dedupe scores), one
more only when a visitor of the batch was identified as a customer not yet
loaded, and one to commit: a script per person that compare-and-sets the
context and, in the same atomic step, takes the engine's contact slots and
arms its timers. A person whose context changed meanwhile is loaded, folded
and decided again. Folding is pure (``models.context``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Any

from models.context import (
    ContextLimits,
    CustomerContext,
    FoldOutcome,
    LifecycleThresholds,
    fold_new_events,
    merge,
)
from models.events import Event, EventKind
from models.identity import Identity, IdentityKind
from models.offers.rules import ContactCaps
from streams.loop_slices import pause
from streams.redis.batch import ApplyResult, PersonUpdate, Planner, plan_apart
from streams.redis.contacts import commit_args, queue_commit
from streams.redis.context_cache import DecodedContexts
from streams.redis.decisions import HISTORY_TTL_S
from streams.redis.erasures import Erased, Erasure, ErasureMemory, RememberedContact
from streams.redis.forgetting import forget_erased
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.keys import PersonKeys, dedupe_member, text
from streams.redis.loading import Absorbed, LoadedPerson, load_people
from streams.transient import Contention, is_transient

MAX_CAS_ATTEMPTS = 20
SourceOf = Callable[[Event], tuple[str, int]]


class RedisContextStore:
    def __init__(
        self,
        gateway: RedisGateway,
        *,
        dedupe_ttl_s: int,
        dedupe_max_ids: int,
        anonymous_ttl_s: int = 30 * 86_400,
        limits: ContextLimits | None = None,
        thresholds: LifecycleThresholds | None = None,
        caps: ContactCaps | None = None,
        erasures: ErasureMemory,
        erase: Callable[[Identity, int], Awaitable[Erased]] | None = None,
        decisions_max: int = 50,
        decoded: DecodedContexts | None = None,
    ) -> None:
        self.gateway = gateway
        self._dedupe_ttl_s = dedupe_ttl_s
        self._dedupe_max_ids = dedupe_max_ids
        self._anonymous_ttl_s = anonymous_ttl_s
        self.limits = limits or ContextLimits()
        self.thresholds = thresholds or LifecycleThresholds()
        self.caps = caps or ContactCaps()
        self.erasures = erasures
        self._erase = erase
        self._decisions_max = decisions_max
        # Not ``decoded or ...``: an empty cache has a length of 0, so it is falsy.
        self.decoded = decoded if decoded is not None else DecodedContexts(0)

    async def ping(self) -> bool:
        return await self.gateway.ping()

    async def resolve(self, identity: Identity) -> Identity:
        """The identity whose context holds this person's data."""
        if identity.kind is IdentityKind.USER:
            return identity
        moved_to = await self.gateway.redis.hget(PersonKeys.of(identity).context, "moved_to")
        return identity if moved_to is None else Identity.user(text(moved_to))

    async def get(self, identity: Identity) -> CustomerContext | None:
        trip = self.gateway.round_trip()
        context = self.queue_get(trip, await self.resolve(identity))
        await trip.send()
        return context()

    def queue_get(self, trip: RoundTrip, owner: Identity) -> Callable[[], CustomerContext | None]:
        """:meth:`get` of an identity already resolved, as a command of the caller's round
        trip; call the result once it is sent."""
        doc = trip.call("HGET", PersonKeys.of(owner).context, "doc")
        return lambda: None if doc.value is None else self.decoded.decode(doc.value)

    async def apply(
        self,
        events: list[Event],
        planner: Planner | None = None,
        source_of: SourceOf | None = None,
    ) -> ApplyResult:
        """Fold events into their people's contexts, each messageId at most once, and
        commit each person's context with the plan the engine made for it."""
        pending = sorted((e for e in events if e.identity is not None), key=attrgetter("order_key"))
        result = ApplyResult()
        for _attempt in range(MAX_CAS_ATTEMPTS):
            if not pending:
                return result
            pending = await self._apply_once(pending, result, planner, source_of)
            result.cas_retries += len({e.identity for e in pending})
        raise Contention(f"{len(pending)} events kept racing other writers; retrying the batch")

    async def _apply_once(
        self,
        events: list[Event],
        result: ApplyResult,
        planner: Planner | None,
        source_of: SourceOf | None,
    ) -> list[Event]:
        batch = await load_people(self.gateway, events, self.erasures, self.decoded)
        forgetting = forget_erased(batch)
        result.dropped_by_erasure += forgetting.dropped
        loaded, absorbed = batch.people, batch.absorbed
        await self._honour_erasures(loaded, result)
        # One person's failure (folding, planning, serialising, committing) leaves out
        # that person's events alone, reported in ``failed``; the others commit.
        people: list[tuple[LoadedPerson, PersonUpdate, list[Absorbed], FoldOutcome]] = []
        for person in loaded.values():
            await pause()
            try:
                context, merged = self._merge_visitors(
                    person, absorbed.get(person.owner, []), result
                )
                outcome = fold_new_events(context, person.events, person.already_seen, self.limits)
            except Exception as exc:  # pure code: any failure is about this person's data
                result.fail(person.events, exc)
                continue
            source = source_of(person.events[-1]) if source_of else None
            update = PersonUpdate(
                person.owner, outcome.context, person.events, source, stored=person.context
            )
            people.append((person, update, merged, outcome))
        if planner is not None:
            unplanned = await plan_apart(planner, [update for _p, update, _m, _o in people])
            for person, *_ in people:
                if person.owner in unplanned:
                    result.fail(person.events, unplanned[person.owner])
            people = [entry for entry in people if entry[0].owner not in unplanned]

        commit = self.gateway.round_trip()
        replies: list[
            tuple[LoadedPerson, PersonUpdate, list[Absorbed], FoldOutcome, Reply, bytes]
        ] = []
        for person, update, merged, outcome in people:
            await pause()
            if not outcome.applied and not merged and not update.plan:
                result.duplicates += outcome.duplicates
                result.failed.extend(outcome.failed)
                result.people[person.owner] = update
                continue
            try:
                reply, doc = self._queue_commit(commit, person, update, merged, outcome)
            except Exception as exc:  # serialising their context or plan
                result.fail(person.events, exc)
                continue
            replies.append((person, update, merged, outcome, reply, doc))
        for visitor, user_id in forgetting.unfreeze:
            commit.script("unfreeze", [PersonKeys.of(visitor).context], [user_id])
        await commit.send()

        retry: list[Event] = list(forgetting.replay)
        for person, update, merged, outcome, reply, doc in replies:
            try:
                status, verdicts = reply.value
            except Exception as exc:  # their script failed; the others' went through
                if is_transient(exc):
                    raise
                result.fail(person.events, exc)
                continue
            if status <= 0:
                retry += person.events
                continue
            update.plan.verdicts = verdicts
            if doc:  # the next read of this person is likely these very bytes
                self.decoded.remember(doc, update.context)
            result.applied.extend(outcome.applied)
            result.duplicates += outcome.duplicates
            result.failed.extend(outcome.failed)
            result.contexts_written += bool(outcome.applied or merged)
            result.merges += len(merged)
            result.merged_visitors += [visitor.visitor for visitor in merged]
            result.people[person.owner] = update
        return retry

    async def _honour_erasures(
        self, loaded: dict[Identity, LoadedPerson], result: ApplyResult
    ) -> None:
        """``Erasure Requested`` erases the person before anything is decided for them.

        Their events of this batch up to the erasure are dropped; later ones start
        a fresh context, which keeps the erased person's contact caps.
        """
        for person in loaded.values():
            erasures = [e for e in person.events if e.kind is EventKind.ERASURE_REQUESTED]
            if not erasures or self._erase is None:
                continue
            at_ms = max(e.event_time_ms for e in erasures)
            erased = await self._erase(person.owner, at_ms)
            result.erased.append(person.owner)
            person.erasure = Erasure(
                at_ms,
                tuple(RememberedContact(c.type, c.channel or "", c.at_ms) for c in erased.contacts),
            )
            kept = [e for e in person.events if not person.erasure.forgets(e.event_time_ms)]
            result.dropped_by_erasure += len(person.events) - len(kept)
            person.events[:] = kept
            person.context, person.version, person.already_seen = CustomerContext(), "", set()
        for owner in [o for o, p in loaded.items() if not p.events]:
            del loaded[owner]

    def _merge_visitors(
        self, person: LoadedPerson, visitors: list[Absorbed], result: ApplyResult
    ) -> tuple[CustomerContext, list[Absorbed]]:
        context = person.context
        merged: list[Absorbed] = []
        for visitor in visitors:
            members = {member for member, _score in visitor.seen}  # digests, or ids of old
            person.already_seen |= {
                e.message_id
                for e in person.events
                if dedupe_member(e.message_id) in members or e.message_id in members
            }
            if visitor.context is None:
                continue
            if visitor.visitor.value in context.merged_anonymous_ids:
                result.merged_visitors.append(visitor.visitor)  # merged before a crash
                continue
            context = merge(context, visitor.context, visitor.visitor.value, self.limits)
            merged.append(visitor)
        return context, merged

    def _queue_commit(
        self,
        trip: RoundTrip,
        person: LoadedPerson,
        update: PersonUpdate,
        merged: list[Absorbed],
        outcome: FoldOutcome,
    ) -> tuple[Reply, bytes]:
        """The person's commit script, queued; and the context document it writes, if any."""
        write = bool(outcome.applied or merged)
        seen: list[str | int] = []
        if write:
            for event in outcome.applied:
                seen += [dedupe_member(event.message_id), event.event_time_ms]
            for visitor in merged:
                for message_id, score in visitor.seen:
                    seen += [message_id, score]
        plan = commit_args(
            caps=self.caps,
            contacts=update.plan.contacts,
            timers=update.plan.timers,
            check=True,
            version=person.version,
            write=write,
            ctx_ttl=self._anonymous_ttl_s if person.owner.is_anonymous else 0,
            seen_ttl=self._dedupe_ttl_s,
            seen_max=self._dedupe_max_ids,
            links=_dropped_visitor_ids(person, update, merged, outcome) if write else [],
            seen=seen,
            **self._absorb(merged, _remembered(person)),
        )
        doc = update.context.to_stored() if write else b""
        return queue_commit(trip, person.owner, plan, doc), doc

    def _absorb(self, merged: list[Absorbed], remembered: list[tuple[str, int]]) -> dict[str, Any]:
        """What follows merged visitors into the customer's keys (see ``commit_person``),
        and the contacts an erased person's fresh context starts with."""
        if not merged and not remembered:
            return {}
        contacts = [*remembered, *(c for a in merged for c in a.contacts)]
        return {
            "absorb": {
                "contacts": [v for c in contacts for v in c],
                "decided": [v for a in merged for d in a.decided for v in d],
                "decisions": [entry.decode() for a in merged for entry in a.decisions],
                "decisions_max": self._decisions_max,
                "decisions_ttl": HISTORY_TTL_S,
            }
        }

    def queue_cleanup(self, trip: RoundTrip, visitors: list[Identity]) -> None:
        """Drop merged visitors' data, now the customer's; their ``moved_to`` alias stays.

        Their pending triggers stay until due: each is then decided for the customer.
        """
        for visitor in visitors:
            keys = PersonKeys.of(visitor)
            trip.call("HDEL", keys.context, "doc", "v")
            for key in (keys.seen, keys.contacts, keys.decided, keys.decisions):
                trip.call("DEL", key)


def _remembered(person: LoadedPerson) -> list[tuple[str, int]]:
    """An erased person's contacts, seeded into the first commit of their fresh context."""
    if person.version or person.erasure is None:
        return []
    return [(c.member, c.at_ms) for c in person.erasure.contacts]


def _dropped_visitor_ids(
    person: LoadedPerson, update: PersonUpdate, merged: list[Absorbed], outcome: FoldOutcome
) -> list[str]:
    """The visitor ids the context no longer lists (its lists are capped), for ``links:``:
    an erasure must still find each of them. Most people never reach the cap, and so
    keep no ``links:`` key at all."""
    known = {*person.context.anonymous_ids, *person.context.merged_anonymous_ids}
    known |= {e.anonymous_id for e in outcome.applied if e.anonymous_id}
    for visitor in merged:
        known.add(visitor.visitor.value)
        if visitor.context is not None:
            known |= {*visitor.context.anonymous_ids, *visitor.context.merged_anonymous_ids}
    listed = {*update.context.anonymous_ids, *update.context.merged_anonymous_ids}
    return sorted(known - listed)
