"""Keep the start-up heap out of the garbage collector's full passes.

A full (generation 2) collection walks every object the collector tracks, and the
event loop stands still meanwhile: in the bench's steady phase the worker ran one
every ~5 s, 45-64 ms each over ~110-140k objects, and collected next to nothing.
Most of those objects are made at start-up (modules, classes, faust's services, the
rules) and live as long as the process. :func:`freeze_startup_heap` moves them to
the permanent generation, which collections skip: the same passes then took 11-15 ms.
Objects made later are collected as before; frozen ones are still freed by reference
counting when they are dropped, only a reference cycle among them is never found.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collect once, then freeze what is left; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("froze %d start-up objects out of the garbage collector's passes", frozen)
    return frozen
