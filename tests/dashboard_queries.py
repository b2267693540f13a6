"""What the Grafana dashboard queries, read from its JSON (shared by the deployment tests)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

DASHBOARD = (
    Path(__file__).resolve().parents[1]
    / "config"
    / "deploy"
    / "grafana"
    / "dashboards"
    / "omnichannel.json"
)
METRIC_NAME = re.compile(r"omni_[a-z_]+")
HISTOGRAM_SUFFIX = re.compile(r"_(bucket|sum|count)$")


@cache
def dashboard() -> dict[str, Any]:
    document = json.loads(DASHBOARD.read_text())
    assert isinstance(document, dict)
    return document


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def expressions() -> list[str]:
    return [value for key, value in walk(dashboard()) if key == "expr"]


def metric_names(expression: str) -> set[str]:
    return set(METRIC_NAME.findall(expression))


def base_name(metric: str) -> str:
    return HISTOGRAM_SUFFIX.sub("", metric)


def dashboard_base_names() -> list[str]:
    return sorted({base_name(name) for expr in expressions() for name in metric_names(expr)})


def dashboard_series() -> set[str]:
    """The sample name a scrape must hold for each metric the dashboard queries."""
    used = {name for expr in expressions() for name in metric_names(expr)}
    histograms = {base_name(name) for name in used if HISTOGRAM_SUFFIX.search(name)}
    plain = {name for name in used if base_name(name) not in histograms}
    return plain | {f"{name}_bucket" for name in histograms}
