"""What the API tests' shopper's context must say, wherever it is read from (a worker,
or the API in process): viewed the jacket twice as a visitor, identified, consented to
email and push, then added the shoes to the basket."""

from __future__ import annotations

from typing import Any


def assert_identified_shopper_context(context: dict[str, Any], user: str, anonymous: str) -> None:
    assert context["userId"] == user
    assert context["anonymousIds"] == [anonymous]
    assert context["lifecycle_stage"] == "identified"
    assert [item["product_id"] for item in context["basket"]["items"]] == ["SHO-001"]
    assert context["consent"] == {"email": True, "sms": False, "push": True, "ads": False}
    assert context["recent_products"][0]["product_id"] == "JAC-001"
    assert context["recent_products"][0]["views"] == 2
