"""The Grafana dashboard: its rows, the panels the operators asked for, well-formed queries."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.dashboard_queries import dashboard, dashboard_base_names, expressions, metric_names
from tests.unit.deployment_support import REPO

# The panels the operators asked for, verbatim (whitespace aside).
REQUIRED_QUERIES = (
    "sum(rate(omni_records_consumed_total[1m])) by (topic)",
    "sum(rate(omni_events_consumed_total[1m])) by (type)",
    "sum(rate(omni_deadletters_total[5m])) by (reason)",
    "histogram_quantile(0.5, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.95, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.99, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.5, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.95, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.99, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "sum(rate(omni_triggers_emitted_total[5m])) by (type)",
    "sum(rate(omni_triggers_emitted_total[5m])) by (channel)",
    "sum(rate(omni_triggers_suppressed_total[5m])) by (reason)",
    'sum(rate(omni_triggers_suppressed_total{reason=~"capped|cooldown"}[5m])) by (reason)',
    "sum(omni_consumer_lag) by (topic)",
    "sum(omni_timers_pending)",
    "histogram_quantile(0.99, sum(rate(omni_redis_operation_seconds_bucket[5m]))"
    " by (le, operation))",
    "histogram_quantile(0.99, sum(rate(omni_api_request_seconds_bucket[5m])) by (le, route))",
    'sum(rate(omni_api_request_seconds_count{status=~"5.."}[5m])) by (route) or on() vector(0)',
    "sum(omni_worker_up)",
    # Holdout lift: conversion rates by group, and the sent group's over the held-out's.
    "sum(increase(omni_lift_conversions_total[7d])) by (type, group)"
    " / sum(increase(omni_lift_decisions_total[7d])) by (type, group)",
    '(sum(increase(omni_lift_conversions_total{group="sent"}[7d])) by (type)'
    ' / sum(increase(omni_lift_decisions_total{group="sent"}[7d])) by (type))'
    ' / (sum(increase(omni_lift_conversions_total{group="holdout"}[7d])) by (type)'
    ' / sum(increase(omni_lift_decisions_total{group="holdout"}[7d])) by (type)) - 1',
)


@cache
def metrics_source_names() -> set[str]:
    """Metric names defined in streams/metrics.py, read as text: f"{PREFIX}_..."."""
    source = (REPO / "streams" / "metrics.py").read_text()
    prefix = re.search(r'^PREFIX = "([a-z]+)"$', source, re.MULTILINE)
    assert prefix is not None, "streams/metrics.py no longer defines PREFIX"
    return {f"{prefix[1]}_{name}" for name in re.findall(r'f"\{PREFIX\}_([a-z_]+)"', source)}


def test_dashboard_has_the_five_rows_and_a_tidy_grid() -> None:
    panels = dashboard()["panels"]
    rows = [panel["title"] for panel in panels if panel["type"] == "row"]
    assert rows == ["Flow", "Latency", "Triggers", "Health", "Holdout lift"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], f"{panel['title']} queries nothing"
    assert dashboard()["uid"] and dashboard()["title"]


def test_dashboard_has_every_panel_the_operators_asked_for() -> None:
    have = {" ".join(expr.split()) for expr in expressions()}
    missing = [query for query in REQUIRED_QUERIES if query not in have]
    assert not missing


def test_dashboard_expressions_are_well_formed() -> None:
    pairs = {")": "(", "]": "[", "}": "{"}
    for expr in expressions():
        stack: list[str] = []
        for char in re.sub(r'"[^"]*"', '""', expr):  # brackets inside label values don't count
            if char in "([{":
                stack.append(char)
            elif char in pairs:
                assert stack and stack.pop() == pairs[char], expr
        assert not stack, expr
        assert metric_names(expr), f"no omni_ metric in {expr}"


@pytest.mark.parametrize("metric", dashboard_base_names())
def test_dashboard_metric_is_defined_in_streams_metrics(metric: str) -> None:
    assert metric in metrics_source_names(), f"{metric} is not defined in streams/metrics.py"
