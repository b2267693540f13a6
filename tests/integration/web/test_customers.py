"""The customer endpoints in process, over contexts written by the real store."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.integration.offer_scenarios import JACKET, SHOES
from tests.integration.shopper_context import assert_identified_shopper_context
from tests.integration.web.api_support import AUTH, Shopper, serve, unique

pytestmark = pytest.mark.integration


def identified_shopper() -> Shopper:
    """Viewed the jacket twice as a visitor, identified, consented to email and push, added
    the shoes."""
    shopper = Shopper()
    shopper.track("Product Viewed", anonymous=True, **JACKET)
    shopper.track("Product Viewed", anonymous=True, **JACKET)
    shopper.identify()
    shopper.track("Consent Updated", email=True, push=True)
    return shopper.track("Product Added", **SHOES)


async def get_json(client: Any, path: str) -> tuple[int, Any]:
    response = await client.get(path, headers=AUTH)
    assert response.content_type == "application/json"
    return response.status, orjson.loads(await response.read())


def test_context_by_user_id_and_by_anonymous_id(redis_url: str) -> None:
    shopper = identified_shopper()

    async def scenario(client: Any, deps: Any) -> list[tuple[int, Any]]:
        await shopper.write(deps)
        return [
            await get_json(client, f"/customers/{shopper.user}/context"),
            await get_json(client, f"/customers/{shopper.anonymous}/context"),
            await get_json(client, f"/customers/{shopper.anonymous}/context?kind=anonymous"),
            await get_json(client, f"/customers/{shopper.anonymous}/context?kind=user"),
        ]

    (status, context), by_visitor, forced_visitor, forced_user = serve(redis_url, scenario)
    assert status == 200
    assert_identified_shopper_context(context, shopper.user, shopper.anonymous)
    assert by_visitor == (200, context)
    assert forced_visitor == (200, context)
    assert (forced_user[0], forced_user[1]["error"]["code"]) == (404, "customer_not_found")


def test_unknown_ids_and_bad_kinds(redis_url: str) -> None:
    nobody = unique("nobody")

    async def scenario(client: Any, _deps: Any) -> list[tuple[int, Any]]:
        return [
            await get_json(client, f"/customers/{nobody}/context"),
            await get_json(client, f"/customers/{nobody}/next-best-offer"),
            await get_json(client, f"/customers/{nobody}/export"),
            await get_json(client, f"/customers/{nobody}/context?kind=visitor"),
        ]

    *missing, bad_kind = serve(redis_url, scenario)
    not_found = {"code": "customer_not_found", "message": "no context is stored for this id"}
    assert missing == [(404, {"error": not_found})] * 3
    assert bad_kind == (
        400,
        {"error": {"code": "bad_kind", "message": "kind must be user or anonymous"}},
    )


def test_next_best_offer_explains_itself_and_reserves_nothing(redis_url: str) -> None:
    shopper = identified_shopper()

    async def scenario(client: Any, deps: Any) -> tuple[tuple[int, Any], tuple[int, Any]]:
        await shopper.write(deps)
        pinned = deps.now_ms()
        deps.now_ms = lambda: pinned  # the same moment twice: same document, times included
        path = f"/customers/{shopper.user}/next-best-offer"
        return await get_json(client, path), await get_json(client, path)

    (status, offer), again = serve(redis_url, scenario)
    assert status == 200 and offer["reserved"] is False
    best = offer["best"]
    assert (best["type"], best["offer"]["product_ids"], best["channel"]) == (
        "abandoned_basket",
        ["SHO-001"],
        "email",
    )
    assert offer["considered"][0]["trigger_id"] == best["trigger_id"]
    assert offer["considered"][0]["verdict"] == "best"
    assert again == (200, offer)  # asking spent nothing


def test_export_then_erase_then_404(redis_url: str) -> None:
    shopper = identified_shopper()

    async def scenario(client: Any, deps: Any) -> list[Any]:
        await shopper.write(deps)
        exported = await get_json(client, f"/customers/{shopper.user}/export")
        erased = await client.delete(f"/customers/{shopper.user}", headers=AUTH)
        erased_body = orjson.loads(await erased.read())
        after = [
            await get_json(client, f"/customers/{who}/context")
            for who in (shopper.user, shopper.anonymous)
        ]
        again = await client.delete(f"/customers/{shopper.user}", headers=AUTH)
        erasures = deps.metrics.registry.get_sample_value("omni_erasures_total")
        return [exported, (erased.status, erased_body), after, again.status, erasures]

    (status, exported), erased, after, again, erasures = serve(redis_url, scenario)
    assert status == 200
    assert exported["identity"] == {"kind": "user", "id": shopper.user}
    assert exported["linked_anonymous_ids"] == [shopper.anonymous]
    assert len(exported["processed_message_ids"]) == len(shopper.events)
    assert exported["context"]["userId"] == shopper.user
    assert erased == (200, {"erased": True})
    assert [(s, body["error"]["code"]) for s, body in after] == [(404, "customer_not_found")] * 2
    assert (again, erasures) == (404, 1)
