"""``/trends``: live top products over the rules' trend window, optionally narrowed to a
store's till purchases or to a category."""

from __future__ import annotations

from aiohttp import web

from streams.redis.trend_window import top_products
from streams.web.dependencies import API_DEPS
from streams.web.responses import ApiError, json_response

MAX_LIMIT = 100


async def trends(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    limit = _limit(request.query.get("limit", "10"))
    store, category = request.query.get("store"), request.query.get("category")
    counts = await deps.signals.trend_counts(deps.now_ms())
    return json_response(
        {
            "window_seconds": deps.rules.trend_window_ms // 1000,
            "store": store,
            "category": category,
            "products": top_products(counts, store=store, category=category, limit=limit),
        }
    )


def _limit(given: str) -> int:
    try:
        limit = int(given)
    except ValueError:
        raise ApiError(400, "bad_limit", "limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "bad_limit", f"limit must be between 1 and {MAX_LIMIT}")
    return limit
