"""When the next contact is allowed, by the caps rule of models.offers.pressure, and how
the console shows the caps."""

from __future__ import annotations

from models.offers.pressure import DAY_MS, WEEK_MS, Contact, ContactAsk, pressure_verdict
from models.offers.rules import ChannelCaps, ContactCaps, TriggerType
from models.offers.rules_file import DEFAULT_RULES_PATH, parse_rules
from models.timezones import local_day_ms
from streams.pipeline.live_rules import LiveRules
from streams.web.console.rules import _page
from streams.web.console.trace import channel_cap_facts, next_contact_ms
from tests.unit.offers.rules_file_support import document

NOW = 1_700_000_000_000  # 2023-11-14T22:13:20Z
MIDNIGHT_UTC = 1_700_006_400_000  # 2023-11-15T00:00Z


def contact(at_ms: int, n: int = 0) -> Contact:
    return Contact(f"t{n}-{at_ms}", TriggerType.CROSS_SELL, at_ms, "email")


def test_no_contact_means_now() -> None:
    assert next_contact_ms([], ContactCaps(1, 3), NOW) == NOW


def test_the_daily_cap_opens_at_the_next_local_midnight() -> None:
    contacts = [contact(NOW - 3_600_000)]
    assert next_contact_ms(contacts, ContactCaps(1, 3), NOW) == MIDNIGHT_UTC
    assert next_contact_ms(contacts, ContactCaps(2, 3), NOW) == NOW
    # In Tokyo (UTC+9) it is already 07:13 on the 15th, and the contact was at 06:13 that day.
    tokyo_midnight = MIDNIGHT_UTC + DAY_MS - 9 * 3_600_000
    assert next_contact_ms(contacts, ContactCaps(1, 3), NOW, "Asia/Tokyo") == tokyo_midnight


def test_channel_caps_show_against_their_own_limits() -> None:
    caps = ContactCaps(1, 3, {"sms": ChannelCaps(per_week=1), "push": ChannelCaps(2, 4)})
    contacts = [
        contact(NOW - 2 * DAY_MS),
        Contact("s", TriggerType.CROSS_SELL, NOW - DAY_MS, "sms"),
    ]
    assert channel_cap_facts(contacts, caps, NOW, "UTC") == {
        "push (channel cap)": "0 of 2 today, 0 of 4 in 7 days",
        "sms (channel cap)": "1 of 1 in 7 days",
    }


def test_the_weekly_cap_opens_when_the_oldest_leaves_the_week() -> None:
    contacts = [contact(NOW - n * DAY_MS - 1, n) for n in (1, 2, 3)]
    assert next_contact_ms(contacts, ContactCaps(1, 3), NOW) == NOW - 3 * DAY_MS - 1 + WEEK_MS


def test_the_answer_agrees_with_the_engines_verdict() -> None:
    caps = ContactCaps(2, 3)
    contacts = [
        contact(NOW - 5 * DAY_MS, 1),
        contact(NOW - 2 * 3_600_000, 2),
        contact(NOW - 3_600_000, 3),
    ]
    for zone in ("UTC", "America/New_York", "Asia/Tokyo"):
        moment = next_contact_ms(contacts, caps, NOW, zone)
        assert pressure_verdict(contacts, _ask(moment, zone), caps).reason is None
        assert pressure_verdict(contacts, _ask(moment - 1, zone), caps).reason is not None


def _ask(at_ms: int, zone: str) -> ContactAsk:
    start, end = local_day_ms(at_ms, zone)
    return ContactAsk("new", TriggerType.REACTIVATION.value, at_ms, 0, start, end, ("email",))


def test_the_rules_page_shows_channel_caps_exemptions_and_whose_clock() -> None:
    doc = document()
    doc["contact_pressure"]["channels"]["push"] = {"max_per_day": 1, "max_per_week": 4}
    doc["triggers"]["cross_sell"]["exempt_from_caps"] = True
    effect = LiveRules(DEFAULT_RULES_PATH)
    html = _page("csrf", effect, parse_rules(doc), "", "", None)
    for shown in (
        "push cap</dt><dd>1 a day, 4 a week",
        "sms cap</dt><dd>1 a week",
        "Exempt from the caps</dt><dd>cross_sell",
        "the customer&#x27;s time, else Europe/Paris",
    ):
        assert shown in html, shown


def test_the_rules_page_shows_each_types_holdout() -> None:
    doc = document()
    doc["triggers"]["cross_sell"]["holdout"] = 12.5
    html = _page("csrf", LiveRules(DEFAULT_RULES_PATH), parse_rules(doc), "", "", None)
    assert "<td>12.5 %, conversions within 7 days</td>" in html
    assert "<td>none</td>" in html  # the other types hold nobody out
