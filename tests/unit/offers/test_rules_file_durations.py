"""Durations in the rules file: "30m", "1h30m", and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.offers.rules_file import (
    RulesError,
    parse_duration_ms,
)
from tests.unit.offers.rules_file_support import (
    DAY,
    HOUR,
    MINUTE,
)

# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", 0),
        ("45s", 45_000),
        ("30m", 30 * MINUTE),
        ("24h", DAY),
        ("90d", 90 * DAY),
        ("500ms", 500),
        ("1h30m", 90 * MINUTE),
        ("1h 30m", 90 * MINUTE),
        ("2d12h", 60 * HOUR),
        ("1d2h3m4s5ms", DAY + 2 * HOUR + 3 * MINUTE + 4_000 + 5),
        ("90m", 90 * MINUTE),
        ("  30m ", 30 * MINUTE),
        ("3650d", 3650 * DAY),
    ],
)
def test_good_durations(text: str, expected: int) -> None:
    assert parse_duration_ms(text, "triggers.x.delay") == expected


@pytest.mark.parametrize(
    "text",
    [
        "30 minutes",
        "30minutes",
        "30",
        "",
        "   ",
        "m",
        "1.5h",
        "30 m",
        "30M",
        "1h1h",
        "30m1h",
        "h30",
        "1w",
        "+30m",
        "1_000s",
        "\u0663\u0660m",  # Arabic-Indic digits 3 and 0
        "PT30M",
        "1" * 5000 + "s",
    ],
)
def test_bad_durations_name_the_field(text: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_duration_ms(text, "triggers.abandoned_basket.delay")
    assert caught.value.field == "triggers.abandoned_basket.delay"
    assert str(caught.value).startswith("triggers.abandoned_basket.delay: ")


def test_bad_duration_message_shows_the_value_and_examples() -> None:
    with pytest.raises(RulesError) as caught:
        parse_duration_ms("30 minutes", "triggers.abandoned_basket.delay")
    assert str(caught.value) == (
        'triggers.abandoned_basket.delay: "30 minutes" is not a duration like "30m", "2h" or "45s"'
    )


@pytest.mark.parametrize("value", [30, 1.5, True, None, ["30m"]])
def test_duration_must_be_text(value: Any) -> None:
    with pytest.raises(RulesError, match=r"^trends\.window: must be a duration"):
        parse_duration_ms(value, "trends.window")


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(RulesError, match=r"^x\.cooldown: \"-30m\" is negative"):
        parse_duration_ms("-30m", "x.cooldown")


def test_absurdly_long_duration_is_rejected() -> None:
    with pytest.raises(RulesError, match=r"^x\.lapse: .*maximum"):
        parse_duration_ms("3651d", "x.lapse")


@given(
    parts=st.fixed_dictionaries(
        {},
        optional={
            "d": st.integers(0, 3000),
            "h": st.integers(0, 10_000),
            "m": st.integers(0, 10_000),
            "s": st.integers(0, 10_000),
            "ms": st.integers(0, 10_000),
        },
    ).filter(bool),
    separator=st.sampled_from(["", " "]),
)
def test_any_ordered_combination_of_units_parses_to_its_sum(
    parts: dict[str, int], separator: str
) -> None:
    unit_ms = {"d": DAY, "h": HOUR, "m": MINUTE, "s": 1000, "ms": 1}
    order = ["d", "h", "m", "s", "ms"]
    text = separator.join(f"{parts[unit]}{unit}" for unit in order if unit in parts)
    assert parse_duration_ms(text, "f") == sum(n * unit_ms[unit] for unit, n in parts.items())
