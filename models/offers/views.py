"""How often a product was viewed within a rule's window, from the context's view times."""

from __future__ import annotations

from models.context.parts import ViewedProduct
from models.context.state import CustomerContext
from models.offers.rules import TriggerRule


def views_within(
    context: CustomerContext, product_id: str, at_ms: int, window_ms: int
) -> tuple[int, ...]:
    """Times of the views of a product in ``(at_ms - window_ms, at_ms]``, newest first.

    A window of 0 means no window; the count is then the lifetime count, of which
    only the latest times are known, so the returned tuple may be shorter than it.
    """
    for view in context.recent_products:
        if view.product_id == product_id:
            return tuple(
                t
                for t in view.view_times_ms
                if t <= at_ms and (window_ms <= 0 or t > at_ms - window_ms)
            )
    return ()


def view_count(context: CustomerContext, product_id: str, at_ms: int, window_ms: int) -> int:
    if window_ms <= 0:
        return next((v.views for v in context.recent_products if v.product_id == product_id), 0)
    return len(views_within(context, product_id, at_ms, window_ms))


def viewed_enough(
    context: CustomerContext, rule: TriggerRule, at_ms: int, excluded: set[str]
) -> list[ViewedProduct]:
    """The recent products viewed at least ``rule.min_views`` times in its window at ``at_ms``."""
    return [
        view
        for view in context.recent_products
        if view.product_id not in excluded
        and view_count(context, view.product_id, at_ms, rule.window_ms) >= max(rule.min_views, 1)
    ]


def latest_qualifying_view(
    context: CustomerContext, product_id: str, rule: TriggerRule, at_ms: int, recent_ms: int
) -> int | None:
    """The time of the latest view in ``(at_ms - recent_ms, at_ms]`` that brought the
    product to ``rule.min_views`` views within ``rule.window_ms``, or None: when the
    interest last held, if it held recently enough."""
    for viewed_ms in views_within(context, product_id, at_ms, recent_ms):
        if view_count(context, product_id, viewed_ms, rule.window_ms) >= max(rule.min_views, 1):
            return viewed_ms
    return None
