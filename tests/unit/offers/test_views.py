"""Views of a product within a rule's window, from the context's view times."""

from __future__ import annotations

from models.offers.rules import TriggerType
from models.offers.views import latest_qualifying_view, view_count, viewed_enough, views_within
from tests.unit.offers.support import look, trigger_rule
from tests.unit.test_context_support import DAY, at_ms, fold_all

CONTEXT = fold_all([look("v1", -25 * 60), look("v2", 0), look("v3", 10), look("v4", 5, "p2")])


def test_views_within_the_window_newest_first_and_none_after() -> None:
    assert views_within(CONTEXT, "p1", at_ms(10), DAY) == (at_ms(10), at_ms(0))
    assert views_within(CONTEXT, "p1", at_ms(5), DAY) == (at_ms(0),)
    assert views_within(CONTEXT, "nope", at_ms(10), DAY) == ()


def test_no_window_counts_every_view_ever() -> None:
    assert view_count(CONTEXT, "p1", at_ms(10), 0) == 3
    assert view_count(CONTEXT, "p1", at_ms(10), DAY) == 2


def test_products_viewed_enough_for_a_rule() -> None:
    twice_a_day = trigger_rule(TriggerType.WEB_TO_STORE, min_views=2, window_ms=DAY)
    assert [v.product_id for v in viewed_enough(CONTEXT, twice_a_day, at_ms(10), set())] == ["p1"]
    assert viewed_enough(CONTEXT, twice_a_day, at_ms(10), {"p1"}) == []
    once = trigger_rule(TriggerType.WEB_TO_STORE, min_views=1, window_ms=DAY)
    assert [v.product_id for v in viewed_enough(CONTEXT, once, at_ms(10), set())] == ["p1", "p2"]


def test_the_latest_view_that_reached_the_threshold_recently_enough() -> None:
    twice_a_day = trigger_rule(TriggerType.WEB_TO_STORE, min_views=2, window_ms=DAY)
    # p1 was viewed 25 h before 0, at 0 and at 10 min: only the view at 10 min had a
    # second one within its day.
    assert latest_qualifying_view(CONTEXT, "p1", twice_a_day, at_ms(60), DAY) == at_ms(10)
    assert latest_qualifying_view(CONTEXT, "p1", twice_a_day, at_ms(5), DAY) is None
    # Looking back only 30 minutes from 60 min: the qualifying view at 10 min is too old.
    assert latest_qualifying_view(CONTEXT, "p1", twice_a_day, at_ms(60), 30 * 60_000) is None
    assert latest_qualifying_view(CONTEXT, "p2", twice_a_day, at_ms(60), DAY) is None
