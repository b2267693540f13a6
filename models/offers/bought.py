"""Whether a timer's products were bought since it was scheduled, in any channel, and where.

A purchase settles a reminder wherever it happens: a basket built online and
paid at the till an hour later must not be remarketed.
"""

from __future__ import annotations

from models.context.parts import OrderRecord
from models.context.state import CustomerContext
from models.offers.decision import PendingTrigger
from models.offers.texts import place_text, time_text


def buying_order(context: CustomerContext, pending: PendingTrigger) -> OrderRecord | None:
    """The earliest order since scheduling that bought one of the products (no list: all)."""
    wanted = set(pending.product_ids)
    bought = [
        r
        for r in context.recent_orders
        if r.at_ms >= pending.scheduled_ms and (not r.product_ids or wanted & set(r.product_ids))
    ]
    return min(bought, key=lambda r: (r.at_ms, r.order_id), default=None)


def bought_text(order: OrderRecord, product_ids: tuple[str, ...]) -> str:
    where = place_text(order.store_id, order.channel)
    listed = [p for p in product_ids if p in order.product_ids] or list(product_ids)
    return (
        f"bought {where} at {time_text(order.at_ms)} (order {order.order_id}): {', '.join(listed)}"
    )
