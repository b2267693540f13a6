"""The Grafana dashboard reads only series that a working worker really exports, and
every one of its queries answers with numbers on a real Prometheus.

A worker is given a little of everything the dashboard shows (valid events, a bad
record, a cross-sell trigger, a capped one, an API call, and, with half the people held
out of cross-sell, a decision converted by a till sale in each group). Its /metrics must hold
every metric the dashboard's PromQL names (histograms through their ``_bucket``
series). Then Debian's ``prometheus`` scrapes the worker under the same traffic,
and each panel query, run through Prometheus's HTTP API, must return samples that
are numbers: a rate over one sample, or a quantile of no observations, is NaN or
empty, which Grafana draws as "No data".
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from models.identity import Identity
from models.offers.holdout import Group, group_of
from models.offers.rules import TriggerType
from models.offers.rules_file import load_rules
from streams.local.services import free_port, stop_process, wait_for_port
from tests.dashboard_queries import dashboard_series, expressions
from tests.integration.harness import WorkerProcess, produce, wait_until
from tests.integration.offer_scenarios import rules_with_holdout

pytestmark = [pytest.mark.integration, pytest.mark.long]

SHOES = {"product_id": "SHO-001", "category": "shoes", "name": "Trail runner", "price": 90.0}


def _event(user: str, event_name: str | None, /, *, call: str = "track", **fields: Any) -> bytes:
    document: dict[str, Any] = {
        "messageId": str(uuid.uuid4()),
        "type": call,
        "userId": user,
        "timestamp": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "context": {"channel": fields.pop("channel", "web")},
        "properties": fields,
    }
    if event_name is not None:
        document["event"] = event_name
    return orjson.dumps(document)


def _till_order(user: str, store: str) -> bytes:
    return _event(
        user,
        "Order Completed",
        channel="store",
        order_id=f"till-{uuid.uuid4().hex[:8]}",
        store_id=store,
        total=SHOES["price"],
        currency="EUR",
        products=[SHOES],
    )


def _publish(worker: WorkerProcess, records: list[tuple[str, bytes | None, bytes]]) -> None:
    """Publish and return once the worker has processed every record."""
    before = worker.metric_sum("omni_records_consumed_total")
    produce(worker.services.kafka_broker, records)
    worker.wait_processed(before + len(records), what=f"{len(records)} records processed")


@pytest.fixture
def worker(make_worker: Callable[..., WorkerProcess], log_dir: Path) -> WorkerProcess:
    """A worker holding half the people out of cross-sell, for the lift panels."""
    process = make_worker(extra_env={"OFFER_RULES_PATH": str(rules_with_holdout(log_dir))})
    process.create_topics()
    return process.start()


def _user_in(worker: WorkerProcess, group: Group) -> str:
    rules = load_rules(worker.env()["OFFER_RULES_PATH"])
    holdout = rules.triggers[TriggerType.CROSS_SELL].holdout
    while True:
        user = f"dash-{uuid.uuid4().hex[:10]}"
        if group_of(Identity.user(user), TriggerType.CROSS_SELL.value, holdout) is group:
            return user


def _lift(worker: WorkerProcess, metric: str, group: Group) -> float:
    return worker.metric_sum(f"omni_lift_{metric}_total", group=group.value)


def _one_of_everything(worker: WorkerProcess) -> None:
    """Events of several types, a consent, a bad record, a cross-sell trigger, a capped
    one, a held-out one and an API call: something for every panel of the dashboard."""
    topics = worker.topics
    user = _user_in(worker, Group.SENT)
    key = user.encode()
    # Valid events of several types, the consent the offers need, and one bad record.
    _publish(
        worker,
        [
            (topics.clickstream, key, _event(user, None, call="page", url="/")),
            (topics.clickstream, key, _event(user, "Product Viewed", **SHOES)),
            (topics.clickstream, key, _event(user, "Consent Updated", email=True)),
            (topics.clickstream, key, b"\x00 not json"),
        ],
    )
    # A till purchase of shoes is offered a cross-sell at once...
    sent = _lift(worker, "decisions", Group.SENT)
    _publish(worker, [(topics.store_checkouts, key, _till_order(user, "store-001"))])
    wait_until(lambda: _lift(worker, "decisions", Group.SENT) > sent, what="a trigger emitted")
    # ...and a second one the same day is held back by the contact-pressure caps (and
    # converts the first).
    _publish(worker, [(topics.store_checkouts, key, _till_order(user, "store-002"))])
    wait_until(
        lambda: worker.metric_sum("omni_triggers_suppressed_total") >= 1,
        what="a trigger suppressed",
    )
    # The same for a customer held out of cross-sell: no trigger, and a conversion.
    held = _user_in(worker, Group.HOLDOUT)
    decided = _lift(worker, "decisions", Group.HOLDOUT)
    converted = _lift(worker, "conversions", Group.HOLDOUT)
    consent = _event(held, "Consent Updated", email=True)
    _publish(worker, [(topics.clickstream, held.encode(), consent)])
    _publish(worker, [(topics.store_checkouts, held.encode(), _till_order(held, "store-001"))])
    wait_until(lambda: _lift(worker, "decisions", Group.HOLDOUT) > decided, what="a holdout")
    _publish(worker, [(topics.store_checkouts, held.encode(), _till_order(held, "store-002"))])
    wait_until(lambda: _lift(worker, "conversions", Group.HOLDOUT) > converted, what="a conversion")
    with urllib.request.urlopen(f"{worker.url}/health", timeout=5) as response:
        assert response.status == 200


def test_the_dashboard_queries_only_what_the_worker_exports(worker: WorkerProcess) -> None:
    _one_of_everything(worker)
    assert worker.metric_sum("omni_deadletters_total", reason="not_json") >= 1
    expected = dashboard_series()
    assert len(expected) >= 10, f"the dashboard queries too little: {sorted(expected)}"
    scraped = {name for name, _labels in worker.metrics()}
    missing = sorted(expected - scraped)
    assert not missing, f"the dashboard queries series the worker does not export: {missing}"


SCRAPE_INTERVAL = "1s"  # the shipped 5 s would only make the test wait longer


@pytest.fixture
def prometheus(worker: WorkerProcess, log_dir: Path) -> Iterator[str]:
    """Debian's Prometheus scraping ``worker`` every second; yields its base URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("prometheus is missing under CI (Debian package prometheus)")
        pytest.skip("prometheus is not installed (Debian package prometheus)")
    directory = log_dir / f"prometheus-{uuid.uuid4().hex[:8]}"
    directory.mkdir(parents=True)
    target = urllib.parse.urlsplit(worker.url).netloc
    config = directory / "prometheus.yml"
    config.write_text(
        "scrape_configs:\n"
        "  - job_name: omnichannel-worker\n"
        f"    scrape_interval: {SCRAPE_INTERVAL}\n"
        f"    scrape_timeout: {SCRAPE_INTERVAL}\n"
        "    metrics_path: /metrics\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    with (directory / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port("127.0.0.1", port, 60, process)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{url}/-/ready"), timeout_s=60, what="Prometheus ready")
        yield url
    finally:
        stop_process(process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:  # refused, or 503 while its storage opens
        return False


def _query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expression})}"
    with urllib.request.urlopen(url, timeout=10) as response:
        answer = orjson.loads(response.read())
    assert answer["status"] == "success", answer
    result = answer["data"]["result"]
    assert isinstance(result, list)
    return result


def _without_numbers(prometheus: str) -> list[str]:
    """The dashboard queries with no sample that is a number. A series of a breakdown may
    be NaN (a route called once, long ago, has no rate), as long as one is drawn."""
    return [
        expression
        for expression in expressions()
        if all(math.isnan(float(sample["value"][1])) for sample in _query(prometheus, expression))
    ]


def test_every_dashboard_query_returns_numbers_on_a_real_prometheus(
    worker: WorkerProcess, prometheus: str, report_figure: Callable[[str], None]
) -> None:
    wait_until(
        lambda: _query(prometheus, "up") and _query(prometheus, "up")[0]["value"][1] == "1",
        timeout_s=60,
        what="Prometheus scraping the worker",
    )
    started = time.monotonic()
    # Rates need an increase between two scrapes and quantiles observations inside their
    # window, so the traffic goes on, a round a scrape, until every query has numbers.
    missing = _without_numbers(prometheus)
    rounds = 0
    while missing and time.monotonic() - started < 120:
        _one_of_everything(worker)
        rounds += 1
        missing = _without_numbers(prometheus)
    report_figure(
        f"Prometheus ({_version()}) scraping a worker every {SCRAPE_INTERVAL}: "
        f"{len(expressions()) - len(missing)}/{len(expressions())} dashboard queries return "
        f"numbers after {rounds} rounds of traffic, {time.monotonic() - started:.1f} s"
    )
    assert not missing, f"dashboard queries with no data on Prometheus: {missing}"


def _version() -> str:
    binary = shutil.which("prometheus") or "prometheus"
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return output.stdout.split(" (")[0] or output.stderr.split(" (")[0]
