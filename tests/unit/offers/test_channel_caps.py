"""Per-channel caps (fallback to the next consented channel), cap exemptions, and the
daily cap on the customer's local calendar day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from models.context import CustomerContext
from models.context.timezone import ZoneChoice
from models.offers.channels import ChannelChoice, consented_channels
from models.offers.pressure import (
    ChannelCount,
    Contact,
    PressureVerdict,
    contact_ask,
    granted_choice,
    pressure_text,
    pressure_verdict,
)
from models.offers.rules import (
    ChannelCaps,
    ContactCaps,
    ContactChannel,
    QuietHours,
    SuppressionReason,
    TriggerType,
)
from tests.unit.offers.support import EMAIL, PUSH, SMS, USER, trigger_rule, with_consent
from tests.unit.test_context_support import DAY, ms

CROSS, REACT = TriggerType.CROSS_SELL, TriggerType.REACTIVATION
HOUR = 3_600_000
SMS_WEEKLY = ContactCaps(per_day=2, per_week=5, channels={"sms": ChannelCaps(per_week=1)})
QUIET = QuietHours()  # 21:00-08:00 Europe/Paris, sms and push
REACT_RULE = trigger_rule(REACT, channels=(SMS, EMAIL, PUSH), cooldown_ms=0)


def at(year: int, month: int, day: int, hour: int, minute: int = 0, zone: str = "UTC") -> int:
    return ms(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)))


T = at(2026, 6, 10, 12)


def judge(
    history: Sequence[Contact],
    at_ms: int = T,
    caps: ContactCaps = SMS_WEEKLY,
    channels: tuple[str, ...] = ("sms", "email", "push"),
    kind: TriggerType = REACT,
    zone: str = "UTC",
    trigger_id: str = "new",
) -> PressureVerdict:
    rule = trigger_rule(kind, cooldown_ms=0)
    options = tuple(ChannelChoice(ContactChannel(name)) for name in channels)
    return pressure_verdict(history, contact_ask(trigger_id, rule, at_ms, zone, options), caps)


# --------------------------------------------------------------------------- channel caps


def test_a_channel_under_its_cap_is_granted() -> None:
    verdict = judge([])
    assert (verdict.reason, verdict.channel, verdict.skipped) == (None, "sms", ())


def test_a_channel_at_its_cap_falls_back_to_the_next_consented_one() -> None:
    past = [Contact("s", CROSS, T - 3 * DAY, "sms")]
    verdict = judge(past)
    assert (verdict.reason, verdict.channel) == (None, "email")
    assert verdict.skipped == (ChannelCount("sms", 0, 1),)
    assert pressure_text(verdict, SMS_WEEKLY, 0) == (
        "within the contact caps: 0/2 today (local day), 1/5 in 7 days; "
        "sms at its cap (1/1 in 7 days), so email"
    )


def test_with_every_channel_at_its_cap_the_decision_is_channel_capped() -> None:
    caps = replace(SMS_WEEKLY, channels={"sms": ChannelCaps(per_week=1), "email": ChannelCaps(1)})
    past = [Contact("s", CROSS, T - 3 * DAY, "sms"), Contact("e", CROSS, T - HOUR, "email")]
    verdict = judge(past, caps=caps, channels=("sms", "email"))
    assert verdict.reason is SuppressionReason.CHANNEL_CAPPED
    assert verdict.channel is None
    assert pressure_text(verdict, caps, 0) == (
        "every consented channel is at its own cap: sms at its cap (1/1 in 7 days); "
        "email at its cap (1/1 today)"
    )


def test_channel_caps_come_on_top_of_the_global_caps() -> None:
    past = [Contact("e1", CROSS, T - HOUR, "email"), Contact("e2", CROSS, T - 2 * HOUR, "email")]
    assert judge(past).reason is SuppressionReason.CAPPED  # 2/2 today, whatever the channel


def test_a_channel_cap_counts_only_its_own_channel_and_its_own_windows() -> None:
    caps = ContactCaps(5, 9, {"push": ChannelCaps(per_day=1, per_week=2)})
    yesterday = [Contact("p", CROSS, T - DAY, "push"), Contact("e", CROSS, T - HOUR, "email")]
    assert judge(yesterday, caps=caps, channels=("push",)).channel == "push"
    twice = [*yesterday, Contact("p2", CROSS, T - 2 * DAY, "push")]
    assert judge(twice, caps=caps, channels=("push",)).reason is SuppressionReason.CHANNEL_CAPPED


def test_a_re_emission_keeps_the_channel_it_was_reserved_on() -> None:
    past = [Contact("new", REACT, T - HOUR, "email"), Contact("s", CROSS, T - DAY, "sms")]
    assert judge(past).channel == "email"


def test_the_granted_choice_carries_its_quiet_hours_and_names_the_skipped_channel() -> None:
    context = with_consent(CustomerContext(user_id="u-1"), sms=True, email=True)
    night = at(2026, 6, 10, 23, zone="Europe/Paris")
    options = consented_channels(REACT_RULE, context, USER, QUIET, night)
    assert [o.channel for o in options] == [SMS, EMAIL]
    assert options[0].send_after_ms is not None  # sms is held in quiet hours; email is not
    past = [Contact("s", CROSS, night - 2 * DAY, "sms")]
    verdict = judge(past, at_ms=night, zone="Europe/Paris")
    choice = granted_choice(options, verdict, SMS_WEEKLY)
    assert (choice.channel, choice.send_after_ms) == (EMAIL, None)
    assert choice.detail == "email: next consented channel (sms at its cap (1/1 in 7 days))"


# --------------------------------------------------------------------------- exemptions


def test_an_exempt_type_passes_the_global_caps_and_is_not_counted_by_them() -> None:
    caps = ContactCaps(1, 3, exempt_types=frozenset({REACT.value}))
    capped = [Contact("c", CROSS, T - HOUR, "email")]
    assert judge(capped, caps=caps, kind=REACT, channels=("email",)).reason is None
    assert judge(capped, caps=caps, kind=CROSS, channels=("email",)).reason is (
        SuppressionReason.CAPPED
    )
    exempt_sent = [Contact("r", REACT, T - HOUR, "email")]
    verdict = judge(exempt_sent, caps=caps, kind=CROSS, channels=("email",))
    assert (verdict.reason, verdict.day_count, verdict.week_count) == (None, 0, 0)


def test_an_exempt_type_still_obeys_cooldown_and_channel_caps() -> None:
    caps = replace(SMS_WEEKLY, per_day=1, exempt_types=frozenset({REACT.value}))
    past = [Contact("s", CROSS, T - HOUR, "sms")]
    verdict = judge(past, caps=caps, channels=("sms",))
    assert verdict.reason is SuppressionReason.CHANNEL_CAPPED
    rule = trigger_rule(REACT, cooldown_ms=DAY)
    options = (ChannelChoice(EMAIL),)
    ask = contact_ask("new", rule, T, "UTC", options)
    cooling = [Contact("r", REACT, T - HOUR, "email")]
    assert pressure_verdict(cooling, ask, caps).reason is SuppressionReason.COOLDOWN
    assert pressure_text(judge([], caps=caps), caps, 0, exempt=True).startswith(
        "exempt from the contact caps"
    )


# --------------------------------------------------------------------------- the local day


def test_the_daily_cap_counts_from_the_customers_local_midnight() -> None:
    # 23:30 in New York is 03:30 UTC the next day: the same local day as 08:00 there.
    morning, late = (
        at(2026, 6, 10, 8, zone="America/New_York"),
        at(2026, 6, 10, 23, 30, "America/New_York"),
    )
    past = [Contact("m", CROSS, morning, "email")]
    caps = ContactCaps(1, 3)
    assert judge(past, late, caps, ("email",), zone="America/New_York").reason is (
        SuppressionReason.CAPPED
    )
    # In UTC the two are different days.
    assert judge(past, late, caps, ("email",), zone="UTC").reason is None
    after_midnight = at(2026, 6, 11, 0, 1, "America/New_York")
    assert judge(past, after_midnight, caps, ("email",), zone="America/New_York").reason is None


def test_the_local_day_is_dst_correct() -> None:
    # Paris springs forward on 2026-03-29: that day is 23 hours long.
    caps = ContactCaps(1, 3)
    first = at(2026, 3, 29, 0, 30, "Europe/Paris")
    last = at(2026, 3, 29, 23, 59, "Europe/Paris")
    assert last - first == 22 * HOUR + 29 * 60_000  # a 24 h rolling window would hold both
    past = [Contact("a", CROSS, first, "email")]
    assert judge(past, last, caps, ("email",), zone="Europe/Paris").reason is (
        SuppressionReason.CAPPED
    )
    next_day = at(2026, 3, 30, 0, 0, "Europe/Paris")
    assert judge(past, next_day, caps, ("email",), zone="Europe/Paris").reason is None
    # Fall back on 2026-10-25: 25 hours; 00:10 and 23:50 are 24 h 40 min apart, one day.
    early, late = at(2026, 10, 25, 0, 10, "Europe/Paris"), at(2026, 10, 25, 23, 50, "Europe/Paris")
    assert late - early > DAY
    verdict = judge(
        [Contact("a", CROSS, early, "email")], late, caps, ("email",), zone="Europe/Paris"
    )
    assert verdict.reason is SuppressionReason.CAPPED


def test_quiet_hours_follow_the_customers_zone() -> None:
    context = with_consent(CustomerContext(user_id="u-1"), sms=True)
    # 22:00 in Paris (quiet there) is 16:00 in New York (not quiet there).
    evening = at(2026, 6, 10, 22, zone="Europe/Paris")
    rule = trigger_rule(REACT, channels=(SMS,))
    assert consented_channels(rule, context, USER, QUIET, evening)[0].send_after_ms is not None
    local = replace(context, timezone=ZoneChoice("America/New_York", 0))
    choice = consented_channels(rule, local, USER, QUIET, evening)[0]
    assert choice.send_after_ms is None
    # 23:00 in New York is quiet there, and ends at 08:00 New York time.
    night = at(2026, 6, 10, 23, zone="America/New_York")
    choice = consented_channels(rule, local, USER, QUIET, night)[0]
    assert choice.send_after_ms == at(2026, 6, 11, 8, zone="America/New_York")
    assert "America/New_York" in choice.detail
