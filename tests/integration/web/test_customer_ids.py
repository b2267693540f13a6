"""Customer ids through the API: any id the parser accepts is read, exported and erased;
an id it refuses (a brace) answers JSON, and one stored before ids were checked can still
be read and erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from models.events import CallType, Channel, Event, EventKind
from tests.integration.offer_scenarios import SHOES
from tests.integration.web.api_support import AUTH, Shopper, serve, unique

pytestmark = pytest.mark.integration

# Ids the parser accepts that hold what keys, members and URLs treat specially.
ODD_IDS = ["x|y", "*", "a/b", "a?b#c", "50%", "jo+shop@example.com", "é 漢字", "a:b;c"]


async def call(client: Any, method: str, customer_id: str, tail: str = "") -> tuple[int, Any]:
    response = await client.request(
        method, f"/customers/{quote(customer_id, safe='')}{tail}", headers=AUTH
    )
    assert response.content_type == "application/json", await response.text()
    return response.status, orjson.loads(await response.read())


async def read_export_erase(client: Any, customer_id: str) -> list[tuple[int, Any]]:
    return [
        await call(client, "GET", customer_id, "/context"),
        await call(client, "GET", customer_id, "/export"),
        await call(client, "DELETE", customer_id),
        await call(client, "GET", customer_id, "/context"),
    ]


def assert_read_exported_erased(answers: list[tuple[int, Any]], customer_id: str) -> None:
    (read, context), (exported, export), erased, after = answers
    assert (read, context["userId"]) == (200, customer_id)
    assert (exported, export["identity"]["id"]) == (200, customer_id)
    assert erased == (200, {"erased": True})
    assert (after[0], after[1]["error"]["code"]) == (404, "customer_not_found")


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_accepted_id_is_read_exported_and_erased(redis_url: str, odd: str) -> None:
    shopper = Shopper()
    shopper.user = f"{odd}-{unique('u')}"
    shopper.track("Product Added", **SHOES)

    async def scenario(client: Any, deps: Any) -> list[tuple[int, Any]]:
        await shopper.write(deps)
        return await read_export_erase(client, shopper.user)

    assert_read_exported_erased(serve(redis_url, scenario), shopper.user)


def test_an_id_with_braces_answers_json_not_found(redis_url: str) -> None:
    refused = f"a{{{unique('b')}}}"

    async def scenario(client: Any, _deps: Any) -> list[tuple[int, Any]]:
        return [
            await call(client, "GET", refused, "/context"),
            await call(client, "GET", refused, "/next-best-offer"),
            await call(client, "GET", refused, "/export"),
            await call(client, "DELETE", refused),
        ]

    for status, body in serve(redis_url, scenario):
        assert (status, body["error"]["code"]) == (404, "customer_not_found")


def test_a_context_stored_under_a_brace_id_before_the_check_is_read_and_erased(
    redis_url: str,
) -> None:
    legacy = f"{{legacy}}-{unique('u')}"
    # Built directly, as the parser of an older version let it through.
    viewed = Event(
        message_id=unique("m"),
        call=CallType.TRACK,
        kind=EventKind.PAGE,
        name=None,
        user_id=legacy,
        anonymous_id=None,
        timestamp=datetime.now(UTC) - timedelta(minutes=5),
        channel=Channel.WEB,
    )

    async def scenario(client: Any, deps: Any) -> list[tuple[int, Any]]:
        await deps.store.apply([viewed])
        return await read_export_erase(client, legacy)

    assert_read_exported_erased(serve(redis_url, scenario), legacy)
