"""The per-person customer context and the pure fold of events into it.

The store loads a context, folds the new events with :func:`fold_new_events`
and writes it back atomically; nothing here knows about Redis, Kafka or the
clock (``now_ms`` is always passed in). Folding tolerates disorder: times only
move forward, counters are sums, lists are ordered by event time, affinity
decays exactly, consent and basket settlement compare event times. What still
depends on arrival order is named where it happens (mostly: caps).

Modules: :mod:`.state` (stored form), :mod:`.parts` (its pieces), one module
per concern (:mod:`.activity`, :mod:`.interests`, :mod:`.basket`,
:mod:`.purchases`, :mod:`.copies` (two copies of one order), :mod:`.consent`),
:mod:`.merge` (identity stitching) and :mod:`.document` (the API view);
:mod:`.folding` applies events.
"""

from __future__ import annotations

from models.context.document import lifecycle_stage, rfm, to_document
from models.context.folding import FoldOutcome, fold, fold_new_events
from models.context.limits import (
    DEFAULT_LIMITS,
    DEFAULT_THRESHOLDS,
    ContextLimits,
    LifecycleThresholds,
)
from models.context.merge import merge
from models.context.parts import (
    Affinity,
    Basket,
    BasketItem,
    ConsentChoice,
    OrderRecord,
    PurchasedProduct,
    Search,
    StoreVisits,
    ViewedProduct,
)
from models.context.purchases import preferred_store
from models.context.state import SCHEMA_VERSION, CustomerContext

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_THRESHOLDS",
    "SCHEMA_VERSION",
    "Affinity",
    "Basket",
    "BasketItem",
    "ConsentChoice",
    "ContextLimits",
    "CustomerContext",
    "FoldOutcome",
    "LifecycleThresholds",
    "OrderRecord",
    "PurchasedProduct",
    "Search",
    "StoreVisits",
    "ViewedProduct",
    "fold",
    "fold_new_events",
    "lifecycle_stage",
    "merge",
    "preferred_store",
    "rfm",
    "to_document",
]
