"""Batches of input records, collected over a window that follows the load.

faust's ``Stream.take_events(max_, within)`` waits ``within`` after each batch for
more records (unless ``max_`` arrive first). The wait buys round trips: a batch
costs a few of them whatever its size, so under a backlog a 20 ms window gathers
hundreds of records and the worker drains ~10 % faster than with 5 ms. While the
worker keeps up, though, the same 20 ms is added to every event's way to its
trigger, and buys little: the batch holds a few dozen records either way.

:class:`BatchWindow` picks the wait from the last batch's size: the short window
while batches stay small, the full one as soon as one is large (the load rose, or
a backlog is being drained), and back. :func:`take_batches` is ``take_events``
with the window asked for before each wait; the rest (the buffer filled in the
background, acks after the batch is done, the cleanup) is faust's, as of
faust-streaming 0.15.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, cast

from faust import Stream
from faust.types import EventT
from mode.utils.aiter import aiter
from mode.utils.futures import notify


@dataclass
class BatchWindow:
    """How long the next batch waits for records, from the size of the last one."""

    full_s: float  # BATCH_WINDOW_MS: the wait while batches are large
    short_s: float  # BATCH_WINDOW_KEEPING_UP_MS: the wait while they are small
    small_records: int  # a batch below this many records counts as small
    last_records: int = 0

    def seconds(self) -> float:
        return self.short_s if self.last_records < self.small_records else self.full_s

    def took(self, records: int) -> None:
        self.last_records = records


def take_batches(
    stream: Stream[Any], max_records: int, window: Callable[[], float]
) -> AsyncGenerator[list[EventT[Any]], None]:
    """``stream.take_events(max_records, within=window())``, asking for the window
    before each wait, which starts when a batch's first record is there (an idle
    worker does not wake up every window). Events are acked once the caller is done
    with their batch. A window of 0 takes what is there without waiting."""
    batches = _take_batches(stream, max_records, window)
    # Closed by the stream when it stops, as faust's own are (faust-streaming >= 0.15).
    active = getattr(stream, "_active_agens", None)
    if active is not None:
        active.add(batches)
    return batches


async def _take_batches(
    stream: Stream[Any], max_records: int, window: Callable[[], float]
) -> AsyncGenerator[list[EventT[Any]], None]:
    buffer: list[Any] = []
    events: list[EventT[Any]] = []
    buffer_filling = asyncio.Event()
    buffer_full = asyncio.Event()
    buffer_consumed = asyncio.Event()
    buffer_consuming: asyncio.Future[None] | None = None
    enable_acks = stream.enable_acks

    async def add_to_buffer(value: Any) -> Any:
        nonlocal buffer_consuming
        try:
            if buffer_consuming is not None:
                try:
                    await buffer_consuming
                finally:
                    buffer_consuming = None
            buffer.append(value)
            event = stream.current_event
            if event is None:
                raise RuntimeError("take buffer found current_event is None")
            events.append(event)
            buffer_filling.set()
            if len(buffer) >= max_records:
                buffer_full.set()
                buffer_consumed.clear()
                await stream.wait(buffer_consumed)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            stream.log.exception("Error adding to take buffer: %r", exc)
            await stream.crash(exc)
        return value

    stream.enable_acks = False  # acked here, once the caller is done with the batch
    stream.add_processor(add_to_buffer)
    stream._enable_passive(cast(Any, aiter(stream.channel)))
    try:
        while not stream.should_stop:
            if not buffer:
                await stream.wait_for_stopped(buffer_filling)  # type: ignore[arg-type]
            await stream.wait_for_stopped(buffer_full, timeout=window())  # type: ignore[arg-type]
            if not buffer:
                continue
            buffer_consuming = stream.loop.create_future()
            try:
                yield list(events)
            finally:
                buffer.clear()
                for event in events:
                    await stream.ack(event)
                events.clear()
                buffer_filling.clear()
                notify(buffer_consuming)
                buffer_full.clear()
                buffer_consumed.set()
    finally:
        stream.enable_acks = enable_acks
        stream._processors.remove(add_to_buffer)
