"""Finding a customer: a POST form (the id never goes into a query string) that redirects
to ``/console/customers/{id}``, and the lookup every customer page shares."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from models.context import CustomerContext
from models.identity import Identity, IdentityKind
from streams.web.console.auth import html_response, redirect, session_of
from streams.web.console.html import Safe, hidden_csrf, join, page, render
from streams.web.dependencies import API_DEPS, ApiDeps

MAX_ID_CHARS = 512  # above any id the parser accepts (128): a paste, not a guess


@dataclass(frozen=True, slots=True)
class Found:
    asked: str  # the id in the path
    owner: Identity  # whose context it is (a visitor identified since leads to the customer)
    context: CustomerContext


def customer_path(customer_id: str, tail: str = "") -> str:
    return f"/console/customers/{quote(customer_id, safe='')}{tail}"


async def find_page(request: web.Request) -> web.StreamResponse:
    _session, csrf = session_of(request)
    return html_response(find_form(csrf, "", ""))


async def find(request: web.Request) -> web.StreamResponse:
    _session, csrf = session_of(request)
    form = await request.post()
    given = form.get("customer_id")
    customer_id = given.strip() if isinstance(given, str) else ""
    if not customer_id or len(customer_id) > MAX_ID_CHARS or "/" in customer_id:
        problem = "Enter a userId or an anonymousId (no slash)."
        return html_response(find_form(csrf, problem, customer_id[:MAX_ID_CHARS]), 400)
    found = await lookup(request.app[API_DEPS], customer_id)
    if found is None:
        return html_response(find_form(csrf, "No customer has that id.", customer_id), 404)
    return redirect(customer_path(customer_id))


async def lookup(deps: ApiDeps, customer_id: str) -> Found | None:
    """As the API without ``?kind``: a userId first, else an anonymousId."""
    for kind in (IdentityKind.USER, IdentityKind.ANONYMOUS):
        owner = await deps.store.resolve(Identity(kind, customer_id))
        context = await deps.store.get(owner)
        if context is not None:
            return Found(customer_id, owner, context)
    return None


async def found_or_404(request: web.Request) -> Found | web.Response:
    customer_id = request.match_info["customer_id"]
    found = await lookup(request.app[API_DEPS], customer_id)
    if found is None:
        _session, csrf = session_of(request)
        return html_response(find_form(csrf, "No customer has that id.", customer_id), 404)
    return found


def find_form(csrf: str, problem: str, value: str) -> str:
    alert = render('<p class="error" role="alert">{}</p>', problem) if problem else Safe("")
    body = render(
        "{}"
        '<form method="post" action="/console/find" class="card">{}'
        '<label for="customer_id">userId or anonymousId</label>'
        '<input id="customer_id" name="customer_id" type="text" value="{}" required '
        'autocomplete="off" spellcheck="false" maxlength="{}" autofocus>'
        '<p class="hint">A loyalty card or account id, or a cookie or device id. '
        "A visitor identified since leads to the customer.</p>"
        '<button type="submit">Find</button></form>',
        alert,
        hidden_csrf(csrf),
        value,
        MAX_ID_CHARS,
    )
    return page("Find a customer", body, csrf=csrf, current="/console/find")


def customer_nav(customer_id: str, current: str) -> Safe:
    tabs = (("", "Customer 360"), ("/trace", "Decision trace"), ("/erase", "Export or erase"))
    return render(
        '<nav aria-label="Customer"><ul class="subnav">{}</ul></nav>',
        join(
            render(
                '<li><a href="{}"{}>{}</a></li>',
                customer_path(customer_id, tail),
                Safe(' aria-current="page"') if tail == current else Safe(""),
                label,
            )
            for tail, label in tabs
        ),
    )
