"""Identity stitching: fold a visitor's anonymous context into the customer's.

Merging is idempotent: the customer remembers every visitor it absorbed in
``merged_anonymous_ids``, and absorbing one again changes nothing. It is also
safe when both contexts saw the same order (resent under another messageId):
orders are matched by order_id and counted once, described by the better of
the two copies (:mod:`.copies`).
"""

from __future__ import annotations

from dataclasses import replace

from models.context import basket, consent, copies, interests, timezone
from models.context.activity import merge_activity
from models.context.limits import DEFAULT_LIMITS, PURCHASE_WEIGHT, ContextLimits
from models.context.purchases import known_record, merge_orders, shared_orders
from models.context.state import CustomerContext


def merge(
    customer: CustomerContext,
    anonymous: CustomerContext,
    anonymous_id: str,
    limits: ContextLimits = DEFAULT_LIMITS,
) -> CustomerContext:
    if anonymous_id in customer.merged_anonymous_ids:
        return customer
    merged = merge_activity(customer, anonymous, anonymous_id, limits)
    merged = merge_orders(merged, anonymous, limits)
    half_life = limits.half_life_ms
    affinity = interests.merge_affinity(
        customer.category_affinity, anonymous.category_affinity, half_life, limits.categories
    )
    for record in shared_orders(customer, anonymous):
        affinity = interests.take_back(
            affinity, record.categories, PURCHASE_WEIGHT, record.at_ms, half_life
        )
    merged = replace(
        merged,
        recent_products=interests.merge_views(
            customer.recent_products, anonymous.recent_products, limits.recent_products
        ),
        recent_searches=interests.merge_searches(
            customer.recent_searches, anonymous.recent_searches, limits.recent_searches
        ),
        category_affinity=affinity,
        # Either side's orders may have bought what the other side's basket holds.
        basket=basket.merge(
            customer.basket,
            anonymous.basket,
            (*customer.recent_orders, *anonymous.recent_orders),
            limits.basket_items,
        ),
        consent=consent.merge(customer.consent, anonymous.consent),
        timezone=timezone.merge(customer.timezone, anonymous.timezone),
    )
    # An order both sides counted may be two copies (the visitor's from the web, the
    # customer's from the till): the better one describes it, as in one context.
    for theirs in shared_orders(customer, anonymous):
        ours = known_record(merged, theirs.order_id)
        if ours is not None:
            merged = copies.settle_merged(merged, ours, theirs, limits)
    return merged
