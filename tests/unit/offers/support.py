"""Builders shared by the offer tests (no tests of its own).

Rules mirror the defaults of ``config/offers.toml`` but are built straight from
the dataclasses, so these tests never depend on the rules file parser.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.rules import (
    ContactCaps,
    ContactChannel,
    OfferRules,
    OfferTemplate,
    QuietHours,
    TriggerRule,
    TriggerType,
)
from tests.unit.test_context_support import DAY, consented, fold_all, ordered, product

HOUR = 3_600_000
MINUTE = 60_000
EMAIL, SMS, PUSH, ADS = (
    ContactChannel.EMAIL,
    ContactChannel.SMS,
    ContactChannel.PUSH,
    ContactChannel.ADS,
)

USER = Identity.user("u-1")
VISITOR = Identity.anonymous("anon-1")
# Keyword arguments for the event builders of test_context_support.
AS_USER: dict[str, Any] = {"user_id": "u-1", "anonymous_id": None}
AS_VISITOR: dict[str, Any] = {"user_id": None, "anonymous_id": "anon-1"}
STORE = "store-001"


def trigger_rule(kind: TriggerType, **overrides: Any) -> TriggerRule:
    defaults: dict[TriggerType, dict[str, Any]] = {
        TriggerType.ABANDONED_BASKET: {
            "priority": 100,
            "delay_ms": 30 * MINUTE,
            "cooldown_ms": DAY,
            "channels": (EMAIL, PUSH, ADS),
        },
        TriggerType.BROWSE_ABANDONMENT: {
            "priority": 60,
            "delay_ms": HOUR,
            "cooldown_ms": 3 * DAY,
            "channels": (EMAIL, PUSH, ADS),
            "min_views": 3,
            "window_ms": DAY,
        },
        TriggerType.WEB_TO_STORE: {
            "priority": 80,
            "delay_ms": 0,
            "cooldown_ms": 7 * DAY,
            "channels": (PUSH, SMS, EMAIL),
            "min_views": 2,
            "window_ms": DAY,
        },
        TriggerType.CROSS_SELL: {
            "priority": 40,
            "delay_ms": 0,
            "cooldown_ms": 7 * DAY,
            "channels": (EMAIL, PUSH, ADS),
        },
        TriggerType.REACTIVATION: {
            "priority": 70,
            "delay_ms": 0,
            "cooldown_ms": 30 * DAY,
            "channels": (EMAIL, SMS, PUSH, ADS),
            "lapse_ms": 90 * DAY,
        },
    }
    fields: dict[str, Any] = {
        "type": kind,
        "enabled": True,
        "offer": OfferTemplate(f"{kind.value}-offer", f"incentive for {kind.value}", 2 * DAY),
        **defaults[kind],
    }
    fields.update(overrides)
    return TriggerRule(**fields)


def offer_rules(
    *,
    disabled: tuple[TriggerType, ...] = (),
    cross_sell: dict[str, tuple[str, ...]] | None = None,
    caps: ContactCaps | None = None,
    quiet: QuietHours | None = None,
    **per_type: TriggerRule,
) -> OfferRules:
    """All five rules enabled unless ``disabled``; ``per_type`` replaces one by type value."""
    triggers = {kind: trigger_rule(kind) for kind in TriggerType}
    for name, rule in per_type.items():
        triggers[TriggerType(name)] = rule
    for kind in disabled:
        triggers[kind] = replace(triggers[kind], enabled=False)
    return OfferRules(
        triggers=triggers,
        caps=caps or ContactCaps(),
        quiet_hours=quiet or QuietHours(),
        cross_sell=cross_sell if cross_sell is not None else {"shoes": ("socks", "bags")},
    )


RULES = offer_rules()


def store_customer(orders: int = 2, minutes: float = -10 * 24 * 60, **kw: Any) -> list[Event]:
    """Till purchases that make STORE the customer's own."""
    who = kw or AS_USER
    return [
        ordered(f"till-{i}", minutes + i, f"t-{i}", 20.0, [product("p-old")], store_id=STORE, **who)
        for i in range(orders)
    ]


def with_consent(context: CustomerContext, **choices: bool) -> CustomerContext:
    who = AS_USER if context.user_id else AS_VISITOR
    return fold_all([consented("consent", -1, **who, **choices)], context)
