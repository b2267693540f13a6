"""The restock keys of web_to_store: shipped values, bounds, and errors that name the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from models.offers.rules import TriggerType
from models.offers.rules_file import DEFAULT_RULES_PATH, MAX_RESTOCK_PEOPLE, load_rules, parse_rules
from tests.unit.offers.rules_file_support import DAY, HOUR, delete, document, error_for, set_value

W2S = "triggers.web_to_store"


def test_the_shipped_file_reaches_500_viewers_of_the_last_7_days() -> None:
    rule = load_rules(DEFAULT_RULES_PATH).triggers[TriggerType.WEB_TO_STORE]
    assert (rule.restock_window_ms, rule.restock_max_people) == (7 * DAY, 500)


@pytest.mark.parametrize(("people", "window"), [(0, "1h"), (MAX_RESTOCK_PEOPLE, "3650d")])
def test_bounds_are_accepted(people: int, window: str) -> None:
    doc = document()
    doc["triggers"]["web_to_store"].update(restock_max_people=people, restock_window=window)
    rule = parse_rules(doc).triggers[TriggerType.WEB_TO_STORE]
    assert rule.restock_max_people == people
    assert rule.restock_window_ms == (HOUR if window == "1h" else 3650 * DAY)


def test_other_types_have_no_restock_keys() -> None:
    rules = parse_rules(document())
    for trigger_type, rule in rules.triggers.items():
        if trigger_type is not TriggerType.WEB_TO_STORE:
            assert rule.restock_window_ms == 0
        if trigger_type not in (TriggerType.WEB_TO_STORE, TriggerType.BACK_IN_STOCK):
            assert rule.restock_max_people == 0


def _bad(key: str, value: Any, fragment: str, table: str = W2S) -> tuple[Any, ...]:
    """A value of ``table.key`` that must be refused with a message holding ``fragment``."""
    return (set_value(f"{table}.{key}", value), f"{table}.{key}", fragment)


CASES: dict[str, tuple[Any, ...]] = {
    "missing window": (
        delete(f"{W2S}.restock_window"),
        f"{W2S}.restock_window",
        "needs min_views, window, restock_window and restock_max_people",
    ),
    "missing people": (
        delete(f"{W2S}.restock_max_people"),
        f"{W2S}.restock_max_people",
        "is missing",
    ),
    "zero window": _bad("restock_window", "0s", "longer than zero"),
    "window not a duration": _bad("restock_window", "a week", "is not a duration"),
    "negative people": _bad("restock_max_people", -1, "at least 0"),
    "too many people": _bad(
        "restock_max_people", MAX_RESTOCK_PEOPLE + 1, f"at most {MAX_RESTOCK_PEOPLE}"
    ),
    "people as text": _bad("restock_max_people", "500", "whole number"),
    "people as a fraction": _bad("restock_max_people", 2.5, "whole number"),
    "a type that does not restock": _bad(
        "restock_window", "7d", "does not use", table="triggers.browse_abandonment"
    ),
}


@pytest.mark.parametrize(("mutate", "field", "fragment"), list(CASES.values()), ids=list(CASES))
def test_invalid_restock_keys_name_the_field(
    mutate: Callable[[dict[str, Any]], None], field: str, fragment: str
) -> None:
    error = error_for(mutate)
    assert error.field == field
    assert fragment in str(error)
