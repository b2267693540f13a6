"""Export (a JSON download) and erasure with a confirmation step, through the API's own
code paths (:mod:`streams.redis.privacy`)."""

from __future__ import annotations

import time

import orjson
from aiohttp import web

from streams.redis import privacy
from streams.web.console.auth import html_response, session_of
from streams.web.console.html import facts, hidden_csrf, page, render
from streams.web.console.lookup import Found, customer_nav, customer_path, found_or_404
from streams.web.dependencies import API_DEPS


async def erase_page(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    _session, csrf = session_of(request)
    body = render(
        '<section class="card"><h2>Export</h2><p>Everything stored about this person: the '
        "context, linked visitor ids, contacts, decision history, pending triggers and "
        'processed messageIds, as JSON.</p><p><a href="{}" download>Download the export '
        "(JSON)</a></p></section>"
        '<section class="card"><h2>Erase</h2><p>Removes every stored trace of the person '
        "and of their linked visitor ids, and cancels their pending timers. Their contact "
        "caps survive (remembered under a salted tag), so an erasure cannot reset them.</p>"
        '<p><a href="{}">Continue to erasure…</a></p></section>',
        customer_path(found.asked, "/export"),
        customer_path(found.asked, "/erase/confirm"),
    )
    nav = customer_nav(found.asked, "/erase")
    return html_response(page(f"Export or erase: {found.asked}", body, csrf=csrf, subnav=nav))


async def confirm_page(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    _session, csrf = session_of(request)
    return html_response(_confirm(found, csrf, ""))


async def erase(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    _session, csrf = session_of(request)
    form = await request.post()
    typed = form.get("confirm_id")
    if not isinstance(typed, str) or typed.strip() != found.asked:
        return html_response(
            _confirm(found, csrf, "The id typed does not match: nothing was erased."), 400
        )
    deps = request.app[API_DEPS]
    await privacy.erase(deps.store, found.owner, deps.now_ms())
    deps.metrics.erasures.inc()
    body = render(
        '<div class="notice" role="status"><p>Every stored trace of <strong>{}</strong> '
        "and of their linked visitor ids was erased.</p></div>"
        '<p><a href="/console/find">Find another customer</a></p>',
        found.asked,
    )
    return html_response(page("Erased", body, csrf=csrf))


async def export(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    deps = request.app[API_DEPS]
    document = await privacy.export(deps.store, found.owner, deps.now_ms())
    if document is None:
        raise web.HTTPNotFound()
    day = time.strftime("%Y%m%d", time.gmtime(deps.now_ms() / 1000))
    return web.Response(
        body=orjson.dumps(document, option=orjson.OPT_INDENT_2),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-export-{day}.json"'},
    )


def _confirm(found: Found, csrf: str, problem: str) -> str:
    context = found.context
    summary = facts(
        {
            "userId": context.user_id,
            "Visitor ids on the context": len(context.anonymous_ids),
            "Orders": context.orders_count,
            "Events": context.events_total,
        }
    )
    alert = render('<p class="error" role="alert">{}</p>', problem) if problem else ""
    body = render(
        "{}{}"
        '<form method="post" action="{}" class="card">{}'
        "<p><strong>This cannot be undone.</strong> Download the export first if it is "
        "needed.</p>"
        '<label for="confirm_id">Type the id <code>{}</code> to confirm</label>'
        '<input id="confirm_id" name="confirm_id" type="text" required autocomplete="off" '
        'spellcheck="false">'
        '<div><button type="submit" class="danger">Erase permanently</button> '
        '<a href="{}">Cancel</a></div></form>',
        alert,
        summary,
        customer_path(found.asked, "/erase"),
        hidden_csrf(csrf),
        found.asked,
        customer_path(found.asked, "/erase"),
    )
    nav = customer_nav(found.asked, "/erase")
    return page(f"Confirm erasure: {found.asked}", body, csrf=csrf, subnav=nav)
