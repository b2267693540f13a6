"""The API goes onto the faust app's own aiohttp application, and faust's pages stay off."""

from __future__ import annotations

from aiohttp import web

from config import Settings
from streams.app import create_app
from streams.web.console import ROUTES as CONSOLE_ROUTES
from streams.web.dependencies import API_DEPS
from streams.web.routes import ROUTES


def served_by_faust() -> web.Application:
    app = create_app(Settings(api_token="unit-test-token", erasure_salt="unit-test-erasure-salt"))
    app.web.init_server()  # what faust's web service does when the worker starts it
    return app.web.web_app  # type: ignore[attr-defined, no-any-return]


def test_every_route_of_the_table_is_on_fausts_aiohttp_application() -> None:
    application = served_by_faust()
    served = {
        (route.method, route.resource.canonical)
        for route in application.router.routes()
        if route.resource is not None
    }
    declared = {(route.method, route.path) for route in ROUTES}
    # aiohttp's canonical form drops a placeholder's pattern: {customer_id:[^/]+}.
    declared |= {
        (method, path.replace(":[^/]+}", "}")) for method, path, _handler in CONSOLE_ROUTES
    }
    heads = {("HEAD", path) for method, path in declared if method == "GET"}
    # Only the API and the console: not even faust's "/" index ({"status": "OK"}), which
    # no setting turns off.
    assert served == declared | heads
    assert application[API_DEPS].token == "unit-test-token"
    assert len(application.middlewares) == 5  # the API's 4, the console's gate


def test_fausts_table_router_stats_and_graph_pages_are_not_registered() -> None:
    paths = {route.resource.canonical for route in served_by_faust().router.routes()}
    for faust_page in ("/router", "/table", "/graph", "/assignment", "/performance"):
        assert not any(path.startswith(faust_page) for path in paths), faust_page
