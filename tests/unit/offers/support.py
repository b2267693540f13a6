"""Builders shared by the offer tests (no tests of its own).

Rules mirror the defaults of ``config/offers.toml`` but are built straight from
the dataclasses, so these tests never depend on the rules file parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.best_offer import BestOffer, best_offer_now
from models.offers.decision import Candidate, Expired, PendingTrigger, Signals
from models.offers.decisions import immediate_candidates, on_due, pending_triggers
from models.offers.pressure import Contact
from models.offers.rules import (
    OPTIONAL_TRIGGER_TYPES,
    ContactCaps,
    ContactChannel,
    OfferRules,
    OfferTemplate,
    QuietHours,
    TriggerRule,
    TriggerType,
)
from tests.unit.test_context_support import (
    DAY,
    added,
    at_ms,
    consented,
    fold_all,
    ordered,
    product,
    viewed,
)

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
IN_STOCK = Signals(stock={(STORE, "p1"): 4})
# When a touchpoint asks for the best offer now.
NOW = at_ms(10)


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
            "restock_window_ms": 7 * DAY,
            "restock_max_people": 500,
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
        TriggerType.BACK_IN_STOCK: {
            "priority": 50,
            "delay_ms": 0,
            "cooldown_ms": 7 * DAY,
            "channels": (EMAIL, PUSH),
            "window_ms": 14 * DAY,
            "restock_max_people": 500,
        },
    }
    fields: dict[str, Any] = {
        "type": kind,
        "enabled": True,
        "offer": OfferTemplate(f"{kind.value}-offer", f"incentive for {kind.value}", 2 * DAY),
        # A type added later runs with plain values until its tests give it its own.
        **defaults.get(
            kind, {"priority": 50, "delay_ms": 0, "cooldown_ms": DAY, "channels": (EMAIL,)}
        ),
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
    """All five rules enabled unless ``disabled``; ``per_type`` replaces one by type value.
    Optional types (back_in_stock) are absent unless given, as in an older rules file."""
    triggers = {
        kind: trigger_rule(kind) for kind in TriggerType if kind not in OPTIONAL_TRIGGER_TYPES
    }
    for name, rule in per_type.items():
        triggers[TriggerType(name)] = rule
    for kind in disabled:
        if kind in triggers:
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


def consenting(events: list[Event], **choices: bool) -> CustomerContext:
    """The context of these events, with email consent unless other choices are given."""
    return with_consent(fold_all(events), **(choices or {"email": True}))


def add(mid: str, minutes: float, pid: str, **kw: Any) -> Event:
    """An add to the basket by the customer (keywords override, e.g. ``channel``)."""
    return added(mid, minutes, pid, **{**AS_USER, **kw})


def look(mid: str, minutes: float, pid: str = "p1", **kw: Any) -> Event:
    """A product view by the customer (``**AS_VISITOR`` for the visitor)."""
    return viewed(mid, minutes, pid, **{**AS_USER, **kw})


def schedule(
    history: list[Event],
    new: list[Event],
    person: Identity = USER,
    rules: OfferRules = RULES,
    of: TriggerType | None = None,
) -> list[PendingTrigger]:
    """The timers ``new`` arms once folded after ``history``, optionally of one type."""
    context = fold_all([*history, *new])
    found = pending_triggers(context, new, person, rules)
    return [p for p in found if of is None or p.type is of]


def due(
    pending: PendingTrigger, history: list[Event], later: Sequence[Event] = ()
) -> Candidate | Expired:
    """The timer's decision at its deadline, once ``history`` then ``later`` were folded."""
    return on_due(pending, fold_all([*history, *later]), RULES, pending.due_ms)


def decide(
    history: list[Event],
    new: list[Event],
    person: Identity = USER,
    rules: OfferRules = RULES,
    signals: Signals = IN_STOCK,
    of: TriggerType | None = None,
) -> list[Candidate]:
    """The immediate candidates of ``new`` once folded after ``history``, optionally of one type."""
    context = fold_all([*history, *new])
    found = immediate_candidates(context, new, person, rules, signals)
    return [c for c in found if of is None or c.type is of]


def best(
    context: CustomerContext,
    person: Identity = USER,
    rules: OfferRules = RULES,
    signals: Signals = IN_STOCK,
    contacts: Sequence[Contact] = (),
    now_ms: int = NOW,
) -> BestOffer:
    return best_offer_now(context, person, rules, signals, contacts, now_ms)


def only(offer: BestOffer, kind: TriggerType) -> list[str]:
    """The causes of the candidates of one type."""
    return [a.candidate.cause for a in offer.considered if a.candidate.type is kind]


LAST_ORDER = -100 * 24 * 60  # minutes: 100 days before T0


def lapsed_customer(minutes: float = LAST_ORDER) -> list[Event]:
    return [
        ordered("o1", minutes - 60, "o-0", 40.0, [product("p9")], **AS_USER),
        ordered("o2", minutes, "o-1", 60.0, [product("p9")], store_id=STORE, **AS_USER),
    ]


# PRODUCT.md's trigger contract: the fields of every trigger document, in order.
TRIGGER_CONTRACT = (
    "trigger_id",
    "type",
    "userId",
    "anonymousId",
    "channel",
    "offer",
    "score",
    "reason",
    "caused_by",
    "created_at",
    "expires_at",
    "context",
    "rules_version",
)


def plain_candidate(kind: TriggerType, person: Identity, cause: str, decided_ms: int) -> Candidate:
    """A candidate as any kind could decide it: what is measured, sent or held out, of it."""
    return Candidate(
        type=kind,
        person=person,
        cause=cause,
        product_ids=("p1",),
        store_id=None,
        value=10.0,
        priority=50,
        caused_by=("m1",),
        reason_code="test",
        reason_text="",
        decided_ms=decided_ms,
    )
