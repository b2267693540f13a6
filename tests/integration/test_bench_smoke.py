"""A small run of every ``make bench`` phase, so the bench cannot rot.

Sizes are tiny (``--quick``) and nothing is asserted about speed: a timed test on a
shared machine is flaky. What is asserted is that every figure the performance
issue asks for is measured, and that the drains lost and doubled nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.__main__ import parse_arguments, run
from tests.bench.results import Results
from tests.bench.targets import check_targets
from tests.integration.harness import Services

pytestmark = [pytest.mark.integration, pytest.mark.long]


def test_every_bench_phase_measures_its_figures(services: Services, log_dir: Path) -> None:
    results = Results()
    run(parse_arguments(["--quick"]), services, log_dir / "bench", results)

    verdicts = check_targets(results)
    assert not [name for name, verdict in verdicts.items() if verdict.startswith("not measured")]
    get = results.get_required
    assert get("core.floor_us_per_event") > 0
    assert "the floor is" in verdicts["ratio_to_ceiling"] and "us" in verdicts["batch_records"]
    for name in ("batch_1", "batch_20"):
        assert get(f"{name}.customers_differing") == 0
        for figure in ("ceiling_records_per_s", "raw_limit_events_per_s", "pipeline_events_per_s"):
            assert get(f"{name}.{figure}") > 0, figure
    assert get("batch_20.records") < get("batch_1.records") / 5  # batch records of 20
    scaling = get("scaling")
    assert scaling["workers_1_lost_or_differing"] == scaling["workers_2_lost_or_differing"] == 0
    assert get("steady.event_to_trigger_missing") == get("steady.timers_missing") == 0
    assert get("steady.api_errors") == 0
    assert get("steady.api_served_by") == "an API server"
    assert {"worker", "api_server", "broker"} <= get("steady.cores_used").keys()
    answered = get("steady.event_to_trigger_latency_ms")["samples"]
    assert get("steady.event_to_produced_ms")["samples"] == answered > 0
    assert get("redis_bytes_per_customer")["customers"] > 100
    assert get("worker_rss_mb")["peak"] > 0
