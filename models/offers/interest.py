"""When a person last showed interest in a product: a view, or an add to their basket.

From the context alone, so a restock decides the same in a replay: views keep
their latest times, basket items the time of their latest add.
"""

from __future__ import annotations

from models.context.state import CustomerContext
from models.offers.views import views_within


def latest_interest(
    context: CustomerContext, product_id: str, at_ms: int, window_ms: int
) -> int | None:
    """The latest view or add of the product in ``(at_ms - window_ms, at_ms]``, or None."""
    times = list(views_within(context, product_id, at_ms, window_ms)[:1])
    times += [
        item.added_ms
        for item in context.basket.items
        if item.product_id == product_id and at_ms - window_ms < item.added_ms <= at_ms
    ]
    return max(times, default=None)


def bought_since(context: CustomerContext, product_id: str, since_ms: int, at_ms: int) -> bool:
    """Whether the product was bought, in any channel, in ``[since_ms, at_ms]``."""
    return any(
        bought.product_id == product_id and since_ms <= bought.last_bought_ms <= at_ms
        for bought in context.recent_purchases
    )
