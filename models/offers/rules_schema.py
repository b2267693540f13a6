"""A JSON Schema of the offer rules file, for editors: with it, VS Code (Even Better TOML),
IntelliJ and taplo check ``offers.toml`` and complete its keys as the marketer types.

The schema is written out to ``config/offers.schema.json`` by running this module
(``python -m models.offers.rules_schema``); a test keeps the file equal to what this
module builds, and checks the schema against :mod:`models.offers.rules_file` on the same
good and bad files. The validator stays the authority: a few checks span fields or need
data a schema cannot hold (the listed :data:`VALIDATOR_ONLY` checks), and the worker
still makes them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from models.events import Channel
from models.offers.identity_rules import SECTION as IDENTITY_SECTION
from models.offers.kinds import KINDS
from models.offers.rule_values import MAX_DURATION_MS
from models.offers.rules import OPTIONAL_TRIGGER_TYPES, ContactChannel, TriggerType
from models.offers.rules_channel_caps import EXEMPT_KEY
from models.offers.rules_file import MAX_RESTOCK_PEOPLE, SECTIONS

#: What the worker checks and the schema cannot say; each is tested as such.
VALIDATOR_ONLY = (
    "a max_per_week at least its max_per_day (global and per channel)",
    "quiet_hours.end different from quiet_hours.start",
    "quiet_hours.timezone a known IANA time zone",
    "trends.window at most 24h",
    f"durations at most 3650d ({MAX_DURATION_MS} ms)",
    "priority not nan",
    "whole numbers written without a decimal point (JSON has one kind of number: 2.0 is 2)",
    "a holdout with at most two decimals",
    "a conversion_window of at most 90d",
)
#: What the worker accepts and the schema refuses (rare spellings); tested as such.
SCHEMA_STRICTER = (
    'the duration "-0s", which the worker reads as 0 (the schema refuses any minus sign)',
    "quiet_hours.start and end written as TOML local times (21:00:00) rather than text",
)

# Parts largest unit first, each at most once, optionally spaced: "1h30m", "2d 12h", "500ms".
# A unit may not run on into letters ("30minutes"); "m" is not the start of "ms".
_PARTS = (
    r"(?:[0-9]{1,15}d(?![A-Za-z])\s*)?"
    r"(?:[0-9]{1,15}h(?![A-Za-z])\s*)?"
    r"(?:[0-9]{1,15}m(?![A-Za-z])\s*)?"
    r"(?:[0-9]{1,15}s(?![A-Za-z])\s*)?"
    r"(?:[0-9]{1,15}ms(?![A-Za-z])\s*)?"
)
DURATION_PATTERN = r"^(?=\s*[0-9])\s*" + _PARTS + "$"
# Some digit other than 0: longer than zero.
POSITIVE_DURATION_PATTERN = r"^(?=\s*[0-9])(?=[^1-9]*[1-9])\s*" + _PARTS + "$"
CLOCK_PATTERN = r"^\s*([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$"
NOT_BLANK = r"\S"

_CHANNELS = [channel.value for channel in ContactChannel]


def _duration(description: str, *, positive: bool = False) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": POSITIVE_DURATION_PATTERN if positive else DURATION_PATTERN,
        "description": description + ' Text such as "45s", "30m", "24h", "90d", "1h30m".',
    }


def _whole(description: str, minimum: int, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum, "description": description}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": NOT_BLANK, "description": description}


def _channels(description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"enum": _CHANNELS},
        "uniqueItems": True,
        "description": description,
    }


def _table(
    properties: dict[str, Any], description: str, required: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


#: The thresholds a kind may declare in ``rule_keys``; a new kind's key goes here.
THRESHOLDS: dict[str, dict[str, Any]] = {
    "min_views": _whole("Views of one product (whole number >= 1) ...", 1),
    "window": _duration("... within this duration (> 0).", positive=True),
    "lapse": _duration("Time since the last order (> 0).", positive=True),
    "restock_window": _duration(
        "How recent qualifying views must be for a restock to reach the viewer (> 0).",
        positive=True,
    ),
    "restock_max_people": _whole(
        "Most customers one restock reaches, latest viewers first (0 = nobody).",
        0,
        MAX_RESTOCK_PEOPLE,
    ),
}

_OFFER = _table(
    {
        "offer_id": _text("Your reference for the offer, echoed in the trigger."),
        "incentive": _text("The text shown to the customer."),
        "expires": _duration("How long the offer stays valid after it is sent.", positive=True),
    },
    "What the message offers.",
)


def _trigger(trigger_type: TriggerType) -> dict[str, Any]:
    common: dict[str, Any] = {
        "enabled": {"type": "boolean", "description": "false turns this trigger type off."},
        "priority": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": sys.float_info.max,  # TOML's inf is not a priority
            "description": "Number > 0; the highest priority x value wins among competing offers.",
        },
        "delay": _duration("Between the condition holding and the message (0s = at once)."),
        "cooldown": _duration("Before the same person may get this type again (0s = none)."),
        "channels": _channels("Channels to try, in order of preference; not empty while enabled."),
        "offer": _OFFER,
    }
    optional: dict[str, Any] = {
        EXEMPT_KEY: {
            "type": "boolean",
            "description": "Optional: true for a service message the global caps neither "
            "stop nor count (its cooldown, consent and channel caps still apply).",
        },
        "holdout": {
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "description": "Optional: % of people (to the hundredth) held out of this type "
            "to measure its lift; 0 measures nothing.",
        },
        "conversion_window": _duration(
            "Optional: an order this long after a sent or held-out decision converts it "
            "(> 0, at most 90d).",
            positive=True,
        ),
    }
    thresholds = {key: THRESHOLDS[key] for key in KINDS[trigger_type].rule_keys}
    schema = _table(
        {**common, **thresholds, **optional},
        f"The {trigger_type.value} trigger.",
        required=[*common, *thresholds],
    )
    # An enabled trigger needs a channel to send on.
    schema["if"] = {"properties": {"enabled": {"const": True}}}
    schema["then"] = {"properties": {"channels": {"minItems": 1}}}
    return schema


def rules_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07, which editors support best) of the rules file."""
    root = _table(
        {
            "contact_pressure": _table(
                {
                    "max_per_day": _whole("Messages per person per (local) day.", 1),
                    "max_per_week": _whole("Messages per person per week (>= max_per_day).", 1),
                    "channels": {
                        "type": "object",
                        "description": "Optional caps per channel, on top of the caps above.",
                        "propertyNames": {"enum": _CHANNELS},
                        "additionalProperties": {
                            "type": "object",
                            "properties": {
                                "max_per_day": _whole("Messages on this channel per day.", 1),
                                "max_per_week": _whole("Messages on this channel per week.", 1),
                            },
                            "minProperties": 1,
                            "additionalProperties": False,
                        },
                    },
                },
                "The most messages one person receives, all triggers and channels.",
                required=["max_per_day", "max_per_week"],
            ),
            "quiet_hours": _table(
                {
                    "start": {
                        "type": "string",
                        "pattern": CLOCK_PATTERN,
                        "description": '"HH:MM", 24-hour clock.',
                    },
                    "end": {
                        "type": "string",
                        "pattern": CLOCK_PATTERN,
                        "description": '"HH:MM"; earlier than start spans midnight.',
                    },
                    "timezone": _text('IANA time zone name, e.g. "Europe/Paris".'),
                    "channels": _channels("Channels held back; [] turns quiet hours off."),
                },
                "A nightly window, in local time, when the listed channels stay silent.",
            ),
            "trends": _table(
                {
                    "window": _duration(
                        "How far back trends look (> 0, at most 24h).", positive=True
                    )
                },
                'How far back "trending now" looks.',
            ),
            "cross_sell": {
                "type": "object",
                "description": "Category bought -> complementary categories offered.",
                "propertyNames": {"pattern": NOT_BLANK},
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "pattern": NOT_BLANK},
                    "uniqueItems": True,
                },
            },
            "triggers": _table(
                {trigger_type.value: _trigger(trigger_type) for trigger_type in TriggerType},
                "Every trigger type but the optional ones ("
                + ", ".join(sorted(t.value for t in OPTIONAL_TRIGGER_TYPES))
                + ") must be present; enabled = false turns one off.",
                required=[t.value for t in TriggerType if t not in OPTIONAL_TRIGGER_TYPES],
            ),
            IDENTITY_SECTION: _table(
                {
                    "trusted_channels": {
                        "type": "array",
                        "items": {"enum": [channel.value for channel in Channel]},
                        "uniqueItems": True,
                        "description": "context.channel values whose events may link a "
                        "visitor to a customer.",
                    },
                    "trusted_sources": {
                        "type": "array",
                        "items": {"type": "string", "pattern": NOT_BLANK},
                        "uniqueItems": True,
                        "description": "context.library.name values (the sending library) "
                        "whose events may link a visitor to a customer.",
                    },
                },
                "Optional: who may link a visitor to a customer (absent: every source).",
            ),
        },
        "What the engine offers, to whom, when and how often. The worker validates the "
        "file again, with checks this schema cannot make: " + "; ".join(VALIDATOR_ONLY) + ".",
        required=list(SECTIONS),
    )
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Offer rules (config/offers.toml)",
        **root,
    }


def schema_text() -> str:
    return json.dumps(rules_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
