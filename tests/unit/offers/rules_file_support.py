"""Shared by the rules-file tests: the shipped document, and mutations of a copy of it."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from models.offers.rules_file import (
    DEFAULT_RULES_PATH,
    RulesError,
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


def get_table(doc: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = doc
    for part in path.split("."):
        node = node[part]
    assert isinstance(node, dict)
    return node


def set_value(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    parent, _, key = path.rpartition(".")

    def mutate(doc: dict[str, Any]) -> None:
        (get_table(doc, parent) if parent else doc)[key] = value

    return mutate


def delete(path: str) -> Callable[[dict[str, Any]], None]:
    parent, _, key = path.rpartition(".")

    def mutate(doc: dict[str, Any]) -> None:
        del (get_table(doc, parent) if parent else doc)[key]

    return mutate


def error_for(mutate: Callable[[dict[str, Any]], None]) -> RulesError:
    doc = document()
    mutate(doc)
    with pytest.raises(RulesError) as caught:
        parse_rules(doc)
    return caught.value
