"""The best offer now: candidates from the context alone, consent and pressure, no side effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from models.context import CustomerContext
from models.events import Event
from models.identity import Identity
from models.offers.arbitration import rank_key
from models.offers.best_offer import BestOffer, best_offer_now
from models.offers.candidates import immediate_candidates
from models.offers.decision import Signals
from models.offers.pressure import Contact
from models.offers.rules import (
    ContactCaps,
    OfferRules,
    SuppressionReason,
    TriggerType,
)
from models.offers.timers import pending_triggers
from tests.unit.offers.support import (
    ADS,
    AS_USER,
    AS_VISITOR,
    EMAIL,
    HOUR,
    PUSH,
    RULES,
    STORE,
    USER,
    VISITOR,
    offer_rules,
    store_customer,
    trigger_rule,
    with_consent,
)
from tests.unit.test_context_support import (
    DAY,
    added,
    at_ms,
    fold_all,
    ms,
    ordered,
    product,
    viewed,
)

BASKET, BROWSE = TriggerType.ABANDONED_BASKET, TriggerType.BROWSE_ABANDONMENT
W2S, CROSS, REACT = TriggerType.WEB_TO_STORE, TriggerType.CROSS_SELL, TriggerType.REACTIVATION
NOW = at_ms(10)
IN_STOCK = Signals(stock={(STORE, "p1"): 4})
TRENDING = Signals(trending={"socks": ("s-1", "s-2"), "bags": ("b-1",)})


def best(
    context: CustomerContext,
    person: Identity = USER,
    rules: OfferRules = RULES,
    signals: Signals = IN_STOCK,
    contacts: Sequence[Contact] = (),
    now_ms: int = NOW,
) -> BestOffer:
    return best_offer_now(context, person, rules, signals, contacts, now_ms)


def types(offer: BestOffer) -> list[TriggerType]:
    return [a.candidate.type for a in offer.considered]


def only(offer: BestOffer, kind: TriggerType) -> list[str]:
    """The causes of the candidates of one type."""
    return [a.candidate.cause for a in offer.considered if a.candidate.type is kind]


def add(mid: str, minutes: float, pid: str, price: float = 10.0) -> Event:
    return added(mid, minutes, pid, price=price, **AS_USER)


def look(mid: str, minutes: float, pid: str = "p2", **who: Any) -> Event:
    return viewed(mid, minutes, pid, **(who or AS_USER))


def browsed(pid: str = "p2", start: float = 0) -> list[Event]:
    return [look(f"v-{pid}-{i}", start + i, pid) for i in range(3)]


def consenting(events: list[Event], **choices: bool) -> CustomerContext:
    return with_consent(fold_all(events), **(choices or {"email": True}))


# ------------------------------------------------------------------------ each kind, from context


def test_an_empty_context_has_no_offer() -> None:
    assert best(CustomerContext()) == BestOffer(None, ())


def test_a_basket_is_an_offer_at_once_whatever_the_delay() -> None:
    context = consenting([add("a1", 0, "p1"), add("a2", 5, "p3", price=5.0)])
    offer = best(context, now_ms=at_ms(6))  # the rule's delay is 30 min
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is BASKET
    assert candidate.cause == f"basket:{at_ms(0)}"
    assert candidate.value == 15.0
    assert set(candidate.product_ids) == {"p1", "p3"}
    assert candidate.reason_code == "basket_abandoned"
    assert "2 item(s)" in candidate.reason_text
    assert "1 min without an order" in candidate.reason_text
    assert candidate.decided_ms == at_ms(6)
    assert candidate.caused_by == ()
    assert offer.best.channel.channel is EMAIL
    assert offer.best.verdict is None


def test_the_basket_trigger_id_is_the_one_the_timer_schedules() -> None:
    history = [add("a1", 0, "p1")]
    new = [add("a2", 20, "p2")]
    context = consenting([*history, *new])
    [pending] = [p for p in pending_triggers(context, new, USER, RULES) if p.type is BASKET]
    offer = best(context, now_ms=at_ms(25))
    assert offer.best is not None
    assert offer.best.candidate.trigger_id == pending.trigger_id
    assert offer.best.candidate.cause == pending.cause


def test_a_bought_basket_is_no_offer() -> None:
    bought = ordered("o1", 5, "o-1", 10.0, [product("p1")], **AS_USER)
    context = consenting([add("a1", 0, "p1"), bought])
    assert only(best(context), BASKET) == []


def test_browsing_enough_within_the_window_is_an_offer() -> None:
    views = browsed("p2")
    context = consenting(views)
    offer = best(context)
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is BROWSE
    assert candidate.product_ids == ("p2",)
    assert candidate.reason_code == "viewed_not_bought"
    assert "Viewed p2 3 times within 24 h" in candidate.reason_text
    scheduled = pending_triggers(context, views[-1:], USER, RULES)
    assert [p.trigger_id for p in scheduled if p.type is BROWSE] == [candidate.trigger_id]


def test_browsing_too_little_too_long_ago_or_then_buying_is_no_offer() -> None:
    assert only(best(consenting(browsed()[:2])), BROWSE) == []
    assert only(best(consenting(browsed()), now_ms=at_ms(2) + DAY), BROWSE) == []
    in_basket = consenting([*browsed(), add("a1", 5, "p2")])
    assert only(best(in_basket), BROWSE) == []
    bought = [*browsed(), ordered("o1", 5, "o-1", 10.0, [product("p2")], **AS_USER)]
    assert only(best(consenting(bought)), BROWSE) == []


def test_views_after_now_do_not_count() -> None:
    assert only(best(consenting(browsed(start=20))), BROWSE) == []


def test_a_product_viewed_in_stock_at_their_store_is_a_web_to_store_offer() -> None:
    views = [look("v1", 0, "p1"), look("v2", 1, "p1")]
    context = consenting([*store_customer(), *views], push=True)
    [assessed] = [a for a in best(context).considered if a.candidate.type is W2S]
    candidate = assessed.candidate
    assert candidate.cause == f"p1@{STORE}"
    assert candidate.store_id == STORE
    assert candidate.reason_code == "in_stock_nearby"
    assert "4 in stock at store-001" in candidate.reason_text
    assert assessed.channel.channel is PUSH
    engine = immediate_candidates(context, views[-1:], USER, RULES, IN_STOCK)
    assert [c.trigger_id for c in engine if c.type is W2S] == [candidate.trigger_id]


def test_no_web_to_store_without_stock_a_store_or_a_known_person() -> None:
    views = [look("v1", 0, "p1"), look("v2", 1, "p1")]
    context = consenting([*store_customer(), *views])
    assert only(best(context, signals=Signals()), W2S) == []
    assert only(best(consenting(views)), W2S) == []
    visitor = fold_all(
        [*store_customer(**AS_VISITOR), *(look(f"v{i}", i, "p1", **AS_VISITOR) for i in range(2))]
    )
    assert only(best(visitor, person=VISITOR), W2S) == []


def test_the_latest_order_brings_a_cross_sell_offer() -> None:
    shoes = [product("sh-1", category="shoes", price=50.0)]
    order = ordered("o2", 0, "o-2", 50.0, shoes, **AS_USER)
    earlier = ordered("o1", -60, "o-1", 20.0, [product("x", category="shoes")], **AS_USER)
    context = consenting([earlier, order])
    [assessed] = best(context, signals=TRENDING).considered
    candidate = assessed.candidate
    assert candidate.type is CROSS
    assert candidate.cause == "order:o-2"
    assert candidate.product_ids == ("s-1", "b-1", "s-2")
    assert candidate.value == 50.0
    assert candidate.reason_code == "complements_purchase"
    engine = immediate_candidates(context, [order], USER, RULES, TRENDING)
    assert [c.trigger_id for c in engine if c.type is CROSS] == [candidate.trigger_id]


def test_no_cross_sell_for_an_unmapped_category() -> None:
    order = ordered("o1", 0, "o-1", 50.0, [product("h", category="hats")], **AS_USER)
    assert only(best(consenting([order]), signals=TRENDING), CROSS) == []


def test_a_lapsed_customer_is_a_reactivation_offer() -> None:
    old = ordered("o1", -100 * 24 * 60, "o-1", 30.0, [product("p9")], **AS_USER)
    context = consenting([old])
    offer = best(context, now_ms=at_ms(0))
    assert offer.best is not None
    candidate = offer.best.candidate
    assert candidate.type is REACT
    assert candidate.cause == f"lapse:{at_ms(-100 * 24 * 60)}"
    assert candidate.value == 30.0
    assert candidate.reason_code == "lapsed_customer_returned"
    assert "100 days without an order" in candidate.reason_text
    visit = look("v1", 0, "p9")
    engine = immediate_candidates(fold_all([visit], context), [visit], USER, RULES, Signals())
    assert [c.trigger_id for c in engine if c.type is REACT] == [candidate.trigger_id]


def test_a_recent_order_is_no_lapse() -> None:
    recent = ordered("o1", -30 * 24 * 60, "o-1", 30.0, [product("p9")], **AS_USER)
    assert only(best(consenting([recent])), REACT) == []


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
    assert capped.considered[0].detail == "contact cap reached: 1/1 in 24 h, 1/3 in 7 days"
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
