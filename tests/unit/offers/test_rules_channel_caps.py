"""The optional keys of issue #14: per-channel caps and exempt_from_caps, validated with
field-path errors, and absent from a file written before them."""

from __future__ import annotations

from typing import Any

import pytest

from models.offers.rules import ChannelCaps, TriggerType
from models.offers.rules_file import RulesError, parse_rules
from tests.unit.offers.rules_file_support import delete, document, error_for, set_value

CH = "contact_pressure.channels"


def test_the_shipped_file_caps_sms_at_one_a_week_and_exempts_nothing() -> None:
    rules = parse_rules(document())
    assert rules.caps.channels == {"sms": ChannelCaps(per_day=None, per_week=1)}
    assert rules.caps.exempt_types == frozenset()
    assert not any(rule.exempt_from_caps for rule in rules.triggers.values())


def test_a_file_written_before_the_optional_keys_still_loads() -> None:
    doc = document()
    delete(CH)(doc)
    delete("triggers.reactivation.exempt_from_caps")(doc)
    rules = parse_rules(doc)
    assert rules.caps.channels == {}
    assert rules.caps.exempt_types == frozenset()


def test_channel_caps_and_exemptions_are_read() -> None:
    doc = document()
    doc["contact_pressure"]["channels"] = {
        "sms": {"max_per_day": 1, "max_per_week": 2},
        "push": {"max_per_day": 3},
    }
    doc["triggers"]["cross_sell"]["exempt_from_caps"] = True
    rules = parse_rules(doc)
    assert rules.caps.channels == {"sms": ChannelCaps(1, 2), "push": ChannelCaps(3, None)}
    assert rules.caps.exempt_types == frozenset({"cross_sell"})
    assert rules.triggers[TriggerType.CROSS_SELL].exempt_from_caps


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        (f"{CH}.fax", {"max_per_week": 1}, f"{CH}.fax", "unknown channel"),
        (f"{CH}.smss", {"max_per_week": 1}, f"{CH}.smss", "did you mean"),
        (f"{CH}.sms", {}, f"{CH}.sms", "set max_per_day, max_per_week or both"),
        (f"{CH}.sms", 1, f"{CH}.sms", "table"),
        (f"{CH}.sms.max_per_month", 1, f"{CH}.sms.max_per_month", "unknown key"),
        (f"{CH}.sms.max_per_week", 0, f"{CH}.sms.max_per_week", "at least 1"),
        (f"{CH}.sms.max_per_week", "1", f"{CH}.sms.max_per_week", "whole number"),
        (f"{CH}.sms.max_per_day", 2, f"{CH}.sms.max_per_week", "less than"),
        (CH, ["sms"], CH, "table"),
        (
            "triggers.reactivation.exempt_from_caps",
            "yes",
            "triggers.reactivation.exempt_from_caps",
            "true or false",
        ),
        (
            "triggers.cross_sell.exempt_from_caps",
            1,
            "triggers.cross_sell.exempt_from_caps",
            "true or false",
        ),
        (
            "triggers.cross_sell.exempt_from_cap",
            True,
            "triggers.cross_sell.exempt_from_cap",
            "did you mean",
        ),
    ],
)
def test_each_mistake_names_its_field(path: str, value: Any, field: str, fragment: str) -> None:
    error = error_for(set_value(path, value))
    assert error.field == field
    assert str(error).startswith(f"{field}")
    assert fragment in str(error)


def test_errors_are_raised_before_anything_is_returned() -> None:
    doc = document()
    doc["contact_pressure"]["channels"]["sms"]["max_per_week"] = -1
    with pytest.raises(RulesError):
        parse_rules(doc)
