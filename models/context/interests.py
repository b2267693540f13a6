"""Interests: products viewed, searches and time-decayed category affinity.

Lists are kept most recent first by event time, ties broken by id, so the
same facts always give the same tuple whatever order they arrived in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from models.context.limits import bounded
from models.context.parts import VIEW_TIMES, Affinity, Search, ViewedProduct
from models.events import Product


def view_products(
    recent: tuple[ViewedProduct, ...], products: Iterable[Product], at_ms: int, cap: int
) -> tuple[ViewedProduct, ...]:
    seen = [ViewedProduct(p.product_id, p.category, at_ms, 1, (at_ms,)) for p in products]
    return merge_views(recent, tuple(seen), cap)


def merge_views(
    ours: tuple[ViewedProduct, ...], theirs: tuple[ViewedProduct, ...], cap: int
) -> tuple[ViewedProduct, ...]:
    by_id = {view.product_id: view for view in ours}
    for view in theirs:
        known = by_id.get(view.product_id)
        by_id[view.product_id] = view if known is None else _combine_views(known, view)
    ranked = sorted(by_id.values(), key=lambda v: (-v.last_viewed_ms, v.product_id))
    return tuple(ranked[:cap])


def _combine_views(a: ViewedProduct, b: ViewedProduct) -> ViewedProduct:
    later, earlier = (a, b) if a.last_viewed_ms >= b.last_viewed_ms else (b, a)
    return ViewedProduct(
        product_id=a.product_id,
        # A view without a category must not erase one learnt from another view.
        category=later.category or earlier.category,
        last_viewed_ms=later.last_viewed_ms,
        views=bounded(a.views + b.views),
        # A multiset, like ``views``: two views in the same millisecond are two views.
        # Keeping the largest whatever the arrival order keeps folding order-independent.
        view_times_ms=tuple(
            sorted((*a.view_times_ms, *b.view_times_ms), reverse=True)[:VIEW_TIMES]
        ),
    )


def search(recent: tuple[Search, ...], query: str, at_ms: int, cap: int) -> tuple[Search, ...]:
    return merge_searches(recent, (Search(query.strip(), at_ms),), cap)


def merge_searches(
    ours: tuple[Search, ...], theirs: tuple[Search, ...], cap: int
) -> tuple[Search, ...]:
    by_key: dict[str, Search] = {}
    for entry in (*ours, *theirs):
        known = by_key.get(entry.key)
        if known is None or (entry.searched_ms, entry.query) > (known.searched_ms, known.query):
            by_key[entry.key] = entry
    ranked = sorted(by_key.values(), key=lambda s: (-s.searched_ms, s.key))
    return tuple(ranked[:cap])


def decayed(affinity: Affinity, at_ms: int, half_life_ms: float) -> float:
    """The score at ``at_ms``. Never grown for an earlier time: a score is not a forecast."""
    elapsed = at_ms - affinity.as_of_ms
    if elapsed <= 0:
        return affinity.score
    return affinity.score * math.pow(0.5, elapsed / half_life_ms)


def add_weight(
    affinity: Affinity | None, weight: float, at_ms: int, half_life_ms: float
) -> Affinity:
    """Add ``weight`` earned at ``at_ms``; the result does not depend on arrival order."""
    if affinity is None:
        return Affinity(weight, at_ms)
    if at_ms >= affinity.as_of_ms:
        return Affinity(decayed(affinity, at_ms, half_life_ms) + weight, at_ms)
    late = weight * math.pow(0.5, (affinity.as_of_ms - at_ms) / half_life_ms)
    return Affinity(affinity.score + late, affinity.as_of_ms)


def take_back(
    affinity: dict[str, Affinity],
    categories: Iterable[str],
    weight: float,
    at_ms: int,
    half_life_ms: float,
) -> dict[str, Affinity]:
    """Remove weight added twice (an order counted on both sides of a merge)."""
    updated = dict(affinity)
    for category in categories:
        known = updated.get(category)
        if known is None:
            continue  # dropped by the cap meanwhile: nothing to take back
        as_of = max(known.as_of_ms, at_ms)
        excess = weight * math.pow(0.5, (as_of - at_ms) / half_life_ms)
        score = max(0.0, decayed(known, as_of, half_life_ms) - excess)
        updated[category] = Affinity(score, as_of)
    return updated


def add_interest(
    affinity: dict[str, Affinity],
    products: Iterable[Product],
    weight: float,
    at_ms: int,
    half_life_ms: float,
    cap: int,
) -> dict[str, Affinity]:
    categories = [p.category for p in products if p.category]
    return add_categories(affinity, categories, weight, at_ms, half_life_ms, cap)


def add_categories(
    affinity: dict[str, Affinity],
    categories: Iterable[str],
    weight: float,
    at_ms: int,
    half_life_ms: float,
    cap: int,
) -> dict[str, Affinity]:
    """One ``weight`` per entry: a category bought twice in one order earns twice."""
    listed = list(categories)
    if not listed:
        return affinity
    updated = dict(affinity)
    for category in listed:
        updated[category] = add_weight(updated.get(category), weight, at_ms, half_life_ms)
    return _top(updated, half_life_ms, cap)


def merge_affinity(
    ours: dict[str, Affinity], theirs: dict[str, Affinity], half_life_ms: float, cap: int
) -> dict[str, Affinity]:
    merged = dict(ours)
    for category, other in theirs.items():
        known = merged.get(category)
        if known is None:
            merged[category] = other
            continue
        as_of = max(known.as_of_ms, other.as_of_ms)
        score = decayed(known, as_of, half_life_ms) + decayed(other, as_of, half_life_ms)
        merged[category] = Affinity(score, as_of)
    return _top(merged, half_life_ms, cap)


def _top(affinity: dict[str, Affinity], half_life_ms: float, cap: int) -> dict[str, Affinity]:
    if len(affinity) <= cap:
        return affinity
    # Scores are only comparable once decayed to one common time.
    as_of = max(a.as_of_ms for a in affinity.values())
    ranked = sorted(affinity.items(), key=lambda kv: (-decayed(kv[1], as_of, half_life_ms), kv[0]))
    return dict(ranked[:cap])
