"""Properties of the validator: any missing or unknown key is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.offers.rules import TriggerType
from models.offers.rules_file import (
    RulesError,
    parse_rules,
)
from tests.unit.offers.rules_file_support import (
    DEFAULT_DOCUMENT,
    delete,
    document,
    get_table,
)

# --------------------------------------------------------------------------- properties


def _optional(path: str) -> bool:
    """Keys added after files were written: per-channel caps and cap exemptions."""
    return path.startswith("contact_pressure.channels") or path.endswith(".exempt_from_caps")


def _required_paths(node: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key of the shipped document, except the categories of [cross_sell]
    (they are data: any category may be added or removed) and the optional keys."""
    paths: list[str] = []
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if _optional(path):
            continue
        paths.append(path)
        if isinstance(value, dict) and path != "cross_sell":
            paths.extend(_required_paths(value, path))
    return paths


# Optional tables (newer than the first release) may go whole; their keys stay required.
OPTIONAL_PATHS = ("triggers.back_in_stock", "identity")
# Keys the shipped file shows but an older file may leave out (their defaults apply).
OPTIONAL_KEYS = {"holdout", "conversion_window"}
REQUIRED_PATHS = [
    path
    for path in _required_paths(DEFAULT_DOCUMENT)
    if path not in OPTIONAL_PATHS and path.rpartition(".")[2] not in OPTIONAL_KEYS
]


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
    target = get_table(doc, table) if table else doc
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
    for optional in (
        "contact_pressure.channels.<channel>.max_per_day",
        "contact_pressure.channels.<channel>.max_per_week",
        "triggers.<type>.exempt_from_caps",
    ):
        assert f"| `{optional}` |" in section, optional
    for trigger_type in TriggerType:
        assert f"| `{trigger_type.value}` |" in section
