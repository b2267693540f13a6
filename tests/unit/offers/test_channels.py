"""Channel choice: consent order, anonymous visitors, quiet hours across DST."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from models.context import CustomerContext
from models.offers.channels import choose_channel, quiet_end_ms
from models.offers.rules import QuietHours, TriggerRule, TriggerType
from tests.unit.offers.support import (
    ADS,
    EMAIL,
    PUSH,
    SMS,
    USER,
    VISITOR,
    trigger_rule,
    with_consent,
)
from tests.unit.test_context_support import ms

PARIS = ZoneInfo("Europe/Paris")
QUIET = QuietHours()  # 21:00-08:00 Europe/Paris, sms and push
W2S = trigger_rule(TriggerType.WEB_TO_STORE)  # push, sms, email
BASKET = trigger_rule(TriggerType.ABANDONED_BASKET)  # email, push, ads


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return ms(datetime(year, month, day, hour, minute, tzinfo=PARIS))


NOON = paris(2024, 6, 1, 14)


def customer(**choices: bool) -> CustomerContext:
    return with_consent(CustomerContext(user_id="u-1"), **choices)


def visitor(**choices: bool) -> CustomerContext:
    return with_consent(CustomerContext(anonymous_ids=("anon-1",)), **choices)


def pick(rule: TriggerRule, context: CustomerContext, now_ms: int = NOON) -> object:
    person = USER if context.user_id else VISITOR
    return choose_channel(rule, context, person, QUIET, now_ms).channel


# --------------------------------------------------------------------------- consent


def test_the_first_consented_channel_of_the_rule_wins() -> None:
    assert pick(W2S, customer(email=True, sms=True, push=True)) is PUSH
    assert pick(W2S, customer(email=True, sms=True)) is SMS
    assert pick(W2S, customer(email=True)) is EMAIL


def test_a_refused_channel_is_skipped() -> None:
    assert pick(W2S, customer(push=False, email=True)) is EMAIL


def test_no_consent_no_channel() -> None:
    choice = choose_channel(W2S, customer(ads=True), USER, QUIET, NOON)
    assert choice.channel is None
    assert choice.send_after_ms is None
    assert "push, sms, email" in choice.detail
    assert pick(W2S, CustomerContext(user_id="u-1")) is None


def test_anonymous_visitors_only_get_ads_with_ads_consent() -> None:
    assert pick(BASKET, visitor(email=True, push=True, ads=True)) is ADS
    assert pick(BASKET, visitor(email=True, push=True)) is None
    no_ads = choose_channel(W2S, visitor(ads=True, push=True), VISITOR, QUIET, NOON)
    assert no_ads.channel is None
    assert "only ads" in no_ads.detail


# --------------------------------------------------------------------------- quiet hours


def test_outside_quiet_hours_nothing_is_held() -> None:
    choice = choose_channel(W2S, customer(push=True), USER, QUIET, NOON)
    assert choice.channel is PUSH and choice.send_after_ms is None


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (paris(2024, 6, 1, 21), paris(2024, 6, 2, 8)),  # the window's first minute
        (paris(2024, 6, 1, 23, 30), paris(2024, 6, 2, 8)),  # before midnight: tomorrow
        (paris(2024, 6, 2, 0, 30), paris(2024, 6, 2, 8)),  # after midnight: today
        (paris(2024, 6, 2, 7, 59), paris(2024, 6, 2, 8)),
    ],
)
def test_inside_the_wrapping_window_the_channel_is_kept_until_its_end(now: int, end: int) -> None:
    choice = choose_channel(W2S, customer(push=True), USER, QUIET, now)
    assert choice.channel is PUSH
    assert choice.send_after_ms == end
    assert "quiet hours" in choice.detail


def test_the_window_end_itself_is_not_quiet() -> None:
    assert quiet_end_ms(QUIET, paris(2024, 6, 2, 8)) is None
    assert quiet_end_ms(QUIET, paris(2024, 6, 1, 20, 59)) is None


def test_channels_outside_the_quiet_list_are_sent_at_night() -> None:
    choice = choose_channel(W2S, customer(email=True), USER, QUIET, paris(2024, 6, 1, 23))
    assert choice.channel is EMAIL and choice.send_after_ms is None


def test_the_window_end_follows_the_spring_forward_clock() -> None:
    # The night the clocks go forward (31 March 2024) is an hour shorter.
    now = paris(2024, 3, 30, 23)
    end = quiet_end_ms(QUIET, now)
    assert end == paris(2024, 3, 31, 8)
    assert end is not None and end - now == 8 * 3_600_000


def test_the_window_end_follows_the_fall_back_clock() -> None:
    # The night the clocks go back (27 October 2024) is an hour longer.
    now = paris(2024, 10, 26, 23)
    end = quiet_end_ms(QUIET, now)
    assert end == paris(2024, 10, 27, 8)
    assert end is not None and end - now == 10 * 3_600_000


def test_an_end_time_skipped_by_the_clock_change_falls_after_the_jump() -> None:
    quiet = QuietHours(start=time(1, 0), end=time(2, 30))
    end = quiet_end_ms(quiet, paris(2024, 3, 31, 1, 30))
    # 02:30 does not exist that night; the old offset puts it at 03:30 local time.
    assert end == paris(2024, 3, 31, 3, 30)


def test_a_window_within_one_day_and_an_empty_window() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(14, 0), timezone="America/New_York")
    new_york = ZoneInfo("America/New_York")
    at_one = ms(datetime(2024, 6, 1, 13, 0, tzinfo=new_york))
    assert quiet_end_ms(lunch, at_one) == ms(datetime(2024, 6, 1, 14, 0, tzinfo=new_york))
    assert quiet_end_ms(lunch, ms(datetime(2024, 6, 1, 23, 0, tzinfo=new_york))) is None
    never = QuietHours(start=time(8, 0), end=time(8, 0))
    assert quiet_end_ms(never, paris(2024, 6, 1, 8)) is None
