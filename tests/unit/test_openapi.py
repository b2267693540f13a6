"""The checked-in OpenAPI document describes exactly the routes the worker serves."""

from __future__ import annotations

import orjson

from streams.web.operations import OPENAPI_PATH
from streams.web.routes import ROUTES

PUBLIC = {"/health", "/ready", "/metrics", "/openapi.json"}


def test_every_route_is_documented_and_nothing_else() -> None:
    document = orjson.loads(OPENAPI_PATH.read_bytes())
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == {(route.path, route.method.lower()) for route in ROUTES}


def test_only_the_operator_endpoints_are_open() -> None:
    assert {route.path for route in ROUTES if not route.protected} == PUBLIC


def test_protected_routes_declare_bearer_auth_401_and_429() -> None:
    document = orjson.loads(OPENAPI_PATH.read_bytes())
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        if route.path in PUBLIC:
            assert not route.protected, route.path
            assert "security" not in operation, route.path
        else:
            assert route.protected, route.path
            assert operation["security"] == [{"bearer": []}], route.path
            assert "401" in operation["responses"], route.path
            assert "Retry-After" in operation["responses"]["429"]["headers"], route.path
