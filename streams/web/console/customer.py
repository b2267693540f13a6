"""Customer 360: identity and linked visitor ids, lifecycle and RFM, orders by channel
and store, the preferred store, the basket, recent products, category affinity and
consent per channel, from the API's context document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from models.context import to_document
from streams.redis.person_view import read_person_view
from streams.web.console.auth import html_response, session_of
from streams.web.console.html import Safe, facts, iso_ms, page, render, table, when
from streams.web.console.lookup import customer_nav, found_or_404
from streams.web.dependencies import API_DEPS


async def customer_360(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    deps = request.app[API_DEPS]
    _session, csrf = session_of(request)
    now = deps.now_ms()
    store = deps.store
    document = to_document(found.context, now, store.thresholds, store.limits)
    view = await read_person_view(store.gateway, found.owner)
    body = render_360(found.asked, document, view.linked_anonymous_ids, now)
    title = f"Customer {found.asked}"
    return html_response(page(title, body, csrf=csrf, subnav=customer_nav(found.asked, "")))


def render_360(asked: str, doc: dict[str, Any], linked: Sequence[str], now_ms: int) -> Safe:
    def at(field: str) -> Safe:
        return when(iso_ms(doc.get(field)), now_ms)

    rfm = doc["rfm"]
    recency = rfm["recency_days"]
    identity = facts(
        {
            "userId": doc["userId"] or Safe("<em>anonymous visitor</em>"),
            "Lifecycle stage": doc["lifecycle_stage"].replace("_", " "),
            "Preferred store": doc["preferred_store"] or Safe("<em>none yet</em>"),
            "Last channel": doc["last_channel"],
            "First seen": at("first_seen"),
            "Last seen": at("last_seen"),
        }
    )
    visitor_rows = [(v, "on this context") for v in doc["anonymousIds"]]
    visitor_rows += [(v, "identified, merged") for v in linked if v not in doc["anonymousIds"]]
    money = facts(
        {
            "Recency": "no order" if recency is None else f"{recency:g} days",
            "Frequency (orders)": rfm["frequency"],
            "Monetary (total spent)": rfm["monetary"],
            "Average order value": doc["avg_order_value"],
            "Online orders": doc["online_orders"],
            "Store orders": doc["store_orders"],
            "Last order": at("last_order_at"),
            "Last order channel": doc["last_order_channel"],
        }
    )
    stores = table(
        "Orders by store (till purchases)",
        ("Store", "Orders", "Last order"),
        (
            (store, visits["orders"], when(iso_ms(visits["last_order_at"]), now_ms))
            for store, visits in doc["purchases_by_store"].items()
        ),
        empty="no till purchase",
    )
    orders = table(
        "Recent orders",
        ("Order", "Channel", "Store", "Total", "When", "Products"),
        (
            (
                o["order_id"],
                o["channel"],
                o["store_id"],
                o["total"],
                when(iso_ms(o["at"]), now_ms),
                ", ".join(o["product_ids"]),
            )
            for o in doc["recent_orders"]
        ),
        empty="no order",
    )
    basket = doc["basket"]
    basket_table = table(
        f"Basket: value {basket['value']:.2f}, {len(basket['items'])} line(s)",
        ("Product", "Quantity", "Price", "Added"),
        (
            (i["product_id"], i["quantity"], i["price"], when(iso_ms(i["added_at"]), now_ms))
            for i in basket["items"]
        ),
        empty="empty",
    )
    products = table(
        "Recently viewed products, most recent first",
        ("Product", "Category", "Views", "Last viewed"),
        (
            (p["product_id"], p["category"], p["views"], when(iso_ms(p["last_viewed_at"]), now_ms))
            for p in doc["recent_products"]
        ),
        empty="none viewed",
    )
    affinity = sorted(doc["category_affinity"].items(), key=lambda kv: -kv[1])
    affinities = table(
        "Category affinity (time-decayed score)",
        ("Category", "Score"),
        ((category, f"{score:.3f}") for category, score in affinity),
        empty="none yet",
    )
    consent = table(
        render("Consent per channel, updated {}", at("consent_updated_at")),
        ("Channel", "Consented"),
        ((channel, _consent(granted)) for channel, granted in doc["consent"].items()),
    )
    return render(
        "<h2>Identity</h2>{}{}"
        "<h2>Lifecycle and RFM</h2>{}"
        '<div class="grid"><section><h2>Orders by channel and store</h2>{}{}</section>'
        "<section><h2>Basket</h2>{}<h2>Consent</h2>{}</section></div>"
        '<div class="grid"><section><h2>Recent products</h2>{}</section>'
        "<section><h2>Category affinity</h2>{}</section></div>",
        identity,
        table(
            "Visitor ids (anonymousId)",
            ("anonymousId", "Link"),
            visitor_rows,
            empty="no visitor id",
        ),
        money,
        stores,
        orders,
        basket_table,
        consent,
        products,
        affinities,
    )


def _consent(granted: bool) -> Safe:
    label, kind = ("yes", "valid") if granted else ("no", "refused")
    return render('<span class="verdict {}">{}</span>', kind, label)
