"""The console's gate: login and logout, the session check on every page, CSRF and
Origin checks on every POST, and the security headers of every answer.

The JSON API keeps its Bearer token (``streams.web.middleware``); the console trades
the same token for a session cookie (``HttpOnly``, ``SameSite=Strict``, ``Path=/console``,
``Secure`` over https) that never holds the token (:mod:`.session`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from streams.web.console.deps import CONSOLE_DEPS
from streams.web.console.html import Safe, page, render
from streams.web.console.session import COOKIE, COOKIE_PATH, Session
from streams.web.console.style import CONTENT_SECURITY_POLICY
from streams.web.rate_limit import ClientRateLimiter

log = logging.getLogger(__name__)

PREFIX = "/console"
LOGIN = "/console/login"
HOME = "/console/find"
LOGIN_LIMITER = web.AppKey("console_login_limiter", ClientRateLimiter)
LOGIN_ATTEMPTS_PER_S = 2.0
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Pages show customer data: no cache keeps them, and no Referer carries a path
    # (it holds the customer id) to another site. (Not no-referrer: with it, Chromium
    # sends ``Origin: null`` on the console's own forms.)
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def session_of(request: web.Request) -> tuple[Session, str]:
    """The request's session and its CSRF token (set by :func:`console_gate`)."""
    session: Session = request["console_session"]
    return session, request.app[CONSOLE_DEPS].sessions.csrf_token(session)


def html_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST, the browser GETs ``location``."""
    return web.Response(status=303, headers={"Location": location})


def refused(title: str, message: str, status: int) -> web.Response:
    body = render('<p class="error" role="alert">{}</p><p><a href="{}">Back</a></p>', message, HOME)
    return html_response(page(title, body), status)


@web.middleware
async def console_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        response = await _gate(request, handler)
    except web.HTTPException as answer:  # e.g. 404, 405 of the router
        answer.headers.update(HEADERS)
        raise
    except Exception:
        # The route's template, never the path: it holds a customer id.
        resource = request.match_info.route.resource
        log.exception("console page %s failed", resource.canonical if resource else "?")
        response = refused("Something went wrong", "The page could not be shown.", 500)
    response.headers.update(HEADERS)
    return response


async def _gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == LOGIN:
        return await handler(request)
    deps = request.app[CONSOLE_DEPS]
    session = deps.sessions.verify(request.cookies.get(COOKIE))
    if session is None:
        return redirect(LOGIN)
    request["console_session"] = session
    if request.method == "POST":
        if not _same_origin(request):
            return refused("Refused", "This form was sent from another site.", 403)
        form = await request.post()
        given = form.get("csrf")
        if not isinstance(given, str) or not deps.sessions.csrf_valid(session, given):
            return refused(
                "Refused",
                "The form has expired or was not sent from this console: reload and retry.",
                403,
            )
    return await handler(request)


def _same_origin(request: web.Request) -> bool:
    """A browser names the origin of a POST; when it does, it must be this server."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.host


async def login_page(request: web.Request) -> web.StreamResponse:
    deps = request.app[CONSOLE_DEPS]
    if deps.sessions.verify(request.cookies.get(COOKIE)) is not None:
        return redirect(HOME)
    return html_response(_login_form(""))


async def login(request: web.Request) -> web.StreamResponse:
    deps = request.app[CONSOLE_DEPS]
    if not _same_origin(request):
        return refused("Refused", "This form was sent from another site.", 403)
    limiter = request.app[LOGIN_LIMITER]
    if limiter.wait_s(request.remote or "") > 0:
        return html_response(_login_form("Too many attempts: wait a second and retry."), 429)
    if not deps.sessions.enabled:
        message = "The console is disabled: the worker has no API_TOKEN."
        return html_response(_login_form(message), 401)
    form = await request.post()
    given = form.get("token")
    if not isinstance(given, str) or not deps.sessions.token_matches(given):
        return html_response(_login_form("That token is not valid."), 401)
    _session, cookie = deps.sessions.issue()
    response = redirect(HOME)
    response.set_cookie(
        COOKIE,
        cookie,
        path=COOKIE_PATH,
        max_age=deps.sessions.ttl_s,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    session, _csrf = session_of(request)
    request.app[CONSOLE_DEPS].sessions.revoke(session)
    response = redirect(LOGIN)
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _login_form(error: str) -> str:
    alert = render('<p class="error" role="alert">{}</p>', error) if error else Safe("")
    body = render(
        "{}"
        '<form method="post" action="/console/login" class="card">'
        '<label for="token">API token</label>'
        '<input id="token" name="token" type="password" autocomplete="current-password" '
        "required autofocus>"
        '<p class="hint">The worker\'s <code>API_TOKEN</code>. It is exchanged for a session '
        "cookie and never stored in your browser.</p>"
        '<button type="submit">Log in</button></form>',
        alert,
    )
    return page("Log in", body)
