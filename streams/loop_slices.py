"""Long batches hand the event loop back every few milliseconds.

A worker serves the API, fires timers and heartbeats its consumer group on the
same event loop that folds and decides its batches. Between two awaits on Redis a
batch of 500 records runs tens of milliseconds of Python: a request arriving then
waits for all of it. The per-record and per-person loops of a batch call
:func:`pause`, which yields to the loop once a slice has run out, so a request
waits about one slice. A yield costs ~10 us; at most one per slice.
"""

from __future__ import annotations

import asyncio
import time

SLICE_S = 0.002


class _Slices:
    last = time.perf_counter()


async def pause() -> None:
    """Yield to the event loop if the current slice has run out."""
    now = time.perf_counter()
    if now - _Slices.last >= SLICE_S:
        await asyncio.sleep(0)
        _Slices.last = time.perf_counter()
