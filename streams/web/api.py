"""The touchpoint HTTP API, served by every worker (the context lives in Redis,
so any worker answers for any customer).

The route table and the middlewares go onto an aiohttp application: faust's own in
the worker (:func:`add_api`), a fresh one in in-process tests (:func:`api_application`).
Every endpoint but ``/health``, ``/ready``, ``/metrics`` and ``/openapi.json`` needs
``Authorization: Bearer $API_TOKEN``. Errors are JSON ``{"error": {"code", "message"}}``
with stable codes; exceptions are logged, never returned.
"""

from __future__ import annotations

import faust
from aiohttp import web
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from streams.web.dependencies import API_DEPS, ApiDeps
from streams.web.middleware import api_middlewares
from streams.web.rate_limit import ClientRateLimiter
from streams.web.routes import ROUTES


def add_api(app: faust.App, deps: ApiDeps) -> None:
    """Serve the API on the faust app's aiohttp server.

    Called while the app is built, before the worker starts: faust's web service
    applies its own blueprints in ``on_start`` and then ``AppRunner.setup()`` freezes
    the aiohttp application, after which no route or middleware can be added.
    """
    server = app.web
    if not isinstance(server, AiohttpWeb):
        raise TypeError(f"the API needs faust's aiohttp web driver, not {type(server)!r}")
    install_api(server.web_app, deps)


def api_application(deps: ApiDeps) -> web.Application:
    """The API alone, without faust: what in-process tests serve."""
    application = web.Application()
    install_api(application, deps)
    return application


def install_api(application: web.Application, deps: ApiDeps) -> None:
    application[API_DEPS] = deps
    limiter = ClientRateLimiter(deps.rate_limit_per_s) if deps.rate_limit_per_s > 0 else None
    application.middlewares.extend(api_middlewares(ROUTES, deps.token, deps.metrics, limiter))
    for route in ROUTES:
        # aiohttp's default placeholder, [^{}/]+, refuses braces: a customer id stored
        # with one before the parser refused them could be neither read nor erased, and
        # the lookup answered plain text. Any id is matched; labels keep route.path.
        path = route.path.replace("{customer_id}", "{customer_id:[^/]+}")
        if route.method == "GET":  # and HEAD, as faust's views answered it
            application.router.add_get(path, route.handler)
        else:
            application.router.add_route(route.method, path, route.handler)


__all__ = ["add_api", "api_application", "install_api"]
