"""The ``[identity]`` section of the rules file: who may link a visitor to a customer.

Optional: a rules file without it trusts every source, as before the section
existed (:data:`models.identity_trust.TRUST_ALL`). With it, both keys are
required, so the marketer sees the whole policy in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.events import Channel
from models.identity_trust import IdentityTrust
from models.offers import rule_values as values
from models.offers.rule_values import RulesError

SECTION = "identity"
_KEYS = ("trusted_channels", "trusted_sources")
_CHANNELS = tuple(channel.value for channel in Channel)


def parse_identity(table: Mapping[str, Any], path: str = SECTION) -> IdentityTrust:
    values.check_keys(table, path, _KEYS, _KEYS)
    channels = _names(table["trusted_channels"], f"{path}.trusted_channels")
    for index, name in enumerate(channels):
        if name not in _CHANNELS:
            field = f"{path}.trusted_channels[{index}]"
            hint = values.suggestion(name, _CHANNELS)
            raise RulesError(
                f"{field}: {values.show(name)} is not a channel{hint}; use {', '.join(_CHANNELS)}",
                field,
            )
    sources = _names(table["trusted_sources"], f"{path}.trusted_sources")
    return IdentityTrust(
        trusted_channels=frozenset(Channel(name) for name in channels),
        trusted_sources=frozenset(sources),
        configured=True,
    )


def _names(value: Any, field: str) -> list[str]:
    """A list of distinct, non-blank texts; [] is allowed (trust none of them)."""
    if not isinstance(value, list):
        raise RulesError(f"{field}: must be a list of texts, not {values.show(value)}", field)
    seen: list[str] = []
    for index, item in enumerate(value):
        at = f"{field}[{index}]"
        if not isinstance(item, str) or not item.strip():
            raise RulesError(f"{at}: must be a non-empty text, not {values.show(item)}", at)
        if item in seen:
            raise RulesError(f"{at}: {values.show(item)} is listed twice", at)
        seen.append(item)
    return seen
