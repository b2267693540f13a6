"""The best offer now: candidates from the context alone, consent and pressure, no side effect."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from models.context import CustomerContext
from models.events import Event
from models.offers.arbitration import rank_key
from models.offers.best_offer import BestOffer
from models.offers.decision import Signals
from models.offers.pressure import Contact
from models.offers.rules import (
    ContactCaps,
    SuppressionReason,
    TriggerType,
)
from tests.unit.offers.support import (
    ADS,
    AS_USER,
    AS_VISITOR,
    HOUR,
    NOW,
    PUSH,
    RULES,
    VISITOR,
    best,
    consenting,
    look,
    offer_rules,
    store_customer,
    trigger_rule,
    with_consent,
)
from tests.unit.test_context_support import (
    DAY,
    added,
    fold_all,
    ms,
    ordered,
    product,
)

BASKET, BROWSE = TriggerType.ABANDONED_BASKET, TriggerType.BROWSE_ABANDONMENT
W2S, CROSS, REACT = TriggerType.WEB_TO_STORE, TriggerType.CROSS_SELL, TriggerType.REACTIVATION
TRENDING = Signals(trending={"socks": ("s-1", "s-2"), "bags": ("b-1",)})


def types(offer: BestOffer) -> list[TriggerType]:
    return [a.candidate.type for a in offer.considered]


def add(mid: str, minutes: float, pid: str, price: float = 10.0) -> Event:
    return added(mid, minutes, pid, price=price, **AS_USER)


def browsed(pid: str = "p2", start: float = 0) -> list[Event]:
    return [look(f"v-{pid}-{i}", start + i, pid) for i in range(3)]


# ------------------------------------------------------------------------ every kind, from context


def test_an_empty_context_has_no_offer() -> None:
    assert best(CustomerContext()) == BestOffer(None, ())


def test_disabled_rules_bring_nothing() -> None:
    context = consenting([*store_customer(), *browsed("p1"), add("a1", 5, "p3")])
    assert {BASKET, BROWSE, W2S} <= set(types(best(context)))
    assert best(context, rules=offer_rules(disabled=tuple(TriggerType))) == BestOffer(None, ())


# --------------------------------------------------------------------------- ranking and verdicts


def everything() -> CustomerContext:
    """A basket (1000), a cross-sell (40 x 60 = 2400) and browsing (60): every kind competes."""
    order = ordered("o1", -10, "o-1", 60.0, [product("sh", category="shoes")], **AS_USER)
    return consenting([order, *browsed("p2"), add("a1", 5, "p1", price=10.0)])


def test_candidates_are_ranked_best_first_and_the_rest_lose_to_the_best() -> None:
    offer = best(everything(), signals=TRENDING)
    assert types(offer) == [CROSS, BASKET, BROWSE]
    ranked = [a.candidate for a in offer.considered]
    assert ranked == sorted(ranked, key=rank_key)
    assert [a.candidate.score for a in offer.considered] == [2400.0, 1000.0, 60.0]
    assert offer.best is offer.considered[0]
    for loser in offer.considered[1:]:
        assert loser.verdict is SuppressionReason.LOWER_PRIORITY
        assert loser.detail == "cross_sell scored higher"


def test_without_consent_there_is_no_best_and_each_says_why() -> None:
    offer = best(fold_all([add("a1", 0, "p1")]))
    assert offer.best is None
    [assessed] = offer.considered
    assert assessed.verdict is SuppressionReason.NO_CONSENT
    assert assessed.channel.channel is None
    assert assessed.detail == "no consent for email, push, ads"


def test_a_blocked_better_offer_keeps_its_verdict_and_the_next_becomes_best() -> None:
    # Cross-sell may only use push here, which is not consented: the basket wins.
    custom = replace(
        RULES, triggers={**RULES.triggers, CROSS: trigger_rule(CROSS, channels=(PUSH,))}
    )
    offer = best(everything(), rules=custom, signals=TRENDING)
    assert [(a.candidate.type, a.verdict) for a in offer.considered] == [
        (CROSS, SuppressionReason.NO_CONSENT),
        (BASKET, None),
        (BROWSE, SuppressionReason.LOWER_PRIORITY),
    ]
    assert offer.best is offer.considered[1]


def basket_and_browse() -> CustomerContext:
    return fold_all([add("a1", 5, "p1")], consenting(browsed("p2")))


def test_a_cooldown_passes_the_turn_to_the_next_candidate() -> None:
    earlier_basket = Contact("an-earlier-basket", BASKET, NOW - 2 * HOUR)
    roomy = offer_rules(caps=ContactCaps(per_day=3, per_week=5))
    offer = best(basket_and_browse(), rules=roomy, contacts=[earlier_basket])
    assert [(a.candidate.type, a.verdict) for a in offer.considered] == [
        (BASKET, SuppressionReason.COOLDOWN),
        (BROWSE, None),
    ]
    assert offer.considered[0].detail == "same offer type sent less than 24 h ago"
    assert offer.best is offer.considered[1]


def test_caps_hold_back_every_new_offer_but_not_a_re_emission() -> None:
    context = basket_and_browse()
    browse_id = next(
        a.candidate.trigger_id for a in best(context).considered if a.candidate.type is BROWSE
    )
    other = [Contact("sent-earlier", REACT, NOW - HOUR)]
    capped = best(context, contacts=other)
    assert capped.best is None
    assert {a.verdict for a in capped.considered} == {SuppressionReason.CAPPED}
    assert capped.considered[0].detail == (
        "contact cap reached: 1/1 today (local day), 1/3 in 7 days"
    )
    # The browse reminder was the contact sent an hour ago: showing it again is no new contact.
    again = best(context, contacts=[Contact(browse_id, BROWSE, NOW - HOUR)])
    assert [(a.candidate.type, a.verdict) for a in again.considered] == [
        (BASKET, SuppressionReason.CAPPED),
        (BROWSE, None),
    ]
    assert again.best is again.considered[1]


def test_a_lower_offer_that_is_blocked_too_says_both() -> None:
    earlier_browse = Contact("earlier-browse", BROWSE, NOW - DAY)
    roomy = offer_rules(caps=ContactCaps(per_day=3, per_week=5))
    offer = best(everything(), rules=roomy, signals=TRENDING, contacts=[earlier_browse])
    browse = offer.considered[-1]
    assert browse.verdict is SuppressionReason.LOWER_PRIORITY
    assert browse.detail == (
        "cross_sell scored higher; also cooldown: same offer type sent less than 3 days ago"
    )


def test_an_anonymous_visitor_with_ads_consent_gets_an_ads_offer() -> None:
    visitor = fold_all([added("a1", 0, "p1", price=10.0, **AS_VISITOR)])
    offer = best(with_consent(visitor, ads=True, email=True), person=VISITOR)
    assert offer.best is not None
    assert offer.best.candidate.type is BASKET
    assert offer.best.candidate.person == VISITOR
    assert offer.best.channel.channel is ADS
    email_only = best(with_consent(visitor, email=True), person=VISITOR)
    assert email_only.best is None
    assert email_only.considered[0].detail == "no consent for ads"


def test_quiet_hours_keep_the_offer_and_say_when_it_may_be_sent() -> None:
    late = ms(datetime(2024, 6, 1, 21, 0, tzinfo=UTC))  # 23:00 in Paris
    context = consenting([add("a1", 0, "p1")], push=True)
    offer = best(context, now_ms=late)
    assert offer.best is not None
    assert offer.best.channel.channel is PUSH
    assert offer.best.channel.send_after_ms == ms(datetime(2024, 6, 2, 6, 0, tzinfo=UTC))


def test_asking_again_gives_the_same_answer() -> None:
    context = everything()
    assert best(context, signals=TRENDING) == best(context, signals=TRENDING)


def test_a_customers_offer_names_their_latest_linked_visitor() -> None:
    linked = {"user_id": "u-1", "anonymous_id": "anon-7"}
    context = consenting([added("a1", 0, "p1", price=10.0, **linked)])
    assert context.anonymous_ids[-1] == "anon-7"
    offer = best(context)
    assert offer.best is not None
    assert offer.best.candidate.visitor_id == "anon-7"
    assert offer.best.candidate.anonymous_id == "anon-7"
    assert best(context, person=VISITOR).considered[0].candidate.visitor_id is None
