"""The checked-in OpenAPI document describes exactly the routes the worker serves."""

from __future__ import annotations

import orjson

from streams.web.api import OPENAPI_PATH, ROUTES


def test_every_route_is_documented_and_nothing_else() -> None:
    document = orjson.loads(OPENAPI_PATH.read_bytes())
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == set(ROUTES)


def test_protected_routes_declare_bearer_auth_and_401() -> None:
    document = orjson.loads(OPENAPI_PATH.read_bytes())
    public = {"/health", "/ready", "/metrics", "/openapi.json"}
    for path, item in document["paths"].items():
        for operation in item.values():
            if path in public:
                assert "security" not in operation, path
            else:
                assert operation["security"] == [{"bearer": []}], path
                assert "401" in operation["responses"], path
