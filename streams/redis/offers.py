"""Redis side of the offer engine: contact reservations, timers, clocks, stock, trends.

Every call takes or returns plain values; decisions are made in
``models.offers``. Each method is one round trip (a pipeline or a script).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from models.events import Event, EventKind
from models.offers.pressure import Contact
from models.offers.rules import ContactCaps, TriggerType
from streams.redis.keys import text
from streams.redis.offer_keys import (
    ADVANCE_CLOCK,
    MARK_EMITTED,
    RELEASE_PENDING,
    RELEASE_TIMER,
    RESERVE_CONTACT,
    SET_STOCK,
    clock_key,
    contacts_key,
    decided_key,
    pending_key,
    stock_key,
    timers_key,
    trends_key,
)

MINUTE_MS = 60_000
TREND_BUCKET_TTL_S = 3 * 3600


@dataclass(frozen=True, slots=True)
class Reservation:
    verdict: str  # reserved | existing | cooldown | capped
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DueTimer:
    topic: str
    partition: int
    member: str
    due_ms: int

    @property
    def tag(self) -> str:
        return self.member.split("|", 1)[0]

    @property
    def trigger_type(self) -> TriggerType:
        return TriggerType(self.member.split("|", 1)[1])


@dataclass(frozen=True, slots=True)
class Schedule:
    """A pending trigger to (re)arm on the timers of the partition that caused it."""

    topic: str
    partition: int
    tag: str
    trigger_type: TriggerType
    due_ms: int
    payload: bytes


class OfferStore:
    def __init__(self, redis: Redis, *, contact_ttl_s: int = 30 * 86_400) -> None:
        self._redis = redis
        self._contact_ttl_s = contact_ttl_s
        self._reserve = redis.register_script(RESERVE_CONTACT)
        self._mark_emitted = redis.register_script(MARK_EMITTED)
        self._set_stock = redis.register_script(SET_STOCK)
        self._advance_clock = redis.register_script(ADVANCE_CLOCK)
        self._release_pending = redis.register_script(RELEASE_PENDING)
        self._release_timer = redis.register_script(RELEASE_TIMER)

    async def reserve(
        self,
        tag: str,
        trigger_id: str,
        trigger_type: TriggerType,
        at_ms: int,
        caps: ContactCaps,
        cooldown_ms: int,
    ) -> Reservation:
        """Check caps and cooldown and take the slot, in one atomic step."""
        verdict, detail = await self._reserve(
            keys=[contacts_key(tag), decided_key(tag)],
            args=[
                trigger_id,
                trigger_type.value,
                at_ms,
                caps.per_day,
                caps.per_week,
                cooldown_ms,
                self._contact_ttl_s,
            ],
        )
        return Reservation(text(verdict), text(detail))

    async def mark_emitted_many(self, sent: Sequence[tuple[str, str]]) -> None:
        """Mark (person tag, trigger_id) decisions as delivered, in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for tag, trigger_id in sent:
            await self._mark_emitted(keys=[decided_key(tag)], args=[trigger_id], client=pipe)
        await pipe.execute()

    async def contacts(self, tag: str) -> list[tuple[str, int]]:
        """(``type|trigger_id``, event time) of the person's recent contacts."""
        rows: list[tuple[bytes, float]] = await self._redis.zrange(  # type: ignore[assignment]
            contacts_key(tag), 0, -1, withscores=True
        )
        return [(text(member), int(score)) for member, score in rows]

    async def contact_history(self, tag: str) -> list[Contact]:
        """The person's recent contacts, as contact pressure reads them."""
        return [
            Contact(trigger_id=member.split("|", 1)[1], type=member.split("|", 1)[0], at_ms=at)
            for member, at in await self.contacts(tag)
        ]

    async def schedule(self, schedules: Sequence[Schedule]) -> None:
        if not schedules:
            return
        pipe = self._redis.pipeline(transaction=False)
        for item in schedules:
            pipe.hset(pending_key(item.tag), item.trigger_type.value, item.payload)
            pipe.zadd(
                timers_key(item.topic, item.partition),
                {f"{item.tag}|{item.trigger_type.value}": item.due_ms},
            )
        await pipe.execute()

    async def advance_clocks(self, marks: dict[tuple[str, int], int], wall_ms: int) -> None:
        if not marks:
            return
        pipe = self._redis.pipeline(transaction=False)
        for (topic, partition), event_ms in marks.items():
            await self._advance_clock(
                keys=[clock_key(topic, partition)], args=[event_ms, wall_ms], client=pipe
            )
        await pipe.execute()

    async def clocks(
        self, partitions: Sequence[tuple[str, int]], wall_ms: int
    ) -> dict[tuple[str, int], int]:
        """Event time per partition, carried forward by the wall clock since its last event."""
        pipe = self._redis.pipeline(transaction=False)
        for topic, partition in partitions:
            pipe.hmget(clock_key(topic, partition), "event_ms", "wall_ms")
        replies: list[Any] = await pipe.execute()
        clocks = {}
        for tp, (event_ms, seen_wall_ms) in zip(partitions, replies, strict=True):
            if event_ms is not None:
                clocks[tp] = int(event_ms) + max(0, wall_ms - int(seen_wall_ms))
        return clocks

    async def due(self, clocks: dict[tuple[str, int], int], limit: int = 500) -> list[DueTimer]:
        if not clocks:
            return []
        pipe = self._redis.pipeline(transaction=False)
        order = list(clocks)
        for topic, partition in order:
            pipe.zrangebyscore(
                timers_key(topic, partition),
                "-inf",
                clocks[(topic, partition)],
                start=0,
                num=limit,
                withscores=True,
            )
        replies: list[Any] = await pipe.execute()
        return [
            DueTimer(topic, partition, text(member), int(score))
            for (topic, partition), rows in zip(order, replies, strict=True)
            for member, score in rows
        ]

    async def pending(self, timers: Sequence[DueTimer]) -> list[bytes | None]:
        pipe = self._redis.pipeline(transaction=False)
        for timer in timers:
            pipe.hget(pending_key(timer.tag), timer.trigger_type.value)
        return list(await pipe.execute())

    async def release(self, timer: DueTimer, fired_payload: bytes | None) -> None:
        """Consume a fired (or stale) timer, unless it was rescheduled meanwhile."""
        pipe = self._redis.pipeline(transaction=False)
        if fired_payload is not None:
            await self._release_pending(
                keys=[pending_key(timer.tag)],
                args=[timer.trigger_type.value, fired_payload],
                client=pipe,
            )
        await self._release_timer(
            keys=[timers_key(timer.topic, timer.partition)],
            args=[timer.member, timer.due_ms],
            client=pipe,
        )
        await pipe.execute()

    async def timers_pending(self, partitions: Iterable[tuple[str, int]]) -> int:
        pipe = self._redis.pipeline(transaction=False)
        for topic, partition in partitions:
            pipe.zcard(timers_key(topic, partition))
        return sum(int(n) for n in await pipe.execute())

    async def observe(self, events: Sequence[Event]) -> None:
        """Stock levels and trend counts from freshly applied events."""
        pipe = self._redis.pipeline(transaction=False)
        buckets: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for event in events:
            if event.stock is not None:
                await self._set_stock(
                    keys=[stock_key(event.stock.store_id)],
                    args=[event.stock.product_id, event.stock.quantity, event.event_time_ms],
                    client=pipe,
                )
            kind = _TREND_KINDS.get(event.kind)
            if kind is None:
                continue
            bucket = buckets[event.event_time_ms // MINUTE_MS]
            store = event.order.store_id if event.order is not None else None
            for product in event.products:
                bucket[f"{kind}|p|{product.product_id}"] += 1
                if product.category:
                    bucket[f"{kind}|c|{product.category}"] += 1
                    bucket[f"{kind}|cp|{product.category}|{product.product_id}"] += 1
                if store:
                    bucket[f"{kind}|sp|{store}|{product.product_id}"] += 1
                    bucket[f"{kind}|s|{store}"] += 1
        for minute, counts in buckets.items():
            for field, count in counts.items():
                pipe.hincrby(trends_key(minute), field, count)
            pipe.expire(trends_key(minute), TREND_BUCKET_TTL_S)
        if len(pipe):
            await pipe.execute()

    async def stock(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        wanted = sorted(set(pairs))
        if not wanted:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        for store_id, product_id in wanted:
            pipe.hget(stock_key(store_id), product_id)
        replies: list[Any] = await pipe.execute()
        return {
            pair: int(text(raw).split("|", 1)[0])
            for pair, raw in zip(wanted, replies, strict=True)
            if raw is not None
        }

    async def trend_buckets(self, minutes: Sequence[int]) -> list[dict[str, int]]:
        """The per-minute trend counters of these minutes (event-time minutes since epoch)."""
        pipe = self._redis.pipeline(transaction=False)
        for minute in minutes:
            pipe.hgetall(trends_key(minute))
        return [
            {text(field): int(count) for field, count in bucket.items()}
            for bucket in await pipe.execute()
        ]


_TREND_KINDS = {
    EventKind.PRODUCT_VIEWED: "v",
    EventKind.PRODUCT_ADDED: "a",
    EventKind.ORDER_COMPLETED: "b",
}
