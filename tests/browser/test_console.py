"""The customer console in headless Chromium against a real worker with traffic.

One worker serves the module (its own topics, the test rules: caps of 2 a day and 5 a
week, quiet hours off, the shipped delays so no timer fires meanwhile). Traffic: a
customer who got a cross-sell trigger and has a basket, one whose purchase was
suppressed for want of consent, and two records dead-lettered with ids and an email in
them. Each page is screenshotted into ``.run/artifacts/console/``.
"""

from __future__ import annotations

import http.client
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import pytest

from models.offers.rules_file import DEFAULT_RULES_PATH, RulesError, parse_rules
from tests.integration.harness import TOKEN, Services, WorkerProcess, call, produce
from tests.integration.offer_scenarios import (
    JACKET,
    SHOES,
    Customer,
    days_ago,
    suppressed,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.long]

LEAKY_ID = f"cust-leaky-{uuid.uuid4().hex[:8]}"
LEAKY_EMAIL = f"jane.{uuid.uuid4().hex[:6]}@example.org"


def console_rules(directory: Path) -> tuple[Path, str]:
    text = DEFAULT_RULES_PATH.read_text()
    text = text.replace("max_per_day = 1 ", "max_per_day = 2 ", 1)
    text = text.replace("max_per_week = 3 ", "max_per_week = 5 ", 1)
    text = text.replace('channels = ["sms", "push"]      # channels affected', "channels = []  #")
    rules = parse_rules(tomllib.loads(text))
    assert (rules.caps.per_day, rules.caps.per_week, rules.quiet_hours.channels) == (2, 5, ())
    path = directory / f"console-offers-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(text)
    return path, text


@dataclass
class Traffic:
    worker: WorkerProcess
    rules_text: str
    contacted: Customer  # got a cross-sell trigger, then left a jacket in the basket
    refused: Customer  # bought with no consent: the cross-sell was suppressed


@pytest.fixture(scope="module")
def traffic(services: Services, log_dir: Path) -> Iterator[Traffic]:
    path, text = console_rules(log_dir)
    worker = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={"API_TOKEN": TOKEN, "OFFER_RULES_PATH": str(path)},
    )
    worker.create_topics()
    worker.start()
    try:
        contacted, refused = Customer(worker), Customer(worker)
        contacted.consent(email=True, at=days_ago(1))
        contacted.flush(settle=True)
        contacted.till_order("store-042", [SHOES], at=days_ago(0.001))
        refused.till_order("store-007", [SHOES])
        contacted.flush()
        refused.flush()
        assert wait_for(worker, "cross_sell", contacted.user, timeout_s=30)
        assert suppressed(worker, refused.user, "no_consent", timeout_s=30)
        contacted.event("basket", "Product Added", **JACKET)
        contacted.flush(settle=True)
        hostile = [
            (
                worker.topics.clickstream,
                LEAKY_ID.encode(),
                f'{{"userId": "{LEAKY_ID}", "type": "track", "event": "Cut'.encode(),
            ),
            (
                worker.topics.clickstream,
                LEAKY_ID.encode(),
                orjson.dumps(
                    {
                        "messageId": "m-1",
                        "type": "identify",
                        "userId": LEAKY_ID,
                        "traits": {"email": LEAKY_EMAIL},
                        "context": {"channel": "web"},
                    }
                ),
            ),
        ]
        before = worker.metric_sum("omni_records_consumed_total")
        produce(services.kafka_broker, hostile)
        worker.wait_processed(before + len(hostile), what="the hostile records")
        yield Traffic(worker, text, contacted, refused)
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def page(browser: Any, traffic: Traffic) -> Iterator[Any]:
    """One logged-out tab at 1366x768, shared by the module's tests in order."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def reload_until(page: Any, text: str, timeout_s: float = 15.0) -> None:
    """Reload until the page shows ``text`` (what a worker writes after a Kafka send)."""
    deadline = time.monotonic() + timeout_s
    while text not in page.content():
        assert time.monotonic() < deadline, f"{text!r} never appeared on {page.url}"
        page.reload()


def find(page: Any, worker: WorkerProcess, customer_id: str) -> None:
    page.get_by_role("link", name="Find a customer", exact=True).click()
    page.fill("#customer_id", customer_id)
    page.click("button:text('Find')")
    assert urlsplit(page.url).path == f"/console/customers/{quote(customer_id, safe='')}"
    assert not urlsplit(page.url).query


def test_login_with_the_token_sets_a_strict_httponly_session(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    worker = traffic.worker
    page.goto(f"{worker.url}/console/find")
    assert urlsplit(page.url).path == "/console/login"  # no session: to the login page
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert "That token is not valid." in page.inner_text("[role=alert]")
    page.fill("#token", TOKEN)
    screenshot(page, "login")
    page.click("button[type=submit]")
    assert urlsplit(page.url).path == "/console/find"
    (cookie,) = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/console")
    assert TOKEN not in cookie["value"]
    screenshot(page, "find")


def test_the_contacted_customer_360_and_the_trigger_they_got(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    who = traffic.contacted
    find(page, traffic.worker, who.user)
    main = page.inner_text("main")
    for shown in (who.user, "store-042", "JAC-001", "SHO-001", "shoes", "email"):
        assert shown in main, shown
    screenshot(page, "customer-360")
    page.get_by_role("link", name="Decision trace", exact=True).click()
    reload_until(page, "complements_purchase")
    history = page.locator("table", has_text="Recent decisions").inner_text()
    assert "cross_sell" in history and "sent" in history
    best = page.locator("table", has_text="Every candidate").inner_text()
    assert "abandoned_basket" in best and "best" in best
    pressure = page.inner_text("main")
    assert "1 of 2" in pressure  # one contact against a daily cap of 2
    screenshot(page, "decision-trace")


def test_the_suppressed_customer_and_the_reason(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    find(page, traffic.worker, traffic.refused.user)
    page.get_by_role("link", name="Decision trace", exact=True).click()
    reload_until(page, "no_consent")
    history = page.locator("table", has_text="Recent decisions").inner_text()
    assert "suppressed" in history and "no consent for email, push, ads" in history
    screenshot(page, "decision-trace-suppressed")


def test_validate_shows_the_workers_field_path_error(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    page.get_by_role("link", name="Rules", exact=True).click()
    assert traffic.rules_text.strip() == page.input_value("#rules").strip()
    screenshot(page, "rules")
    broken = traffic.rules_text.replace('delay = "30m"', 'delay = "30 minutes"', 1)
    with pytest.raises(RulesError) as refused:
        parse_rules(tomllib.loads(broken))
    page.fill("#rules", broken)
    page.click("button:text('Validate')")
    error = page.inner_text("[role=alert]")
    assert str(refused.value) in error  # the worker's words, field path first
    assert "triggers.abandoned_basket.delay" in error
    screenshot(page, "rules-invalid")


def test_what_if_with_a_stricter_cap_flips_the_verdict(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    before = traffic.worker.metric_sum("omni_triggers_emitted_total")
    page.get_by_role("link", name="Rules", exact=True).click()
    stricter = traffic.rules_text.replace("max_per_day = 2 ", "max_per_day = 1 ", 1)
    page.fill("#rules", stricter)
    page.fill("#whatif-customer", traffic.contacted.user)
    page.click("button:text('What if')")
    changes = page.locator("table", has_text="Verdicts that change").inner_text()
    row = next(line for line in changes.splitlines() if line.startswith("abandoned_basket"))
    assert "best" in row and "capped" in row, changes
    pasted = page.locator("table", has_text="under the pasted rules").inner_text()
    assert "contact cap reached: 1/1 today (local day)" in pasted
    screenshot(page, "rules-what-if")
    assert traffic.worker.metric_sum("omni_triggers_emitted_total") == before  # nothing sent


def test_live_shows_masked_dead_letters_triggers_and_suppressions(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path]
) -> None:
    page.get_by_role("link", name="Live", exact=True).click()
    main = page.inner_text("main")
    for shown in ("not_json", "cross_sell", "no_consent", "SHO-001", "Records read".upper()):
        assert shown in main, shown
    assert LEAKY_ID not in page.content() and LEAKY_EMAIL not in page.content()
    assert "cu•••(" in main  # the ids are there, masked
    screenshot(page, "live")


def test_export_then_erase_with_confirmation_and_the_customer_is_gone(
    page: Any, traffic: Traffic, screenshot: Callable[[Any, str], Path], tmp_path: Path
) -> None:
    who = traffic.refused.user
    find(page, traffic.worker, who)
    page.get_by_role("link", name="Export or erase", exact=True).click()
    screenshot(page, "export-or-erase")
    with page.expect_download() as download:
        page.click("text=Download the export")
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    assert orjson.loads(saved.read_bytes())["identity"]["id"] == who
    page.click("text=Continue to erasure")
    screenshot(page, "erase-confirm")
    page.fill("#confirm_id", "someone-else")
    page.click("button:text('Erase permanently')")
    assert "does not match" in page.inner_text("[role=alert]")
    assert call(traffic.worker, f"/customers/{who}/context")[0] == 200  # not erased
    page.fill("#confirm_id", who)
    page.click("button:text('Erase permanently')")
    assert "was erased" in page.inner_text("[role=status]")
    screenshot(page, "erased")
    page.get_by_role("link", name="Find a customer", exact=True).click()
    page.fill("#customer_id", who)
    page.click("button:text('Find')")
    assert "No customer has that id." in page.inner_text("[role=alert]")
    assert call(traffic.worker, f"/customers/{who}/context")[0] == 404


def test_forms_without_the_csrf_token_or_from_elsewhere_are_refused(
    page: Any, traffic: Traffic
) -> None:
    worker = traffic.worker
    session = next(c for c in page.context.cookies() if c["name"] == "omni_console")
    cookie = f"omni_console={session['value']}"
    target = f"/console/customers/{traffic.contacted.user}/erase"
    form = f"confirm_id={traffic.contacted.user}"
    assert _post(worker, target, form, cookie)[0] == 403  # no csrf field
    assert _post(worker, target, form + "&csrf=forged", cookie)[0] == 403
    csrf = page.get_attribute("input[name=csrf]", "value")
    status, _headers = _post(
        worker, target, f"{form}&csrf={csrf}", cookie, origin="http://evil.example"
    )
    assert status == 403
    status, headers = _post(worker, target, f"{form}&csrf={csrf}", cookie=None)
    assert (status, headers.get("Location")) == (303, "/console/login")
    assert call(worker, f"/customers/{traffic.contacted.user}/context")[0] == 200
    assert call(worker, "/trends", token=None)[0] == 401  # the API's bearer auth as before


def test_the_worker_log_holds_no_customer_id(traffic: Traffic) -> None:
    log = traffic.worker.log_tail(lines=100_000)
    for secret in (traffic.contacted.user, traffic.refused.user, LEAKY_ID, LEAKY_EMAIL, TOKEN):
        assert secret not in log


def _post(
    worker: WorkerProcess, path: str, body: str, cookie: str | None, origin: str | None = None
) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", worker.web_port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()
