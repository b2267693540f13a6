"""Holdout groups: stable, in proportion, monotone in the percentage, one draw per type."""

from __future__ import annotations

from models.identity import Identity
from models.offers.holdout import BUCKETS, Group, Holdout, bucket, group_of, holdout_text
from models.offers.rules import TriggerType

PEOPLE = [Identity.user(f"loyalty-{n}") for n in range(20_000)]
CROSS_SELL = TriggerType.CROSS_SELL.value


def held_out(percent: float, trigger_type: str = CROSS_SELL) -> set[Identity]:
    holdout = Holdout(basis_points=round(percent * 100))
    return {p for p in PEOPLE if group_of(p, trigger_type, holdout) is Group.HOLDOUT}


def test_a_bucket_is_a_pinned_function_of_person_and_type() -> None:
    # Pinned values: a change of hash, salt or person key would move every group, and
    # must fail here rather than silently reshuffle a running experiment.
    assert bucket(Identity.user("loyalty-42"), CROSS_SELL) == 6592
    assert bucket(Identity.anonymous("cookie-42"), CROSS_SELL) == 3769
    assert bucket(Identity.user("loyalty-42"), TriggerType.ABANDONED_BASKET.value) == 3670


def test_the_same_person_always_lands_in_the_same_group() -> None:
    holdout = Holdout(basis_points=5_000)
    person = Identity.user("loyalty-7")
    assert len({group_of(Identity.user("loyalty-7"), CROSS_SELL, holdout) for _ in range(5)}) == 1
    assert group_of(person, CROSS_SELL, holdout) is group_of(person, CROSS_SELL, holdout)


def test_the_share_held_out_matches_the_percentage() -> None:
    for percent in (1, 10, 25, 50):
        share = len(held_out(percent)) / len(PEOPLE)
        # 20,000 draws: the standard error at 50 % is 0.35 points; 1.5 points is > 4 sigma.
        assert abs(share - percent / 100) < 0.015, (percent, share)


def test_raising_the_percentage_only_adds_people_to_the_holdout() -> None:
    previous: set[Identity] = set()
    for percent in (0, 0.5, 5, 5.01, 10, 30, 99.99, 100):
        now = held_out(percent)
        assert previous <= now, percent
        previous = now
    assert held_out(0) == set()
    assert held_out(100) == set(PEOPLE)


def test_each_type_draws_its_own_groups() -> None:
    basket = held_out(20, TriggerType.ABANDONED_BASKET.value)
    cross = held_out(20)
    overlap = len(basket & cross) / len(PEOPLE)
    assert abs(overlap - 0.04) < 0.01  # independent draws: 20 % of 20 %


def test_buckets_cover_the_whole_range() -> None:
    buckets = {bucket(p, CROSS_SELL) for p in PEOPLE}
    assert min(buckets) < 10
    assert max(buckets) < BUCKETS


def test_no_holdout_measures_nothing_and_sends_everyone() -> None:
    assert not Holdout().measured
    assert held_out(0) == set()
    assert Holdout(basis_points=1).measured


def test_a_held_out_decision_says_why_in_words() -> None:
    text = holdout_text(CROSS_SELL, Holdout(basis_points=250))
    assert "would have been sent" in text and "cross_sell" in text and "2.5%" in text
