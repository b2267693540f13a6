"""The API's middlewares in process: bearer auth, errors as JSON, the latency metric."""

from __future__ import annotations

import logging
import socket
from typing import Any

import orjson
import pytest

from streams.web.routes import ROUTES
from tests.integration.web.api_support import AUTH, TOKEN, raw_get, serve, unique

pytestmark = pytest.mark.integration

PROTECTED = [route for route in ROUTES if route.protected]


def concrete(path: str, customer_id: str) -> str:
    return path.replace("{customer_id}", customer_id)


def error_code(body: bytes) -> str:
    document = orjson.loads(body)
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
    return str(document["error"]["code"])


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer"}, "missing_token"),
        ({"Authorization": f"Basic {TOKEN}"}, "missing_token"),
        ({"Authorization": "Bearer wrong"}, "invalid_token"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "invalid_token"),
        ({"Authorization": "Bearer tökén"}, "invalid_token"),  # sent as UTF-8
    ],
)
def test_every_protected_route_needs_the_bearer_token(
    redis_url: str, headers: dict[str, str], code: str
) -> None:
    async def scenario(client: Any, _deps: Any) -> list[tuple[str, int, str, str]]:
        answers = []
        for route in PROTECTED:
            response = await client.request(
                route.method, concrete(route.path, unique("c")), headers=headers
            )
            body = await response.read()
            answers.append((route.path, response.status, response.content_type, error_code(body)))
        return answers

    for path, status, content_type, answered in serve(redis_url, scenario):
        assert (status, content_type, answered) == (401, "application/json", code), path


def test_without_a_configured_token_the_api_is_disabled(redis_url: str) -> None:
    async def scenario(client: Any, _deps: Any) -> list[tuple[int, str]]:
        answers = []
        for route in PROTECTED:
            path = concrete(route.path, unique("c"))
            response = await client.request(route.method, path, headers=AUTH)
            answers.append((response.status, error_code(await response.read())))
        return answers

    assert set(serve(redis_url, scenario, token="")) == {(401, "api_disabled")}


def test_a_token_that_is_not_utf8_is_just_invalid(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(client: Any, _deps: Any) -> tuple[int, bytes]:
        return await raw_get(client, "/trends", b"Authorization: Bearer t\xf6k\xe9n")

    with caplog.at_level(logging.WARNING):
        status, body = serve(redis_url, scenario)
    assert (status, error_code(body)) == (401, "invalid_token")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_unexpected_failure_is_a_json_500_that_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer_id = unique("secret-customer")
    with socket.socket() as probe:  # a port nobody listens on: Redis "down"
        probe.bind(("127.0.0.1", 0))
        dead_redis = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"

    async def scenario(client: Any, deps: Any) -> tuple[int, str, bytes, Any]:
        response = await client.get(f"/customers/{customer_id}/context", headers=AUTH)
        count = deps.metrics.registry.get_sample_value(
            "omni_api_request_seconds_count",
            {"route": "/customers/{customer_id}/context", "method": "GET", "status": "500"},
        )
        return response.status, response.content_type, await response.read(), count

    with caplog.at_level(logging.INFO):
        status, content_type, body, count = serve(dead_redis, scenario)
    assert (status, content_type, error_code(body)) == (500, "application/json", "internal_error")
    assert orjson.loads(body)["error"]["message"] == "the request could not be served"
    assert count == 1
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == ["GET /customers/{customer_id}/context failed"]
    assert customer_id not in caplog.text and TOKEN not in caplog.text


def test_the_latency_metric_is_labelled_with_the_route_template(redis_url: str) -> None:
    customer_id = unique("labelled")

    async def scenario(client: Any, deps: Any) -> tuple[list[dict[str, str]], int]:
        await client.get(f"/customers/{customer_id}/context", headers=AUTH)
        await client.get(f"/customers/{customer_id}/context")
        await client.delete(f"/customers/{customer_id}", headers=AUTH)
        await client.get("/health")
        unknown = await client.get(f"/nowhere/{customer_id}")
        samples = [
            sample.labels
            for family in deps.metrics.registry.collect()
            if family.name == "omni_api_request_seconds"
            for sample in family.samples
            if sample.name.endswith("_count")
        ]
        return samples, unknown.status

    samples, unknown_status = serve(redis_url, scenario)
    assert unknown_status == 404
    assert sorted((s["route"], s["method"], s["status"]) for s in samples) == [
        ("/customers/{customer_id}", "DELETE", "404"),
        ("/customers/{customer_id}/context", "GET", "401"),
        ("/customers/{customer_id}/context", "GET", "404"),
        ("/health", "GET", "200"),
    ]
    assert not any(customer_id in value for s in samples for value in s.values())
