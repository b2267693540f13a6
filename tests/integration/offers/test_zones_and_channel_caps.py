"""Issue #14 through the real worker: the customer's own time zone for quiet hours,
an sms channel cap that falls back to email, and a type exempt from the global caps.

One worker with its own rules serves the three scenarios, each with its own customers:
- quiet hours ``[now+6h, now+10h)`` in UTC (the rules' zone), on sms: outside for a
  customer without a zone, inside for one at UTC+8 (``Etc/GMT-8``), whatever the hour
  the test runs at;
- cross-sell on ``["sms", "email"]`` with no cooldown, sms capped at 1 a week (the
  shipped channel cap);
- browse abandonment ``exempt_from_caps``, global caps 1 a day (shipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from models.offers.rules import TriggerType
from models.offers.rules_file import load_rules
from tests.integration.harness import TOKEN, Services, WorkerProcess, call, wait_until
from tests.integration.offer_scenarios import (
    JACKET,
    SHOES,
    SOCKS,
    Customer,
    days_ago,
    rules_for_tests,
    suppressed,
    wait_for,
)

pytestmark = pytest.mark.integration

UTC_PLUS_8 = "Etc/GMT-8"  # IANA: the sign is inverted in the Etc area


def _zone_rules(directory: Path, now: datetime) -> Path:
    start = (now + timedelta(hours=6)).strftime("%H:00")
    end = (now + timedelta(hours=10)).strftime("%H:00")
    path = rules_for_tests(directory)
    text = path.read_text()
    for old, new in (
        ('start = "21:00"', f'start = "{start}"'),
        ('end = "08:00"', f'end = "{end}"'),
        ('timezone = "Europe/Paris"', 'timezone = "UTC"'),
        ("channels = []  #", 'channels = ["sms", "push"]  #'),
    ):
        assert old in text, f"config/offers.toml changed shape: {old!r}"
        text = text.replace(old, new, 1)
    text = _in_section(text, "triggers.cross_sell", 'cooldown = "7d"', 'cooldown = "0s"')
    text = _in_section(
        text,
        "triggers.cross_sell",
        'channels = ["email", "push", "ads"]',
        'channels = ["sms", "email"]',
    )
    text = _in_section(
        text,
        "triggers.browse_abandonment",
        'channels = ["email", "push", "ads"]',
        'channels = ["email", "push", "ads"]\nexempt_from_caps = true',
    )
    path.write_text(text)
    rules = load_rules(path)
    assert rules.triggers[TriggerType.CROSS_SELL].cooldown_ms == 0
    assert rules.caps.exempt_types == frozenset({"browse_abandonment"})
    assert rules.caps.channels["sms"].per_week == 1 and rules.caps.per_day == 1
    return path


def _in_section(text: str, section: str, old: str, new: str) -> str:
    """Replace the first ``old`` of the ``[section]`` table (up to the next table)."""
    start = text.index(f"[{section}]")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    body = text[start:end]
    assert old in body, f"config/offers.toml changed shape: {old!r} in [{section}]"
    return text[:start] + body.replace(old, new, 1) + text[end:]


# When the zoned worker's rules were written: the quiet window is [+6 h, +10 h) from it.
RULES_WRITTEN: list[datetime] = []


@pytest.fixture(scope="module")
def zoned(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    RULES_WRITTEN[:] = [datetime.now(UTC)]
    rules = _zone_rules(log_dir, RULES_WRITTEN[0])
    process = WorkerProcess(
        services,
        log_dir / "workers",
        extra_env={"OFFER_RULES_PATH": str(rules), "API_TOKEN": TOKEN},
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()


def _in_zone(customer: Customer, zone: object) -> None:
    """Give the customer's last event a context.timezone, as Segment's SDKs send it."""
    topic, key, raw = customer.sent[-1]
    document = orjson.loads(raw)
    document["context"]["timezone"] = zone
    customer.sent[-1] = (topic, key, orjson.dumps(document))


def test_quiet_hours_follow_the_customers_own_time_zone(zoned: WorkerProcess) -> None:
    local, unzoned, misreported = Customer(zoned), Customer(zoned), Customer(zoned)
    for customer in (local, unzoned, misreported):
        customer.consent(sms=True, at=days_ago(1))
    _in_zone(local, "Europe/London")  # an older report: the order's newer one wins
    _in_zone(misreported, "Mars/Olympus_Mons")
    for customer in (local, unzoned, misreported):
        customer.flush(settle=True)
    for customer, zone in ((local, UTC_PLUS_8), (unzoned, None), (misreported, "Mars/Olympus")):
        customer.till_order("store-001", [SHOES])
        if zone is not None:
            _in_zone(customer, zone)
        customer.flush()

    held = wait_for(zoned, "cross_sell", local.user, timeout_s=30)
    assert [t["channel"] for t in held] == ["sms"]
    assert "send_after" in held[0]  # night at UTC+8 ...
    for customer in (unzoned, misreported):  # ... afternoon in the rules' UTC
        sent = wait_for(zoned, "cross_sell", customer.user, timeout_s=30)
        assert [t["channel"] for t in sent] == ["sms"]
        assert "send_after" not in sent[0]
    # The window ends at (written + 10 h):00 on the customer's clock, 8 h ahead of UTC.
    end = (RULES_WRITTEN[0] + timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    assert datetime.fromisoformat(held[0]["send_after"]) == end - timedelta(hours=8)

    status, context = call(zoned, f"/customers/{local.user}/context")
    assert (status, context["timezone"]) == (200, UTC_PLUS_8)
    status, context = call(zoned, f"/customers/{misreported.user}/context")
    assert (status, context["timezone"]) == (200, None)
    assert zoned.metric_sum("omni_timezones_ignored_total", reason="unknown_zone") >= 2
    assert zoned.metric_sum("omni_deadletters_total") == 0


def test_an_sms_over_its_weekly_cap_falls_back_to_email(zoned: WorkerProcess) -> None:
    both, sms_only = Customer(zoned), Customer(zoned)
    for customer in (both, sms_only):
        customer.consent(sms=True, email=(customer is both), at=days_ago(4))
        customer.flush(settle=True)
        customer.till_order("store-001", [SHOES], at=days_ago(2))
        customer.flush()
    for customer in (both, sms_only):
        first = wait_for(zoned, "cross_sell", customer.user, timeout_s=30)
        assert [t["channel"] for t in first] == ["sms"]  # the week's one sms
        customer.till_order("store-002", [JACKET])
        customer.flush()

    sent = wait_for(zoned, "cross_sell", both.user, count=2, timeout_s=30)
    assert sorted((t["created_at"], t["channel"]) for t in sent)[-1][1] == "email"
    assert [t["channel"] for t in sent].count("sms") == 1
    assert zoned.metric_sum("omni_channel_fallbacks_total", channel="sms") >= 1

    capped = suppressed(zoned, sms_only.user, "channel_capped", timeout_s=30)
    assert len(capped) == 1
    assert "sms at its cap (1/1 in 7 days)" in capped[0]["reason"]["text"]
    assert len(wait_for(zoned, "cross_sell", sms_only.user, timeout_s=0)) == 1


def test_an_exempt_type_is_sent_while_the_global_cap_is_reached(zoned: WorkerProcess) -> None:
    customer = Customer(zoned)
    customer.consent(email=True, at=days_ago(1))
    customer.flush(settle=True)
    customer.till_order("store-001", [SHOES])
    customer.flush()
    assert len(wait_for(zoned, "cross_sell", customer.user, timeout_s=30)) == 1  # 1/1 today
    customer.till_order("store-002", [SOCKS])
    customer.flush()
    capped = suppressed(zoned, customer.user, "capped", timeout_s=30)
    assert capped and capped[0]["type"] == "cross_sell"  # the global cap is reached

    for _ in range(3):  # browse abandonment, exempt: sent after its delay all the same
        customer.event("clickstream", "Product Viewed", **JACKET)
    customer.flush()
    browse = wait_for(zoned, "remarketing", customer.user, timeout_s=40)
    assert [(t["type"], t["channel"]) for t in browse] == [("browse_abandonment", "email")]
    # Its contact is not counted by the global cap: a later cross-sell still sees 1 today.
    customer.till_order("store-003", [SOCKS])
    customer.flush()
    wait_until(
        lambda: len(suppressed(zoned, customer.user, "capped", timeout_s=0)) >= 2,
        timeout_s=30,
        what="the second capped cross-sell",
    )
    texts = {s["reason"]["text"] for s in suppressed(zoned, customer.user, "capped", timeout_s=0)}
    assert texts == {"contact cap reached: 1/1 today (local day), 1/3 in 7 days"}
