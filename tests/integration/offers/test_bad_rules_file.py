"""A bad offer rules file stops the worker at start, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.harness import Services, WorkerProcess
from tests.integration.offer_scenarios import rules_for_tests

pytestmark = pytest.mark.integration


def test_a_bad_rules_file_stops_the_worker_with_an_error_naming_the_field(
    services: Services, log_dir: Path
) -> None:
    import os
    import subprocess
    import sys

    bad = log_dir / "bad-offers.toml"
    bad.write_text(rules_for_tests(log_dir).read_text().replace("priority = 100", "prority = 100"))
    worker = WorkerProcess(services, log_dir / "workers", extra_env={"OFFER_RULES_PATH": str(bad)})
    finished = subprocess.run(
        [sys.executable, "-m", "streams.worker"],
        env={**os.environ, **worker.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = finished.stdout.decode() + finished.stderr.decode()
    assert finished.returncode == 2
    assert "triggers.abandoned_basket.prority" in output
