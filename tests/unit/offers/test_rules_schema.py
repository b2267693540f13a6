"""The JSON Schema of the rules file (config/offers.schema.json) against the validator,
on the same good and bad files: the schema refuses what the worker refuses, at the same
field, apart from the few checks listed in ``VALIDATOR_ONLY`` and ``SCHEMA_STRICTER``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import time
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.offers.rule_values import RulesError, join, parse_duration_ms
from models.offers.rules_file import DEFAULT_RULES_PATH, parse_rules
from models.offers.rules_schema import (
    DURATION_PATTERN,
    SCHEMA_STRICTER,
    VALIDATOR_ONLY,
    schema_text,
)
from tests.unit.offers.rules_file_support import delete, document, set_value
from tests.unit.offers.test_rules_file_errors import ERROR_CASES

SCHEMA_PATH = DEFAULT_RULES_PATH.with_name("offers.schema.json")
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
Mutation = Callable[[dict[str, Any]], None]


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Dotted paths of the schema's complaints, as the validator names fields."""
    paths = []
    for error in VALIDATOR.iter_errors(doc):
        path = ""
        for part in error.absolute_path:
            path = join(path, str(part))
        paths.append(path)
    return paths


def mutated(*mutations: Mutation) -> dict[str, Any]:
    doc = document()
    for mutate in mutations:
        mutate(doc)
    return doc


def test_the_checked_in_schema_is_the_one_the_module_builds() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), (
        "regenerate it: .venv/bin/python -m models.offers.rules_schema > config/offers.schema.json"
    )


def test_the_schema_is_a_valid_draft_7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_the_shipped_file_names_the_schema_for_editors() -> None:
    first_line = DEFAULT_RULES_PATH.read_text().splitlines()[0]
    assert first_line == "#:schema ./offers.schema.json"


GOOD: list[tuple[str, list[Mutation]]] = [
    ("shipped", []),
    (
        "disabled trigger with no channel",
        [
            set_value("triggers.cross_sell.enabled", False),
            set_value("triggers.cross_sell.channels", []),
        ],
    ),
    (
        "combined durations",
        [
            set_value("triggers.abandoned_basket.delay", "1h30m"),
            set_value("triggers.abandoned_basket.cooldown", "2d 12h"),
            set_value("triggers.abandoned_basket.offer.expires", "1s500ms"),
        ],
    ),
    ("zero delay", [set_value("triggers.reactivation.delay", "0s")]),
    ("quiet hours off", [set_value("quiet_hours.channels", [])]),
    ("quiet hours spaced", [set_value("quiet_hours.start", " 7:05 ")]),
    ("float priority", [set_value("triggers.cross_sell.priority", 0.5)]),
    ("empty cross-sell", [set_value("cross_sell", {})]),
    ("no identity section", [delete("identity")]),
    ("no channel caps", [delete("contact_pressure.channels")]),
    ("no exemption key", [delete("triggers.reactivation.exempt_from_caps")]),
    ("an exempt type", [set_value("triggers.cross_sell.exempt_from_caps", True)]),
    ("a holdout to the hundredth", [set_value("triggers.cross_sell.holdout", 12.34)]),
    (
        "no holdout keys",
        [
            delete("triggers.reactivation.holdout"),
            delete("triggers.reactivation.conversion_window"),
        ],
    ),
    (
        "a daily channel cap only",
        [set_value("contact_pressure.channels", {"push": {"max_per_day": 2}})],
    ),
    ("no back_in_stock table", [delete("triggers.back_in_stock")]),
    (
        "identity trusting nothing",
        [
            set_value("identity.trusted_channels", []),
            set_value("identity.trusted_sources", []),
        ],
    ),
    ("restock reaches nobody", [set_value("triggers.web_to_store.restock_max_people", 0)]),
    (
        "weekly cap equals daily",
        [
            set_value("contact_pressure.max_per_day", 3),
            set_value("contact_pressure.max_per_week", 3),
        ],
    ),
]


@pytest.mark.parametrize("mutations", [case[1] for case in GOOD], ids=[case[0] for case in GOOD])
def test_good_files_pass_both(mutations: list[Mutation]) -> None:
    doc = mutated(*mutations)
    parse_rules(doc)
    assert schema_errors(doc) == []


# ERROR_CASES whose check only the validator makes (each one of VALIDATOR_ONLY).
NOT_IN_SCHEMA = {
    "trends window 25h",
    "priority nan",
    "week less than day",
    "start equals end",
    "unknown time zone",
    "time zone path",
}

BAD: list[tuple[str, Mutation]] = [
    (case_id, mutate)
    for case_id, mutate, _field, _fragment in ERROR_CASES
    if case_id not in NOT_IN_SCHEMA
] + [
    ("missing section", delete("trends")),
    ("missing trigger", delete("triggers.reactivation")),
    ("missing key", delete("triggers.cross_sell.cooldown")),
    ("missing threshold", delete("triggers.browse_abandonment.min_views")),
    ("missing offer key", delete("triggers.cross_sell.offer.expires")),
    ("threshold of another kind", set_value("triggers.cross_sell.lapse", "90d")),
    ("unknown trigger type", set_value("triggers.birthday", {})),
    ("unknown channel", set_value("triggers.cross_sell.channels", ["fax"])),
    ("channel twice", set_value("triggers.cross_sell.channels", ["email", "email"])),
    ("enabled without channel", set_value("triggers.cross_sell.channels", [])),
    ("enabled as text", set_value("triggers.cross_sell.enabled", "yes")),
    ("priority zero", set_value("triggers.cross_sell.priority", 0)),
    ("priority as text", set_value("triggers.cross_sell.priority", "high")),
    ("priority true", set_value("triggers.cross_sell.priority", True)),
    ("priority infinite", set_value("triggers.cross_sell.priority", math.inf)),
    ("minutes spelt out", set_value("triggers.abandoned_basket.delay", "30 minutes")),
    ("units out of order", set_value("triggers.abandoned_basket.delay", "30m1h")),
    ("unit twice", set_value("triggers.abandoned_basket.delay", "1h1h")),
    ("duration as number", set_value("triggers.abandoned_basket.delay", 30)),
    ("negative duration", set_value("triggers.abandoned_basket.cooldown", "-1h")),
    ("empty duration", set_value("triggers.abandoned_basket.cooldown", " ")),
    ("zero expiry", set_value("triggers.cross_sell.offer.expires", "0s")),
    ("zero lapse", set_value("triggers.reactivation.lapse", "0m")),
    ("blank incentive", set_value("triggers.cross_sell.offer.incentive", "  ")),
    ("min views zero", set_value("triggers.web_to_store.min_views", 0)),
    ("restock too many", set_value("triggers.web_to_store.restock_max_people", 5001)),
    ("daily cap zero", set_value("contact_pressure.max_per_day", 0)),
    ("quiet start 24:00", set_value("quiet_hours.start", "24:00")),
    ("quiet start 9pm", set_value("quiet_hours.start", "9pm")),
    ("blank time zone", set_value("quiet_hours.timezone", "")),
    ("cross-sell not a list", set_value("cross_sell.shoes", "socks")),
    ("cross-sell blank category", set_value("cross_sell.shoes", [" "])),
    ("cross-sell twice", set_value("cross_sell.shoes", ["socks", "socks"])),
    ("section not a table", set_value("contact_pressure", 3)),
    ("identity channel unknown", set_value("identity.trusted_channels", ["browser"])),
    ("identity source blank", set_value("identity.trusted_sources", [" "])),
    ("identity source twice", set_value("identity.trusted_sources", ["a", "a"])),
    ("identity key missing", delete("identity.trusted_sources")),
    ("identity unknown key", set_value("identity.trust_all", True)),
    ("back_in_stock window zero", set_value("triggers.back_in_stock.window", "0s")),
    (
        "channel cap of a channel that does not exist",
        set_value("contact_pressure.channels.fax", {"max_per_week": 1}),
    ),
    ("channel cap empty", set_value("contact_pressure.channels.sms", {})),
    ("channel cap zero", set_value("contact_pressure.channels.sms", {"max_per_week": 0})),
    ("channel cap unknown key", set_value("contact_pressure.channels.sms", {"per_month": 2})),
    ("exempt as text", set_value("triggers.reactivation.exempt_from_caps", "yes")),
    ("holdout over 100", set_value("triggers.cross_sell.holdout", 101)),
    ("holdout negative", set_value("triggers.cross_sell.holdout", -1)),
    ("holdout as text", set_value("triggers.cross_sell.holdout", "10%")),
    ("conversion window zero", set_value("triggers.cross_sell.conversion_window", "0s")),
]


@pytest.mark.parametrize("mutate", [case[1] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_files_fail_both_at_the_field_the_validator_names(mutate: Mutation) -> None:
    doc = mutated(mutate)
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    field = re.sub(r"\[(\d+)\]", r".\1", caught.value.field or "")  # list items
    found = schema_errors(doc)
    assert found, f"the schema accepts what the worker refuses: {caught.value}"
    # The schema reports at the field, at the table holding it (a missing or unknown
    # key is the table's error in JSON Schema), or at the item of a list in it.
    assert any(
        path == field or field.startswith(f"{path}.") or path.startswith(f"{field}.") or not path
        for path in found
    ), (found, field)


VALIDATOR_ONLY_CASES: list[tuple[str, Mutation]] = [
    ("weekly below daily", set_value("contact_pressure.max_per_week", 0 + 1)),
    ("quiet window empty", set_value("quiet_hours.end", "21:00")),
    ("unknown time zone", set_value("quiet_hours.timezone", "Mars/Olympus_Mons")),
    ("trends window 25h", set_value("trends.window", "25h")),
    ("duration over ten years", set_value("triggers.reactivation.cooldown", "3651d")),
    ("priority nan", set_value("triggers.cross_sell.priority", math.nan)),
    ("min views float", set_value("triggers.web_to_store.min_views", 2.0)),
    ("holdout of three decimals", set_value("triggers.cross_sell.holdout", 12.345)),
    ("conversion window of 91 days", set_value("triggers.cross_sell.conversion_window", "91d")),
]


def test_each_validator_only_check_is_named_and_tested() -> None:
    assert len(VALIDATOR_ONLY_CASES) == len(VALIDATOR_ONLY)


@pytest.mark.parametrize(
    "mutate", [case[1] for case in VALIDATOR_ONLY_CASES], ids=[c[0] for c in VALIDATOR_ONLY_CASES]
)
def test_what_only_the_validator_checks(mutate: Mutation) -> None:
    doc = mutated(set_value("contact_pressure.max_per_day", 2), mutate)
    with pytest.raises(RulesError):
        parse_rules(doc)
    assert schema_errors(doc) == []


SCHEMA_STRICTER_CASES: list[tuple[str, Mutation]] = [
    ("minus zero", set_value("triggers.cross_sell.delay", "-0s")),
    ("TOML local time", set_value("quiet_hours.start", time(22, 0))),
]


def test_each_stricter_spelling_is_named_and_tested() -> None:
    assert len(SCHEMA_STRICTER_CASES) == len(SCHEMA_STRICTER)


@pytest.mark.parametrize(
    "mutate", [case[1] for case in SCHEMA_STRICTER_CASES], ids=[c[0] for c in SCHEMA_STRICTER_CASES]
)
def test_what_only_the_schema_refuses(mutate: Mutation) -> None:
    doc = mutated(mutate)
    parse_rules(doc)
    assert schema_errors(doc) != []


_DURATIONS = st.lists(
    st.sampled_from(["0", "1", "30", "007", "d", "h", "m", "s", "ms", " ", "-", "x", "minutes"]),
    max_size=6,
).map("".join)


@given(_DURATIONS)
def test_the_duration_pattern_accepts_exactly_what_the_validator_does(text: str) -> None:
    try:
        parse_duration_ms(text, "f")
        accepted = True
    except RulesError as error:
        accepted = False
        if "maximum" in str(error):
            return  # VALIDATOR_ONLY: the length limit
    if text.strip().startswith("-") and accepted:
        return  # SCHEMA_STRICTER: "-0s"
    assert (jsonschema.Draft7Validator({"pattern": DURATION_PATTERN}).is_valid(text)) == accepted
