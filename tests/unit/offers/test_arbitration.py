"""Arbitration: one winner per person, deterministic whatever the input order."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from models.identity import Identity
from models.offers.arbitration import arbitrate, moments
from models.offers.decision import Candidate
from models.offers.rules import TriggerType
from tests.unit.offers.support import USER


def candidate(
    kind: TriggerType, priority: float, value: float, cause: str = "c", person: Identity = USER
) -> Candidate:
    return Candidate(
        type=kind,
        person=person,
        cause=cause,
        product_ids=(),
        store_id=None,
        value=value,
        priority=priority,
        caused_by=("m",),
        reason_code="code",
        reason_text="text",
        decided_ms=0,
    )


def test_no_candidates_no_winner() -> None:
    result = arbitrate([])
    assert result.winner is None and result.losers == ()


def test_the_highest_priority_times_value_wins() -> None:
    basket = candidate(TriggerType.ABANDONED_BASKET, 100, 20.0)  # 2000
    store = candidate(TriggerType.WEB_TO_STORE, 80, 30.0)  # 2400
    cross = candidate(TriggerType.CROSS_SELL, 40, 10.0)  # 400
    result = arbitrate([basket, cross, store])
    assert result.winner == store
    assert result.losers == (basket, cross)


def test_values_below_one_count_as_one() -> None:
    cheap = candidate(TriggerType.REACTIVATION, 70, 0.0)
    cheaper = candidate(TriggerType.CROSS_SELL, 40, 1.5)
    assert arbitrate([cheaper, cheap]).winner == cheap


def test_equal_scores_go_to_the_higher_priority() -> None:
    high = candidate(TriggerType.ABANDONED_BASKET, 100, 8.0)
    low = candidate(TriggerType.WEB_TO_STORE, 80, 10.0)
    assert arbitrate([low, high]).winner == high


def test_equal_scores_and_priorities_go_to_the_type_name_then_trigger_id() -> None:
    a = candidate(TriggerType.CROSS_SELL, 50, 10.0)
    b = candidate(TriggerType.REACTIVATION, 50, 10.0)
    assert arbitrate([b, a]).winner == a  # "cross_sell" < "reactivation"
    x = candidate(TriggerType.CROSS_SELL, 50, 10.0, cause="x")
    y = candidate(TriggerType.CROSS_SELL, 50, 10.0, cause="y")
    first = min(x, y, key=lambda c: c.trigger_id)
    assert arbitrate([x, y]).winner == first == arbitrate([y, x]).winner


def test_the_outcome_does_not_depend_on_the_input_order() -> None:
    pool = [
        candidate(TriggerType.ABANDONED_BASKET, 100, 10.0),
        candidate(TriggerType.WEB_TO_STORE, 80, 12.5),
        candidate(TriggerType.CROSS_SELL, 40, 25.0, cause="a"),
        candidate(TriggerType.CROSS_SELL, 40, 25.0, cause="b"),
        candidate(TriggerType.REACTIVATION, 100, 10.0),
    ]
    outcomes = {arbitrate(list(order)) for order in itertools.permutations(pool)}
    assert len(outcomes) == 1


def test_the_same_decision_twice_competes_once() -> None:
    one = candidate(TriggerType.CROSS_SELL, 40, 10.0)
    again = replace(one, decided_ms=5)
    other = candidate(TriggerType.REACTIVATION, 70, 1.0)
    result = arbitrate([one, again, other])
    assert result.winner == again
    assert result.losers == (other,)


def test_arbitration_is_per_person() -> None:
    mine = candidate(TriggerType.CROSS_SELL, 40, 10.0)
    theirs = candidate(TriggerType.CROSS_SELL, 40, 10.0, person=Identity.user("u-2"))
    with pytest.raises(ValueError):
        arbitrate([mine, theirs])


def test_candidates_compete_only_with_those_of_the_same_moment() -> None:
    early, late, also_late = (
        replace(candidate(TriggerType.CROSS_SELL, 40, 1.0, cause), decided_ms=at)
        for at, cause in ((1, "a"), (5, "b"), (5, "c"))
    )
    assert moments([late, early, also_late]) == [[early], [late, also_late]]
    assert moments([]) == []
