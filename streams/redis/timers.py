"""Timer store: pending triggers armed per input partition, and the partitions' event-time clocks.

A timer lives on the partition whose event armed it, so it moves with that
partition to whichever worker owns it and survives restarts. The pending
trigger itself sits under the person's key (``pending:{p}``, written by the
person's commit script); the partition's sorted set only says when to look.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from models.identity import Identity
from streams.redis.batch import TimerEntry
from streams.redis.gateway import RedisGateway, Reply, RoundTrip
from streams.redis.keys import PersonKeys, clock_key, text, timer_member, timers_key

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class DueTimer:
    topic: str
    partition: int
    member: str  # pseudonym|slot
    due_ms: int

    @property
    def pseudonym(self) -> str:
        return self.member.split("|", 1)[0]

    @property
    def slot(self) -> str:
        return self.member.split("|", 1)[1]

    @property
    def pending_key(self) -> str:
        return PersonKeys(self.pseudonym).pending


def queue_due(
    trip: RoundTrip, partitions: Sequence[Partition], wall_ms: int, limit: int
) -> dict[Partition, Reply]:
    """Per partition: its event-time clock (None before its first event) and due timers."""

    def decoder(topic: str, partition: int) -> Any:
        def decode(raw: list[Any]) -> tuple[int | None, list[DueTimer]]:
            clock = int(raw[0])
            if clock < 0:
                return None, []
            rows = raw[1:]
            return clock, [
                DueTimer(topic, partition, text(rows[i]), int(float(rows[i + 1])))
                for i in range(0, len(rows), 2)
            ]

        return decode

    return {
        (topic, partition): trip.script(
            "due_timers",
            [clock_key(topic, partition), timers_key(topic, partition)],
            [wall_ms, limit],
            decode=decoder(topic, partition),
        )
        for topic, partition in partitions
    }


def queue_arm(trip: RoundTrip, owner: Identity, timers: Sequence[TimerEntry]) -> None:
    """Arm the timers of pending triggers a commit has written.

    Only after the commit went through, in a later round trip: the timers and the
    triggers are in different hash slots, so not in one script, and a tick that
    found a due timer whose trigger was not written (yet, or ever: a refused commit)
    would take it for consumed and drop it, even once a retried commit had armed it
    again. A crash before this round trip leaves the trigger without its timer
    until the batch is redelivered and decided again, which arms it.
    """
    for timer in timers:
        member = timer_member(owner.pseudonym, timer.slot)
        trip.call("ZADD", timers_key(timer.topic, timer.partition), timer.due_ms, member)


def queue_release(trip: RoundTrip, timer: DueTimer, fired_payload: bytes | None) -> None:
    """Consume a fired (or stale) timer, unless it was rescheduled meanwhile."""
    if fired_payload is not None:
        trip.script("release_pending", [timer.pending_key], [timer.slot, fired_payload])
    trip.script(
        "release_timer", [timers_key(timer.topic, timer.partition)], [timer.member, timer.due_ms]
    )


def queue_advance_clocks(trip: RoundTrip, marks: dict[Partition, int], wall_ms: int) -> None:
    for (topic, partition), event_ms in marks.items():
        trip.script("advance_clock", [clock_key(topic, partition)], [event_ms, wall_ms])


async def timers_pending(gateway: RedisGateway, partitions: Iterable[Partition]) -> int:
    trip = gateway.round_trip()
    counts = [trip.call("ZCARD", timers_key(topic, partition)) for topic, partition in partitions]
    await trip.send()
    return sum(int(count.value) for count in counts)
