"""A long loop that calls pause() lets other tasks of the event loop run meanwhile."""

from __future__ import annotations

import asyncio
import time

from streams.loop_slices import SLICE_S, pause


def test_a_long_loop_with_pauses_lets_another_task_in_before_it_ends() -> None:
    order: list[str] = []

    async def busy() -> None:
        ends = time.perf_counter() + 10 * SLICE_S
        while time.perf_counter() < ends:
            await pause()
        order.append("busy done")

    async def other() -> None:
        order.append("other ran")

    async def both() -> None:
        busy_task = asyncio.create_task(busy())
        await asyncio.sleep(0)  # busy starts first and runs its loop
        await asyncio.gather(busy_task, other())

    asyncio.run(both())
    assert order == ["other ran", "busy done"]
