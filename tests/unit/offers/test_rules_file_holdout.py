"""The optional holdout keys of a trigger: defaults, values, and field-path errors."""

from __future__ import annotations

from typing import Any

import pytest

from models.offers.holdout import Holdout
from models.offers.rules import TriggerType
from models.offers.rules_file import parse_rules
from tests.unit.offers.rules_file_support import DAY, HOUR, delete, document, error_for, set_value

CS = "triggers.cross_sell"


def parsed(**keys: Any) -> Holdout:
    doc = document()
    doc["triggers"]["cross_sell"].update(keys)
    return parse_rules(doc).triggers[TriggerType.CROSS_SELL].holdout


def test_a_rules_file_without_the_keys_holds_nobody_out() -> None:
    doc = document()
    for rule in doc["triggers"].values():
        rule.pop("holdout", None)
        rule.pop("conversion_window", None)
    for rule in parse_rules(doc).triggers.values():
        assert rule.holdout == Holdout(basis_points=0, conversion_window_ms=7 * DAY)


def test_a_percentage_becomes_basis_points() -> None:
    assert parsed(holdout=10).basis_points == 1_000
    assert parsed(holdout=2.5).basis_points == 250
    assert parsed(holdout=0.01).basis_points == 1
    assert parsed(holdout=100).basis_points == 10_000
    assert parsed(holdout=0).measured is False


def test_the_conversion_window_is_a_duration() -> None:
    assert parsed(conversion_window="36h").conversion_window_ms == 36 * HOUR
    assert parsed(conversion_window="90d").conversion_window_ms == 90 * DAY


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("holdout", -1, "percentage from 0 to 100"),
        ("holdout", 100.5, "percentage from 0 to 100"),
        ("holdout", "10%", "percentage from 0 to 100"),
        ("holdout", True, "percentage from 0 to 100"),
        ("holdout", 12.345, "more than two decimals"),
        ("conversion_window", "0s", "longer than zero"),
        ("conversion_window", "a week", "not a duration"),
        ("conversion_window", "91d", "longer than the maximum of 90d"),
        ("holdot", 10, 'did you mean "holdout"'),
    ],
)
def test_a_bad_value_names_its_field(key: str, value: Any, fragment: str) -> None:
    error = error_for(set_value(f"{CS}.{key}", value))
    assert error.field == f"{CS}.{key}"
    assert str(error).startswith(f"{CS}.{key}: ")
    assert fragment in str(error)


def test_the_shipped_file_shows_the_keys() -> None:
    for name, rule in document()["triggers"].items():
        assert "holdout" in rule, name
        assert "conversion_window" in rule, name
    # and they stay optional: a file written before them still loads
    doc = document()
    delete(f"{CS}.holdout")(doc)
    parse_rules(doc)
