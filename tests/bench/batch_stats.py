"""The worker's batches over a stretch of the bench, from its own histograms: how many,
how big, how long, and how many were slow. Event to trigger waits for a whole batch
(and for the one before it), so its tail follows the slow batches."""

from __future__ import annotations

from tests.integration.harness import WorkerProcess, sample_sum

SECONDS = "omni_batch_processing_seconds"
RECORDS = "omni_batch_records"
SLOW_MS = (25, 50, 100)


class BatchStats:
    """Started at the beginning of the stretch; :meth:`figures` at its end."""

    def __init__(self, worker: WorkerProcess) -> None:
        self._worker = worker
        self._before = self._scrape()

    def _scrape(self) -> dict[str, float]:
        samples = self._worker.metrics()
        scraped = {
            "batches": sample_sum(samples, f"{SECONDS}_count"),
            "seconds": sample_sum(samples, f"{SECONDS}_sum"),
            "records": sample_sum(samples, f"{RECORDS}_sum"),
        }
        for ms in SLOW_MS:
            scraped[f"within_{ms}"] = sample_sum(samples, f"{SECONDS}_bucket", le=str(ms / 1000))
        return scraped

    def figures(self) -> dict[str, float]:
        now = self._scrape()
        delta = {key: now[key] - self._before[key] for key in now}
        batches = delta["batches"]
        if not batches:
            return {"batches": 0}
        figures = {
            "batches": int(batches),
            "records_mean": round(delta["records"] / batches, 1),
            "ms_mean": round(delta["seconds"] / batches * 1000, 2),
        }
        for ms in SLOW_MS:
            figures[f"over_{ms}_ms"] = int(batches - delta[f"within_{ms}"])
        return figures
