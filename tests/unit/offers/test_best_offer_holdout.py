"""The best offer now for a person held out of a type: nothing now, and nothing lesser."""

from __future__ import annotations

from models.context import CustomerContext
from models.offers.holdout import Holdout
from models.offers.rules import ContactCaps, SuppressionReason, TriggerType
from tests.unit.offers.support import AS_USER, best, consenting, look, offer_rules, trigger_rule
from tests.unit.test_context_support import added, fold_all

BASKET, BROWSE = TriggerType.ABANDONED_BASKET, TriggerType.BROWSE_ABANDONMENT
EVERYONE = Holdout(basis_points=10_000)


def basket_and_browse() -> CustomerContext:
    browsing = [look(f"v-{i}", i, "p2") for i in range(3)]
    return fold_all([added("a1", 5, "p1", price=10.0, **AS_USER)], consenting(browsing))


def held_out_of(kind: TriggerType) -> list[tuple[TriggerType, SuppressionReason | None]]:
    rules = offer_rules(caps=ContactCaps(per_day=3, per_week=5))
    rules.triggers[kind] = trigger_rule(kind, holdout=EVERYONE)
    offer = best(basket_and_browse(), rules=rules)
    if kind is BASKET:
        assert offer.best is None
    return [(a.candidate.type, a.verdict) for a in offer.considered]


def test_held_out_of_the_best_offer_the_person_gets_nothing_in_its_place() -> None:
    assert held_out_of(BASKET) == [
        (BASKET, SuppressionReason.HOLDOUT),
        (BROWSE, SuppressionReason.LOWER_PRIORITY),
    ]


def test_held_out_of_a_lesser_offer_changes_nothing_for_the_best() -> None:
    assert held_out_of(BROWSE) == [(BASKET, None), (BROWSE, SuppressionReason.LOWER_PRIORITY)]


def test_a_held_out_offer_says_it_would_have_been_sent() -> None:
    rules = offer_rules()
    rules.triggers[BASKET] = trigger_rule(BASKET, holdout=EVERYONE)
    [assessed, *_] = best(basket_and_browse(), rules=rules).considered
    assert "would have been sent" in assessed.detail
    assert assessed.channel.channel is not None
