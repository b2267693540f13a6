"""Read and validate the marketer's offer rules file (``config/offers.toml``).

The file is data a person edits by hand, so validation is strict and
all-or-nothing: :func:`parse_rules` either returns a complete, frozen
:class:`~models.offers.rules.OfferRules` or raises :class:`RulesError` whose
message names the offending field by its dotted path, e.g.::

    triggers.abandoned_basket.delay: "30 minutes" is not a duration like "30m", "2h" or "45s"

Unknown keys are errors (a misspelt ``prority`` must not silently fall back to a
default), every key shown in the shipped file is required but the optional ones
(:mod:`.rules_channel_caps`; a trigger's ``holdout`` and ``conversion_window``), and
every one of the first five trigger types must be present (``enabled = false`` turns
one off).

Durations are written as text: ``"45s"``, ``"30m"``, ``"24h"``, ``"90d"``,
``"500ms"``, or combinations, largest unit first: ``"1h30m"``, ``"2d 12h"``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from models.offers import rule_values as values
from models.offers.holdout import BUCKETS, MAX_CONVERSION_WINDOW_MS, Holdout
from models.offers.identity_rules import SECTION as IDENTITY_SECTION
from models.offers.identity_rules import parse_identity
from models.offers.kinds import KINDS
from models.offers.rule_values import MAX_DURATION_MS, RulesError, parse_duration_ms
from models.offers.rules import (
    MAX_TREND_WINDOW_MS,
    OPTIONAL_TRIGGER_TYPES,
    ContactCaps,
    OfferRules,
    OfferTemplate,
    QuietHours,
    TriggerRule,
    TriggerType,
)
from models.offers.rules_channel_caps import EXEMPT_KEY, parse_channel_caps, parse_exempt

__all__ = [
    "DEFAULT_RULES_PATH",
    "MAX_DURATION_MS",
    "RulesError",
    "load_rules",
    "parse_duration_ms",
    "parse_rules",
    "parse_rules_file",
    "read_rules_file",
    "rules_version",
]

#: The rules file shipped with the repository.
DEFAULT_RULES_PATH: Path = Path(__file__).resolve().parents[2] / "config" / "offers.toml"

#: The sections every rules file has (the schema requires the same).
SECTIONS = ("contact_pressure", "quiet_hours", "trends", "cross_sell", "triggers")
# Sections added after the first release: a file written before them still loads.
_OPTIONAL_SECTIONS = (IDENTITY_SECTION,)
_CAPS_KEYS = ("max_per_day", "max_per_week")
_QUIET_KEYS = ("start", "end", "timezone", "channels")
_TRENDS_KEYS = ("window",)
_TRIGGER_KEYS = ("enabled", "priority", "delay", "cooldown", "channels", "offer")
_OFFER_KEYS = ("offer_id", "incentive", "expires")
#: Optional on every trigger (defaults in ``Holdout``): an existing file keeps working.
_HOLDOUT_KEYS = ("holdout", "conversion_window")
#: Each re-evaluated person costs a context read and a decision in the restock's batch,
#: so one restock may not make a batch unboundedly long.
MAX_RESTOCK_PEOPLE = 5_000


def parse_rules(document: Mapping[str, Any]) -> OfferRules:
    """Validate a parsed rules document (e.g. from :func:`tomllib.load`) into
    :class:`OfferRules`, durations in milliseconds. Raises :class:`RulesError` on the
    first problem found; nothing is returned half-built."""
    root = values.table(document, "")
    values.check_keys(root, "", SECTIONS + _OPTIONAL_SECTIONS, SECTIONS, what="section")
    caps = _parse_caps(
        values.table(root["contact_pressure"], "contact_pressure"), "contact_pressure"
    )
    quiet_hours = _parse_quiet_hours(
        values.table(root["quiet_hours"], "quiet_hours"), "quiet_hours"
    )
    trends = values.table(root["trends"], "trends")
    values.check_keys(trends, "trends", _TRENDS_KEYS, _TRENDS_KEYS)
    trend_window_ms = values.positive_duration(trends["window"], "trends.window")
    if trend_window_ms > MAX_TREND_WINDOW_MS:
        raise RulesError(
            f"trends.window: {values.show(trends['window'])} is longer than the maximum of 24h",
            "trends.window",
        )
    cross_sell = _parse_cross_sell(values.table(root["cross_sell"], "cross_sell"), "cross_sell")
    triggers = _parse_triggers(values.table(root["triggers"], "triggers"), "triggers")
    exempt = frozenset(t.value for t, rule in triggers.items() if rule.exempt_from_caps)
    rules = OfferRules(
        triggers=triggers,
        caps=replace(caps, exempt_types=exempt),
        quiet_hours=quiet_hours,
        cross_sell=cross_sell,
        trend_window_ms=trend_window_ms,
    )
    if IDENTITY_SECTION in root:
        identity = values.table(root[IDENTITY_SECTION], IDENTITY_SECTION)
        rules = replace(rules, identity=parse_identity(identity))
    return rules


def rules_version(raw: bytes) -> str:
    """The version of a rules file: the first 12 hex digits of the SHA-256 of its bytes.
    The file has no version field to forget to bump; any edit is a new version, and the
    same bytes are the same version on every worker."""
    return hashlib.sha256(raw).hexdigest()[:12]


def load_rules(path: str | os.PathLike[str]) -> OfferRules:
    """Read and validate a rules file. Any problem (unreadable file, TOML syntax
    error, invalid value) raises :class:`RulesError` whose message starts with the
    file's path (and, for syntax errors, the line and column)."""
    return parse_rules_file(read_rules_file(path), os.fspath(path))


def read_rules_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a rules file; :class:`RulesError` naming the path when unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise RulesError(f"{os.fspath(path)}: cannot read the offer rules file: {exc}") from None


def parse_rules_file(raw: bytes, shown: str) -> OfferRules:
    """Validate the bytes of a rules file into :class:`OfferRules` carrying their
    :func:`rules_version`. Errors are :class:`RulesError` prefixed with ``shown``."""
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(f"{shown}: the offer rules file is not UTF-8 text: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{shown}{_toml_error_location(str(exc))}") from None
    try:
        rules = parse_rules(document)
    except RulesError as exc:
        raise RulesError(f"{shown}: {exc}", exc.field) from None
    return replace(rules, version=rules_version(raw))


# --------------------------------------------------------------------------- sections


def _parse_caps(table: Mapping[str, Any], path: str) -> ContactCaps:
    values.check_keys(table, path, (*_CAPS_KEYS, "channels"), _CAPS_KEYS)
    per_day = values.whole_number(table["max_per_day"], f"{path}.max_per_day", minimum=1)
    per_week = values.whole_number(table["max_per_week"], f"{path}.max_per_week", minimum=1)
    if per_week < per_day:
        raise RulesError(
            f"{path}.max_per_week: {per_week} is less than {path}.max_per_day ({per_day}); "
            "a week must allow at least one day's worth",
            f"{path}.max_per_week",
        )
    channels = parse_channel_caps(
        values.table(table.get("channels", {}), f"{path}.channels"), f"{path}.channels"
    )
    return ContactCaps(per_day=per_day, per_week=per_week, channels=channels)


def _parse_quiet_hours(table: Mapping[str, Any], path: str) -> QuietHours:
    values.check_keys(table, path, _QUIET_KEYS, _QUIET_KEYS)
    start = values.clock_time(table["start"], f"{path}.start")
    end = values.clock_time(table["end"], f"{path}.end")
    if start == end:
        raise RulesError(
            f"{path}.end: equals {path}.start ({start:%H:%M}); the window would be empty "
            f"or all day (to turn quiet hours off, set {path}.channels = [])",
            f"{path}.end",
        )
    timezone = values.time_zone(table["timezone"], f"{path}.timezone")
    channels = values.channels(table["channels"], f"{path}.channels", allow_empty=True)
    return QuietHours(start=start, end=end, timezone=timezone, channels=channels)


def _parse_cross_sell(table: Mapping[str, Any], path: str) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for category, complements in table.items():
        field = values.join(path, category)
        if not category.strip():
            raise RulesError(f"{field}: a category name must not be empty", field)
        result[category] = values.category_list(complements, field)
    return result


def _parse_triggers(table: Mapping[str, Any], path: str) -> dict[TriggerType, TriggerRule]:
    names = tuple(trigger_type.value for trigger_type in TriggerType)
    for name in table:
        if name not in names:
            field = values.join(path, name)
            raise RulesError(
                f"{field}: unknown trigger type{values.suggestion(name, names)}; "
                f"the types are {', '.join(names)}",
                field,
            )
    rules: dict[TriggerType, TriggerRule] = {}
    for trigger_type in TriggerType:
        field = values.join(path, trigger_type.value)
        if trigger_type.value not in table:
            if trigger_type in OPTIONAL_TRIGGER_TYPES:
                continue  # off: OfferRules.rule() answers None
            raise RulesError(
                f"{field} is missing; set enabled = false to turn it off",
                field,
            )
        rules[trigger_type] = _parse_trigger(
            trigger_type, values.table(table[trigger_type.value], field), field
        )
    return rules


def _parse_trigger(trigger_type: TriggerType, table: Mapping[str, Any], path: str) -> TriggerRule:
    # Thresholds: what the kind requires (and the only extra keys it accepts).
    thresholds = KINDS[trigger_type].rule_keys
    keys = (*_TRIGGER_KEYS, *thresholds, EXEMPT_KEY)
    for key in table:
        if key not in keys and any(key in other.rule_keys for other in KINDS.values()):
            field = values.join(path, key)
            raise RulesError(
                f"{field}: {trigger_type.value} does not use {key} "
                f"(its keys are {', '.join(keys)})",
                field,
            )
    values.check_keys(table, path, keys + _HOLDOUT_KEYS, _TRIGGER_KEYS)
    for key in thresholds:
        if key not in table:
            field = values.join(path, key)
            needs = " and ".join(filter(None, (", ".join(thresholds[:-1]), thresholds[-1])))
            raise RulesError(f"{field} is missing ({trigger_type.value} needs {needs})", field)
    enabled = table["enabled"]
    if not isinstance(enabled, bool):
        raise RulesError(
            f"{path}.enabled: must be true or false, not {values.show(enabled)}", f"{path}.enabled"
        )
    priority = values.priority(table["priority"], f"{path}.priority")
    delay_ms = parse_duration_ms(table["delay"], f"{path}.delay")
    cooldown_ms = parse_duration_ms(table["cooldown"], f"{path}.cooldown")
    channels = values.channels(table["channels"], f"{path}.channels", allow_empty=not enabled)
    offer = _parse_offer(values.table(table["offer"], f"{path}.offer"), f"{path}.offer")
    min_views = window_ms = lapse_ms = 0
    if "min_views" in thresholds:
        min_views = values.whole_number(table["min_views"], f"{path}.min_views", minimum=1)
    if "window" in thresholds:
        window_ms = values.positive_duration(table["window"], f"{path}.window")
    if "lapse" in thresholds:
        lapse_ms = values.positive_duration(table["lapse"], f"{path}.lapse")
    restock_window_ms = restock_max_people = 0
    if "restock_window" in thresholds:
        restock_window_ms = values.positive_duration(
            table["restock_window"], f"{path}.restock_window"
        )
    if "restock_max_people" in thresholds:
        restock_max_people = values.whole_number(
            table["restock_max_people"],
            f"{path}.restock_max_people",
            minimum=0,
            maximum=MAX_RESTOCK_PEOPLE,
        )
    return TriggerRule(
        type=trigger_type,
        enabled=enabled,
        priority=priority,
        delay_ms=delay_ms,
        cooldown_ms=cooldown_ms,
        channels=channels,
        offer=offer,
        min_views=min_views,
        window_ms=window_ms,
        lapse_ms=lapse_ms,
        restock_window_ms=restock_window_ms,
        restock_max_people=restock_max_people,
        exempt_from_caps=parse_exempt(table, path),
        holdout=_parse_holdout(table, path),
    )


def _parse_holdout(table: Mapping[str, Any], path: str) -> Holdout:
    """``holdout`` (a percentage, to the hundredth) and ``conversion_window``, both optional."""
    default = Holdout()
    basis_points = default.basis_points
    if "holdout" in table:
        field, value = f"{path}.holdout", table["holdout"]
        wrong = isinstance(value, bool) or not isinstance(value, int | float)
        if wrong or not 0 <= value <= 100:
            raise RulesError(
                f"{field}: must be a percentage from 0 to 100, not {values.show(value)}", field
            )
        basis_points = round(value * BUCKETS / 100)
        if abs(basis_points - value * BUCKETS / 100) > 1e-6:
            raise RulesError(
                f"{field}: {values.show(value)} has more than two decimals; "
                "a holdout is set to the hundredth of a percent",
                field,
            )
    window_ms = default.conversion_window_ms
    if "conversion_window" in table:
        field = f"{path}.conversion_window"
        window_ms = values.positive_duration(table["conversion_window"], field)
        if window_ms > MAX_CONVERSION_WINDOW_MS:
            raise RulesError(
                f"{field}: {values.show(table['conversion_window'])} is longer than "
                "the maximum of 90d",
                field,
            )
    return Holdout(basis_points=basis_points, conversion_window_ms=window_ms)


def _parse_offer(table: Mapping[str, Any], path: str) -> OfferTemplate:
    values.check_keys(table, path, _OFFER_KEYS, _OFFER_KEYS)
    return OfferTemplate(
        offer_id=values.text(table["offer_id"], f"{path}.offer_id"),
        incentive=values.text(table["incentive"], f"{path}.incentive"),
        expires_after_ms=values.positive_duration(table["expires"], f"{path}.expires"),
    )


# --------------------------------------------------------------------------- values


_TOML_LOCATION = re.compile(r"^(?P<problem>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def _toml_error_location(message: str) -> str:
    """``"Invalid value (at line 3, column 10)"`` -> ``", line 3, column 10: ..."``."""
    match = _TOML_LOCATION.match(message)
    if match is None:
        return f": not valid TOML: {message}"
    return (
        f", line {match.group('line')}, column {match.group('col')}: "
        f"not valid TOML: {match.group('problem')}"
    )
