"""The customer console: server-rendered pages for marketers and operators, under
``/console/``, on the worker's aiohttp server, behind the API token (as a session).

One module per page or concern: :mod:`.auth` (login, session, CSRF, headers),
:mod:`.lookup` (find), :mod:`.customer` (360), :mod:`.trace` (decision trace),
:mod:`.rules` (rules, validate, what-if), :mod:`.live`, :mod:`.erase` (export, erase);
:mod:`.html` escapes every value, :mod:`.masking` hides ids in dead-letter samples.
"""

from __future__ import annotations

import faust
from aiohttp import web
from aiohttp.typedefs import Handler
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from streams.web.console import auth, customer, erase, live, lookup, rules, trace
from streams.web.console.auth import LOGIN_ATTEMPTS_PER_S, LOGIN_LIMITER, console_gate
from streams.web.console.deps import CONSOLE_DEPS, ConsoleDeps
from streams.web.rate_limit import ClientRateLimiter

CUSTOMER = "/console/customers/{customer_id:[^/]+}"


async def _home(request: web.Request) -> web.StreamResponse:
    return auth.redirect(auth.HOME)


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/console", _home),
    ("GET", "/console/", _home),
    ("GET", auth.LOGIN, auth.login_page),
    ("POST", auth.LOGIN, auth.login),
    ("POST", "/console/logout", auth.logout),
    ("GET", "/console/find", lookup.find_page),
    ("POST", "/console/find", lookup.find),
    ("GET", CUSTOMER, customer.customer_360),
    ("GET", f"{CUSTOMER}/trace", trace.decision_trace),
    ("GET", f"{CUSTOMER}/erase", erase.erase_page),
    ("GET", f"{CUSTOMER}/erase/confirm", erase.confirm_page),
    ("POST", f"{CUSTOMER}/erase", erase.erase),
    ("GET", f"{CUSTOMER}/export", erase.export),
    ("GET", "/console/rules", rules.rules_page),
    ("POST", "/console/rules/validate", rules.validate),
    ("POST", "/console/rules/what-if", rules.what_if),
    ("GET", "/console/live", live.live),
)


def install_console(application: web.Application, deps: ConsoleDeps) -> None:
    """The console's routes and its gate, on an application that serves the API."""
    application[CONSOLE_DEPS] = deps
    application[LOGIN_LIMITER] = ClientRateLimiter(LOGIN_ATTEMPTS_PER_S)
    application.middlewares.append(console_gate)
    for method, path, handler in ROUTES:
        if method == "GET":
            application.router.add_get(path, handler)
        else:
            application.router.add_route(method, path, handler)


def add_console(app: faust.App, deps: ConsoleDeps) -> None:
    """Serve the console on the faust app's aiohttp server (as :func:`add_api`)."""
    server = app.web
    if not isinstance(server, AiohttpWeb):
        raise TypeError(f"the console needs faust's aiohttp web driver, not {type(server)!r}")
    install_console(server.web_app, deps)


__all__ = ["ConsoleDeps", "add_console", "install_console"]
