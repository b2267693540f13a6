"""The pieces of reason texts: durations in the rules file's units, UTC days and minutes."""

from __future__ import annotations

import pytest

from models.events import Product
from models.offers.texts import day_text, duration_text, place_text, product_label, time_text
from tests.unit.test_context_support import DAY, at_ms


@pytest.mark.parametrize(
    ("duration_ms", "text"),
    [
        (30 * 60_000, "30 min"),
        (DAY, "24 h"),  # one day reads as hours
        (3 * DAY, "3 days"),
        (90 * 60_000 + 1_500, "5401.5 s"),
        (0, "0 min"),
    ],
)
def test_durations_read_in_the_largest_whole_unit(duration_ms: int, text: str) -> None:
    assert duration_text(duration_ms) == text


def test_times_are_utc_days_and_minutes() -> None:
    assert day_text(at_ms(0)) == "2024-06-01"
    assert time_text(at_ms(5)) == "2024-06-01 12:05 UTC"


def test_a_product_is_named_by_its_name_and_id_when_it_has_a_name() -> None:
    assert product_label(Product("p1", name="Runner")) == "Runner (p1)"
    assert product_label(Product("p1")) == "p1"


def test_an_order_is_placed_at_a_till_or_online() -> None:
    assert place_text("store-001", "store") == "at the till in store-001"
    assert place_text(None, "mobile") == "online (mobile)"
