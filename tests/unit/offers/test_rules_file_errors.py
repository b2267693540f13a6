"""One test per validation error: each names the offending field by its dotted path."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from models.offers.rules import OPTIONAL_TRIGGER_TYPES, TriggerType
from models.offers.rules_file import (
    RulesError,
    parse_rules,
)
from tests.unit.offers.rules_file_support import (
    delete,
    error_for,
    set_value,
)

# --------------------------------------------------------------------------- validation errors

T = "triggers"
AB = "triggers.abandoned_basket"

ERROR_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    # (id, mutation, field named, fragment of the message)
    ("unknown section", set_value("contact_presure", {}), "contact_presure", "did you mean"),
    (
        "unknown caps key",
        set_value("contact_pressure.per_month", 9),
        "contact_pressure.per_month",
        "unknown key",
    ),
    ("unknown quiet key", set_value("quiet_hours.days", []), "quiet_hours.days", "unknown key"),
    ("unknown trends key", set_value("trends.size", 3), "trends.size", "unknown key"),
    ("unknown trigger key", set_value(f"{AB}.colour", "red"), f"{AB}.colour", "unknown key"),
    (
        "typo in trigger key",
        set_value(f"{AB}.prority", 5),
        f"{AB}.prority",
        'did you mean "priority"',
    ),
    ("unknown offer key", set_value(f"{AB}.offer.price", 5), f"{AB}.offer.price", "unknown key"),
    (
        "threshold the type does not use",
        set_value(f"{AB}.lapse", "90d"),
        f"{AB}.lapse",
        "does not use",
    ),
    (
        "unknown trigger type",
        set_value(f"{T}.birthday", {}),
        f"{T}.birthday",
        "unknown trigger type",
    ),
    ("missing trigger key", delete(f"{AB}.cooldown"), f"{AB}.cooldown", "is missing"),
    ("missing offer", delete(f"{AB}.offer"), f"{AB}.offer", "is missing"),
    ("missing offer_id", delete(f"{AB}.offer.offer_id"), f"{AB}.offer.offer_id", "is missing"),
    (
        "missing browse min_views",
        delete(f"{T}.browse_abandonment.min_views"),
        f"{T}.browse_abandonment.min_views",
        "needs min_views and window",
    ),
    (
        "missing browse window",
        delete(f"{T}.browse_abandonment.window"),
        f"{T}.browse_abandonment.window",
        "is missing",
    ),
    (
        "missing web_to_store min_views",
        delete(f"{T}.web_to_store.min_views"),
        f"{T}.web_to_store.min_views",
        "is missing",
    ),
    (
        "missing web_to_store window",
        delete(f"{T}.web_to_store.window"),
        f"{T}.web_to_store.window",
        "is missing",
    ),
    (
        "missing reactivation lapse",
        delete(f"{T}.reactivation.lapse"),
        f"{T}.reactivation.lapse",
        "needs lapse",
    ),
    ("missing section", delete("quiet_hours"), "quiet_hours", "is missing"),
    (
        "section not a table",
        set_value("contact_pressure", 3),
        "contact_pressure",
        "must be a table",
    ),
    ("trigger not a table", set_value(f"{AB}", True), AB, "must be a table"),
    (
        "offer not a table",
        set_value(f"{AB}.offer", "basket-reminder-10"),
        f"{AB}.offer",
        "must be a table",
    ),
    ("priority bool", set_value(f"{AB}.priority", True), f"{AB}.priority", "not true"),
    ("priority text", set_value(f"{AB}.priority", "high"), f"{AB}.priority", "greater than 0"),
    ("priority zero", set_value(f"{AB}.priority", 0), f"{AB}.priority", "greater than 0"),
    ("priority negative", set_value(f"{AB}.priority", -1.5), f"{AB}.priority", "greater than 0"),
    (
        "priority infinite",
        set_value(f"{AB}.priority", math.inf),
        f"{AB}.priority",
        "greater than 0",
    ),
    ("priority nan", set_value(f"{AB}.priority", math.nan), f"{AB}.priority", "greater than 0"),
    ("enabled not bool", set_value(f"{AB}.enabled", 1), f"{AB}.enabled", "true or false"),
    (
        "delay not a duration",
        set_value(f"{AB}.delay", "30 minutes"),
        f"{AB}.delay",
        "is not a duration",
    ),
    ("delay a bare number", set_value(f"{AB}.delay", 30), f"{AB}.delay", "in quotes"),
    ("negative delay", set_value(f"{AB}.delay", "-30m"), f"{AB}.delay", "negative"),
    ("negative cooldown", set_value(f"{AB}.cooldown", "-1d"), f"{AB}.cooldown", "negative"),
    (
        "zero window",
        set_value(f"{T}.browse_abandonment.window", "0s"),
        f"{T}.browse_abandonment.window",
        "longer than zero",
    ),
    (
        "zero lapse",
        set_value(f"{T}.reactivation.lapse", "0d"),
        f"{T}.reactivation.lapse",
        "longer than zero",
    ),
    (
        "negative lapse",
        set_value(f"{T}.reactivation.lapse", "-90d"),
        f"{T}.reactivation.lapse",
        "negative",
    ),
    (
        "zero expiry",
        set_value(f"{AB}.offer.expires", "0s"),
        f"{AB}.offer.expires",
        "longer than zero",
    ),
    (
        "min_views zero",
        set_value(f"{T}.web_to_store.min_views", 0),
        f"{T}.web_to_store.min_views",
        "at least 1",
    ),
    (
        "min_views float",
        set_value(f"{T}.web_to_store.min_views", 2.5),
        f"{T}.web_to_store.min_views",
        "whole number",
    ),
    (
        "min_views bool",
        set_value(f"{T}.browse_abandonment.min_views", True),
        f"{T}.browse_abandonment.min_views",
        "whole number",
    ),
    (
        "empty offer_id",
        set_value(f"{AB}.offer.offer_id", " "),
        f"{AB}.offer.offer_id",
        "must not be empty",
    ),
    (
        "incentive not text",
        set_value(f"{AB}.offer.incentive", 10),
        f"{AB}.offer.incentive",
        "must be text",
    ),
    (
        "unknown channel",
        set_value(f"{AB}.channels", ["email", "fax"]),
        f"{AB}.channels",
        '"fax" is not a channel',
    ),
    (
        "channel not text",
        set_value(f"{AB}.channels", ["email", 3]),
        f"{AB}.channels",
        "is not a channel",
    ),
    (
        "channels not a list",
        set_value(f"{AB}.channels", "email"),
        f"{AB}.channels",
        "must be a list",
    ),
    (
        "duplicate channel",
        set_value(f"{AB}.channels", ["email", "push", "email"]),
        f"{AB}.channels",
        "listed twice",
    ),
    (
        "no channel while enabled",
        set_value(f"{AB}.channels", []),
        f"{AB}.channels",
        "set enabled = false",
    ),
    (
        "cap zero",
        set_value("contact_pressure.max_per_day", 0),
        "contact_pressure.max_per_day",
        "at least 1",
    ),
    (
        "cap bool",
        set_value("contact_pressure.max_per_day", True),
        "contact_pressure.max_per_day",
        "whole number",
    ),
    (
        "cap float",
        set_value("contact_pressure.max_per_week", 2.5),
        "contact_pressure.max_per_week",
        "whole number",
    ),
    (
        "cap text",
        set_value("contact_pressure.max_per_week", "3"),
        "contact_pressure.max_per_week",
        "whole number",
    ),
    (
        "week below day",
        set_value("contact_pressure.max_per_week", 0),
        "contact_pressure.max_per_week",
        "at least 1",
    ),
    (
        "week less than day",
        set_value("contact_pressure.max_per_day", 4),
        "contact_pressure.max_per_week",
        "less than contact_pressure.max_per_day",
    ),
    ("start out of range", set_value("quiet_hours.start", "25:00"), "quiet_hours.start", "HH:MM"),
    ("minute out of range", set_value("quiet_hours.end", "08:60"), "quiet_hours.end", "HH:MM"),
    ("start not a clock time", set_value("quiet_hours.start", "9pm"), "quiet_hours.start", "HH:MM"),
    (
        "start with seconds",
        set_value("quiet_hours.start", "21:00:00"),
        "quiet_hours.start",
        "HH:MM",
    ),
    ("start a number", set_value("quiet_hours.start", 21), "quiet_hours.start", "HH:MM"),
    (
        "start equals end",
        set_value("quiet_hours.end", "21:00"),
        "quiet_hours.end",
        "equals quiet_hours.start",
    ),
    (
        "unknown time zone",
        set_value("quiet_hours.timezone", "Mars/Olympus"),
        "quiet_hours.timezone",
        "not a known IANA time zone",
    ),
    (
        "time zone path",
        set_value("quiet_hours.timezone", "../../etc/passwd"),
        "quiet_hours.timezone",
        "not a known IANA time zone",
    ),
    (
        "time zone empty",
        set_value("quiet_hours.timezone", ""),
        "quiet_hours.timezone",
        "time zone name",
    ),
    (
        "time zone not text",
        set_value("quiet_hours.timezone", 1),
        "quiet_hours.timezone",
        "time zone name",
    ),
    (
        "quiet channel unknown",
        set_value("quiet_hours.channels", ["sms", "letter"]),
        "quiet_hours.channels",
        '"letter" is not a channel',
    ),
    (
        "quiet channel twice",
        set_value("quiet_hours.channels", ["sms", "sms"]),
        "quiet_hours.channels",
        "listed twice",
    ),
    (
        "cross_sell not a list",
        set_value("cross_sell.shoes", "socks"),
        "cross_sell.shoes",
        "must be a list",
    ),
    (
        "cross_sell empty name",
        set_value("cross_sell.shoes", ["socks", ""]),
        "cross_sell.shoes",
        "not a category name",
    ),
    (
        "cross_sell not text",
        set_value("cross_sell.shoes", ["socks", 7]),
        "cross_sell.shoes",
        "not a category name",
    ),
    (
        "cross_sell twice",
        set_value("cross_sell.shoes", ["socks", "socks"]),
        "cross_sell.shoes",
        "listed twice",
    ),
    (
        "cross_sell quoted key",
        set_value("cross_sell.running shoes", [1]),
        'cross_sell."running shoes"',
        "not a category name",
    ),
    (
        "cross_sell empty key",
        set_value("cross_sell.", ["socks"]),
        'cross_sell.""',
        "must not be empty",
    ),
    ("trends window zero", set_value("trends.window", "0s"), "trends.window", "longer than zero"),
    ("trends window negative", set_value("trends.window", "-1h"), "trends.window", "negative"),
    ("trends window 25h", set_value("trends.window", "25h"), "trends.window", "maximum of 24h"),
    (
        "trends window bad",
        set_value("trends.window", "an hour"),
        "trends.window",
        "is not a duration",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_invalid_rules_name_the_field(
    mutate: Callable[[dict[str, Any]], None], field: str, fragment: str
) -> None:
    error = error_for(mutate)
    assert error.field == field
    assert str(error).startswith(f"{field}: ") or str(error).startswith(f"{field} is missing")
    assert fragment in str(error)


@pytest.mark.parametrize(
    "trigger_type", [t for t in TriggerType if t not in OPTIONAL_TRIGGER_TYPES]
)
def test_every_trigger_type_must_be_present(trigger_type: TriggerType) -> None:
    error = error_for(delete(f"triggers.{trigger_type.value}"))
    assert str(error) == (
        f"triggers.{trigger_type.value} is missing; set enabled = false to turn it off"
    )
    assert error.field == f"triggers.{trigger_type.value}"


def test_the_document_must_be_a_table() -> None:
    with pytest.raises(RulesError, match="must be a table"):
        parse_rules([])  # type: ignore[arg-type]
