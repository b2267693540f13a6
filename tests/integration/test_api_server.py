"""The API server (``python -m streams.api_server``) beside a worker, on one Redis:
it answers from what the worker stored, and needs no broker to be ready."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.harness import WorkerProcess, call, wait_until
from tests.integration.offer_scenarios import Customer
from tests.integration.shopper_context import assert_identified_shopper_context

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(api_worker: WorkerProcess) -> WorkerProcess:
    return api_worker


@pytest.fixture(scope="module")
def api_server(worker: WorkerProcess) -> Iterator[WorkerProcess]:
    """Configured as the worker is, on its own port."""
    process = WorkerProcess(
        worker.services,
        worker.log_dir,
        namespace=worker.namespace,
        extra_env=worker.extra_env,
        module="streams.api_server",
    )
    process.start()
    yield process
    process.stop()


def test_it_answers_what_the_worker_stored(
    worker: WorkerProcess, api_server: WorkerProcess, shopper: Customer
) -> None:
    status, context = call(api_server, f"/customers/{shopper.user}/context")
    assert status == 200
    assert_identified_shopper_context(context, shopper.user, shopper.anonymous)
    assert call(api_server, f"/customers/{shopper.anonymous}/context")[1]["userId"] == shopper.user
    status, offer = call(api_server, f"/customers/{shopper.user}/next-best-offer")
    assert status == 200
    from_worker = call(worker, f"/customers/{shopper.user}/next-best-offer")[1]
    assert offer["best"]["type"] == "abandoned_basket"
    assert offer["best"]["trigger_id"] == from_worker["best"]["trigger_id"]
    assert offer["rules_version"] == from_worker["rules_version"]

    # An erasure through the API server is the workers' too.
    assert call(api_server, f"/customers/{shopper.user}", method="DELETE") == (
        200,
        {"erased": True},
    )
    status, body = call(worker, f"/customers/{shopper.user}/context")
    assert (status, body["error"]["code"]) == (404, "customer_not_found")


def test_ready_needs_redis_only_and_metrics_count_its_requests(
    api_server: WorkerProcess,
) -> None:
    assert call(api_server, "/ready", token=None) == (200, {"ready": True, "redis": True})
    assert call(api_server, "/customers/nobody-here/context")[0] == 404
    assert call(api_server, "/customers/nobody-here/context", token="wrong")[0] == 401

    def counted() -> float:
        return api_server.metric_sum(
            "omni_api_request_seconds_count", route="/customers/{customer_id}/context"
        )

    assert wait_until(lambda: counted() >= 2, what="the API server's request metrics")
    # Lag and pending timers are the workers' to report: this process consumes nothing.
    assert not [sample for sample, _labels in api_server.metrics() if sample == "omni_consumer_lag"]
