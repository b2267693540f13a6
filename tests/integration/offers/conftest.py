"""Next-best-offer scenarios end to end: published events in, consumed triggers out.

One worker with test-sized delays serves the single-worker scenarios of this
package; each scenario uses its own customers. Two-worker, crash and replay
scenarios start their own workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.harness import Services, WorkerProcess
from tests.integration.offer_scenarios import rules_for_tests


@pytest.fixture(scope="package")
def worker(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={"OFFER_RULES_PATH": str(rules_for_tests(log_dir))},
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()
