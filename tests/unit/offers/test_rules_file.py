"""config/offers.toml: the shipped file, its loading from disk, and its documentation.

Every error must name the offending field by its dotted path, so a marketer can
find the line to fix. Test documents are the shipped file, loaded with tomllib and
modified in a deep copy.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from models.offers.rules import ContactChannel, OfferRules, TriggerType
from models.offers.rules_file import (
    DEFAULT_RULES_PATH,
    RulesError,
    load_rules,
    parse_rules,
)
from tests.unit.offers.rules_file_support import (
    DAY,
    DEFAULT_DOCUMENT,
    HOUR,
    MINUTE,
    document,
)

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
