"""Marketer-readable pieces of reason texts, shared by every trigger kind.

Reason texts are read by people (marketers, store associates), so times are
UTC minutes or days and durations are the units the rules file uses.
"""

from __future__ import annotations

from models.context.document import iso
from models.context.limits import DAY_MS
from models.events import Product

HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def duration_text(duration_ms: int) -> str:
    """Marketer-readable: "30 min", "24 h", "90 days"."""
    if duration_ms % DAY_MS == 0 and duration_ms >= 2 * DAY_MS:
        return f"{duration_ms // DAY_MS} days"
    if duration_ms % HOUR_MS == 0 and duration_ms > 0:
        return f"{duration_ms // HOUR_MS} h"
    if duration_ms % MINUTE_MS == 0:
        return f"{duration_ms // MINUTE_MS} min"
    return f"{duration_ms / 1000:g} s"


def day_text(epoch_ms: int) -> str:
    return (iso(epoch_ms) or "")[:10]


def time_text(epoch_ms: int) -> str:
    return (iso(epoch_ms) or "")[:16].replace("T", " ") + " UTC"


def product_label(product: Product) -> str:
    return f"{product.name} ({product.product_id})" if product.name else product.product_id


def place_text(store_id: str | None, channel: str) -> str:
    """Where an order was placed: "at the till in store-001" or "online (web)"."""
    return f"at the till in {store_id}" if store_id else f"online ({channel})"
