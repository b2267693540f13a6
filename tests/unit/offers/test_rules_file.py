"""config/offers.toml and its validator: defaults, durations, and one test per error.

Every error must name the offending field by its dotted path, so a marketer can
find the line to fix. Test documents are the shipped file, loaded with tomllib and
modified in a deep copy.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.offers.rules import ContactChannel, OfferRules, TriggerType
from models.offers.rules_file import (
    DEFAULT_RULES_PATH,
    RulesError,
    load_rules,
    parse_duration_ms,
    parse_rules,
)

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

with DEFAULT_RULES_PATH.open("rb") as _handle:
    DEFAULT_DOCUMENT: dict[str, Any] = tomllib.load(_handle)


def document() -> dict[str, Any]:
    """A fresh deep copy of the shipped rules, safe to modify."""
    return copy.deepcopy(DEFAULT_DOCUMENT)


def _get(doc: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = doc
    for part in path.split("."):
        node = node[part]
    assert isinstance(node, dict)
    return node


def set_value(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    parent, _, key = path.rpartition(".")

    def mutate(doc: dict[str, Any]) -> None:
        (_get(doc, parent) if parent else doc)[key] = value

    return mutate


def delete(path: str) -> Callable[[dict[str, Any]], None]:
    parent, _, key = path.rpartition(".")

    def mutate(doc: dict[str, Any]) -> None:
        del (_get(doc, parent) if parent else doc)[key]

    return mutate


def error_for(mutate: Callable[[dict[str, Any]], None]) -> RulesError:
    doc = document()
    mutate(doc)
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    return caught.value


# --------------------------------------------------------------------------- the shipped file


def test_default_path_is_the_repository_config_file() -> None:
    expected = Path(__file__).resolve().parents[3] / "config" / "offers.toml"
    assert expected == DEFAULT_RULES_PATH
    assert DEFAULT_RULES_PATH.is_file()


def test_shipped_file_has_the_product_defaults() -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    assert isinstance(rules, OfferRules)
    assert set(rules.triggers) == set(TriggerType)
    assert all(rule.enabled for rule in rules.triggers.values())

    basket = rules.triggers[TriggerType.ABANDONED_BASKET]
    assert basket.delay_ms == 30 * MINUTE
    assert basket.cooldown_ms == DAY
    assert basket.priority == 100.0
    assert basket.channels == (ContactChannel.EMAIL, ContactChannel.PUSH, ContactChannel.ADS)
    assert basket.offer.offer_id == "basket-reminder-10"
    assert basket.offer.incentive == "10% off the items in your basket"
    assert basket.offer.expires_after_ms == 48 * HOUR

    browse = rules.triggers[TriggerType.BROWSE_ABANDONMENT]
    assert (browse.min_views, browse.window_ms) == (3, DAY)
    assert (browse.delay_ms, browse.cooldown_ms, browse.priority) == (HOUR, 72 * HOUR, 60.0)

    web_to_store = rules.triggers[TriggerType.WEB_TO_STORE]
    assert (web_to_store.min_views, web_to_store.window_ms) == (2, DAY)
    assert (web_to_store.delay_ms, web_to_store.cooldown_ms) == (0, 7 * DAY)
    assert web_to_store.channels[0] is ContactChannel.PUSH

    cross_sell = rules.triggers[TriggerType.CROSS_SELL]
    assert (cross_sell.delay_ms, cross_sell.cooldown_ms, cross_sell.priority) == (0, 7 * DAY, 40.0)

    reactivation = rules.triggers[TriggerType.REACTIVATION]
    assert reactivation.lapse_ms == 90 * DAY
    assert (reactivation.cooldown_ms, reactivation.priority) == (30 * DAY, 70.0)
    assert len(reactivation.channels) == 4

    assert (rules.caps.per_day, rules.caps.per_week) == (1, 3)
    assert rules.quiet_hours.start == time(21, 0)
    assert rules.quiet_hours.end == time(8, 0)
    assert rules.quiet_hours.timezone == "Europe/Paris"
    assert rules.quiet_hours.channels == (ContactChannel.SMS, ContactChannel.PUSH)
    assert rules.trend_window_ms == HOUR
    assert rules.cross_sell["shoes"] == ("socks", "bags")


def test_cross_sell_map_covers_the_demo_catalogue() -> None:
    from streams.local.demo.catalogue import PRODUCTS

    categories = {product.category for product in PRODUCTS}
    rules = load_rules(DEFAULT_RULES_PATH)
    assert set(rules.cross_sell) == categories
    for complements in rules.cross_sell.values():
        assert complements
        assert set(complements) <= categories


def test_parsing_does_not_modify_the_document() -> None:
    doc = document()
    parse_rules(doc)
    assert doc == DEFAULT_DOCUMENT


def test_offer_as_sub_table_is_the_same_as_inline(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    inline = (
        'offer = { offer_id = "basket-reminder-10", '
        'incentive = "10% off the items in your basket", expires = "48h" }'
    )
    assert inline in text
    sub_table = (
        "\n[triggers.abandoned_basket.offer]\n"
        'offer_id = "basket-reminder-10"\n'
        'incentive = "10% off the items in your basket"\n'
        'expires = "48h"\n'
    )
    path = tmp_path / "offers.toml"
    path.write_text(text.replace(inline, "") + sub_table, encoding="utf-8")
    assert load_rules(path) == load_rules(DEFAULT_RULES_PATH)


def test_a_disabled_trigger_is_not_returned_by_rule() -> None:
    doc = document()
    doc["triggers"]["reactivation"]["enabled"] = False
    doc["triggers"]["reactivation"]["channels"] = []  # allowed while disabled
    rules = parse_rules(doc)
    assert rules.rule(TriggerType.REACTIVATION) is None
    assert rules.triggers[TriggerType.REACTIVATION].channels == ()
    assert rules.rule(TriggerType.ABANDONED_BASKET) is not None


def test_priority_may_be_a_float_and_quiet_channels_may_be_empty() -> None:
    doc = document()
    doc["triggers"]["cross_sell"]["priority"] = 12.5
    doc["quiet_hours"]["channels"] = []
    doc["quiet_hours"]["start"] = time(22, 30)  # a TOML local time works too
    doc["quiet_hours"]["end"] = "7:00"
    rules = parse_rules(doc)
    assert rules.triggers[TriggerType.CROSS_SELL].priority == 12.5
    assert rules.quiet_hours.channels == ()
    assert (rules.quiet_hours.start, rules.quiet_hours.end) == (time(22, 30), time(7, 0))


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


@pytest.mark.parametrize("trigger_type", list(TriggerType))
def test_every_trigger_type_must_be_present(trigger_type: TriggerType) -> None:
    error = error_for(delete(f"triggers.{trigger_type.value}"))
    assert str(error) == (
        f"triggers.{trigger_type.value} is missing; set enabled = false to turn it off"
    )
    assert error.field == f"triggers.{trigger_type.value}"


def test_the_document_must_be_a_table() -> None:
    with pytest.raises(RulesError, match="must be a table"):
        parse_rules([])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- files


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "offers.toml"
    path.write_text('[trends]\nwindow = "1h"\n\n[contact_pressure]\nmax_per_day = = 1\n')
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 5, column ")
    assert "not valid TOML" in message
    assert caught.value.field is None


def test_validation_error_from_a_file_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "offers.toml"
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    path.write_text(text.replace('delay = "30m"', 'delay = "30 minutes"', 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(str(path))
    assert str(caught.value) == (
        f'{path}: triggers.abandoned_basket.delay: "30 minutes" is not a duration like '
        '"30m", "2h" or "45s"'
    )
    assert caught.value.field == "triggers.abandoned_basket.delay"


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(RulesError, match="cannot read the offer rules file"):
        load_rules(path)


def test_file_that_is_not_utf8_is_a_rules_error(tmp_path: Path) -> None:
    path = tmp_path / "offers.toml"
    path.write_bytes(b'[trends]\nwindow = "\xff"\n')
    with pytest.raises(RulesError, match=str(path)):
        load_rules(path)


# --------------------------------------------------------------------------- properties


def _required_paths(node: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key of the shipped document, except the categories of [cross_sell]
    (they are data: any category may be added or removed)."""
    paths: list[str] = []
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.append(path)
        if isinstance(value, dict) and path != "cross_sell":
            paths.extend(_required_paths(value, path))
    return paths


REQUIRED_PATHS = _required_paths(DEFAULT_DOCUMENT)


def test_required_paths_cover_every_section_and_trigger_key() -> None:
    assert "triggers.reactivation.lapse" in REQUIRED_PATHS
    assert "triggers.abandoned_basket.offer.expires" in REQUIRED_PATHS
    assert "cross_sell" in REQUIRED_PATHS
    assert "cross_sell.shoes" not in REQUIRED_PATHS


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(REQUIRED_PATHS), disable=st.booleans())
def test_deleting_any_required_key_names_it(path: str, disable: bool) -> None:
    doc = document()
    if disable:  # a disabled trigger still needs every key
        for trigger in doc["triggers"].values():
            trigger["enabled"] = False
    delete(path)(doc)
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    assert caught.value.field == path
    assert path in str(caught.value)
    assert "missing" in str(caught.value)


@settings(max_examples=100)
@given(paths=st.lists(st.sampled_from(REQUIRED_PATHS), min_size=2, max_size=6, unique=True))
def test_deleting_several_keys_names_one_of_them(paths: list[str]) -> None:
    doc = document()
    deleted: list[str] = []
    for path in paths:
        parent = path.rpartition(".")[0]
        if any(parent == gone or parent.startswith(gone + ".") for gone in deleted):
            continue  # already gone with its parent
        delete(path)(doc)
        deleted.append(path)
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    assert caught.value.field in deleted


def _is_table(path: str) -> bool:
    node: Any = DEFAULT_DOCUMENT
    for part in path.split(".") if path else []:
        node = node[part]
    return isinstance(node, dict)


TABLES = [path for path in ["", *REQUIRED_PATHS] if path != "cross_sell" and _is_table(path)]


@settings(max_examples=200)
@given(
    table=st.sampled_from(TABLES),
    key=st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True),
)
def test_any_unknown_key_is_named(table: str, key: str) -> None:
    doc = document()
    target = _get(doc, table) if table else doc
    if key in target or (table == "triggers" and key in {t.value for t in TriggerType}):
        return
    target[key] = 1
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    field = f"{table}.{key}" if table else key
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_readme_documents_every_field() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Offer rules\n", 1)[1].split("\n## ", 1)[0]
    assert "OFFER_RULES_PATH" in section
    for path in REQUIRED_PATHS:
        parts = path.split(".")
        if len(parts) < 2 or parts[-1] in {"offer", *(t.value for t in TriggerType)}:
            continue  # sections and tables, not fields
        generic = ".".join(["triggers", "<type>", *parts[2:]]) if parts[0] == "triggers" else path
        assert f"| `{path}` |" in section or f"| `{generic}` |" in section, path
    assert "| `cross_sell.<category>` |" in section
    for trigger_type in TriggerType:
        assert f"| `{trigger_type.value}` |" in section
