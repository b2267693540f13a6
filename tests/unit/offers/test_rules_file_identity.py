"""The optional [identity] section: trusted channels and sources, with field-path errors."""

from __future__ import annotations

from typing import Any

import pytest

from models.events import Channel
from models.identity_trust import TRUST_ALL
from models.offers.rules_file import parse_rules
from tests.unit.offers.rules_file_support import delete, document, error_for


def _with(**identity: Any) -> dict[str, Any]:
    doc = document()
    doc["identity"] = {"trusted_channels": ["store"], "trusted_sources": [], **identity}
    return doc


def test_the_shipped_file_trusts_every_channel_explicitly() -> None:
    trust = parse_rules(document()).identity
    assert trust.trusted_channels == frozenset(Channel) and trust.configured


def test_a_file_without_the_section_trusts_every_source() -> None:
    doc = document()
    delete("identity")(doc)
    assert parse_rules(doc).identity == TRUST_ALL
    assert not TRUST_ALL.configured


def test_channels_and_sources_are_read() -> None:
    trust = parse_rules(_with(trusted_sources=["analytics-node"])).identity
    assert trust.trusted_channels == {Channel.STORE}
    assert trust.trusted_sources == {"analytics-node"}
    assert parse_rules(_with(trusted_channels=[])).identity.trusted_channels == frozenset()


@pytest.mark.parametrize(
    ("identity", "field", "fragment"),
    [
        ({"trusted_channels": ["server"]}, "identity.trusted_channels[0]", "is not a channel"),
        ({"trusted_channels": ["stor"]}, "identity.trusted_channels[0]", 'did you mean "store"'),
        ({"trusted_channels": "store"}, "identity.trusted_channels", "must be a list"),
        ({"trusted_sources": [""]}, "identity.trusted_sources[0]", "non-empty text"),
        ({"trusted_sources": ["a", "a"]}, "identity.trusted_sources[1]", "listed twice"),
        ({"trusted_source": []}, "identity.trusted_source", "unknown key"),
    ],
)
def test_bad_values_name_their_field(identity: dict[str, Any], field: str, fragment: str) -> None:
    error = error_for(lambda doc: doc.update(_with(**identity)))
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert fragment in str(error)


def test_a_present_section_needs_both_keys() -> None:
    error = error_for(delete("identity.trusted_sources"))
    assert (error.field, str(error)) == (
        "identity.trusted_sources",
        "identity.trusted_sources is missing",
    )
