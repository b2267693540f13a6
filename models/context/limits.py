"""Caps and thresholds of the customer context, with the defaults of PRODUCT.md.

Caps keep every stored context bounded whatever a person does; the settings
layer builds these from the environment, the pure core only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000

# Every count and sum a context keeps (events, orders, money in cents, units in a
# basket, views) stops here rather than overflow: 2^53 - 1 is the largest integer a
# double holds exactly, so JSON readers read it back as written, and it is far below
# the encoder's 64-bit limit. Inputs are bounded (:mod:`models.bounds`), so only an
# implausible number of events gets there; sums then stay at the cap.
COUNT_MAX = 2**53 - 1


def bounded(count: int) -> int:
    """``count`` saturated to ``[0, COUNT_MAX]``, for every count or sum a context stores."""
    return max(0, min(count, COUNT_MAX))


@dataclass(frozen=True, slots=True)
class ContextLimits:
    recent_products: int = 20
    recent_searches: int = 10
    # Orders are deduplicated by order_id only while they are remembered here: an
    # order older than the newest ``recent_orders`` counts again if it is resent.
    recent_orders: int = 50
    recent_purchases: int = 30
    categories: int = 20
    anonymous_ids: int = 20
    affinity_half_life_days: float = 14.0
    basket_items: int = 50
    stores: int = 20

    @property
    def half_life_ms(self) -> float:
        return self.affinity_half_life_days * DAY_MS


@dataclass(frozen=True, slots=True)
class LifecycleThresholds:
    loyal_orders: int = 5
    at_risk_days: float = 60.0
    lapsed_days: float = 90.0


# Module-level instances serve as defaults: a call in a signature would be
# evaluated once anyway, and ruff (B008) rightly flags it.
DEFAULT_LIMITS = ContextLimits()
DEFAULT_THRESHOLDS = LifecycleThresholds()

# Interest weights: a purchase says more about a taste than an add, an add more than a view.
VIEW_WEIGHT = 1.0
ADD_WEIGHT = 3.0
PURCHASE_WEIGHT = 5.0
