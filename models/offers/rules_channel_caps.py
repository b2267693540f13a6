"""The rules file's per-channel caps and cap exemptions (``[contact_pressure.channels.*]``,
``exempt_from_caps`` on a trigger), validated like the rest of :mod:`.rules_file`.

Both are optional: a rules file written before them keeps working, with no channel
capped on its own and no type exempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.offers import rule_values as values
from models.offers.rule_values import RulesError
from models.offers.rules import ChannelCaps, ContactChannel

CHANNEL_CAPS_KEYS = ("max_per_day", "max_per_week")
EXEMPT_KEY = "exempt_from_caps"
_CHANNEL_NAMES = tuple(channel.value for channel in ContactChannel)


def parse_channel_caps(table: Mapping[str, Any], path: str) -> dict[str, ChannelCaps]:
    """``channels.<name>`` tables, each with ``max_per_day`` and/or ``max_per_week``."""
    caps: dict[str, ChannelCaps] = {}
    for name, value in table.items():
        field = values.join(path, name)
        if name not in _CHANNEL_NAMES:
            raise RulesError(
                f"{field}: unknown channel{values.suggestion(name, _CHANNEL_NAMES)}; "
                f"the channels are {', '.join(_CHANNEL_NAMES)}",
                field,
            )
        limits = values.table(value, field)
        values.check_keys(limits, field, CHANNEL_CAPS_KEYS, ())
        if not limits:
            raise RulesError(
                f"{field}: set max_per_day, max_per_week or both (or remove the table)", field
            )
        per_day = per_week = None
        if "max_per_day" in limits:
            per_day = values.whole_number(limits["max_per_day"], f"{field}.max_per_day", minimum=1)
        if "max_per_week" in limits:
            per_week = values.whole_number(
                limits["max_per_week"], f"{field}.max_per_week", minimum=1
            )
        if per_day is not None and per_week is not None and per_week < per_day:
            raise RulesError(
                f"{field}.max_per_week: {per_week} is less than {field}.max_per_day "
                f"({per_day}); a week must allow at least one day's worth",
                f"{field}.max_per_week",
            )
        caps[name] = ChannelCaps(per_day=per_day, per_week=per_week)
    return caps


def parse_exempt(table: Mapping[str, Any], path: str) -> bool:
    """A trigger's ``exempt_from_caps``: false when absent."""
    exempt = table.get(EXEMPT_KEY, False)
    if not isinstance(exempt, bool):
        field = f"{path}.{EXEMPT_KEY}"
        raise RulesError(f"{field}: must be true or false, not {values.show(exempt)}", field)
    return exempt
