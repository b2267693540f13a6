"""When the next contact is allowed, by the caps rule of models.offers.pressure."""

from __future__ import annotations

from models.offers.pressure import DAY_MS, WEEK_MS, Contact, pressure_verdict
from models.offers.rules import ContactCaps, TriggerType
from streams.web.console.trace import next_contact_ms

NOW = 1_700_000_000_000


def contact(at_ms: int, n: int = 0) -> Contact:
    return Contact(f"t{n}-{at_ms}", TriggerType.CROSS_SELL, at_ms, "email")


def test_no_contact_means_now() -> None:
    assert next_contact_ms([], ContactCaps(1, 3), NOW) == NOW


def test_the_daily_cap_opens_a_day_after_the_contact() -> None:
    contacts = [contact(NOW - 3_600_000)]
    assert next_contact_ms(contacts, ContactCaps(1, 3), NOW) == NOW - 3_600_000 + DAY_MS
    assert next_contact_ms(contacts, ContactCaps(2, 3), NOW) == NOW


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
    moment = next_contact_ms(contacts, caps, NOW)
    allowed = pressure_verdict(contacts, "new", TriggerType.REACTIVATION, moment, caps, 0)
    before = pressure_verdict(contacts, "new", TriggerType.REACTIVATION, moment - 1, caps, 0)
    assert allowed.reason is None and before.reason is not None
