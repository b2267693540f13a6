"""Contact pressure: caps, cooldown and re-emission, in event time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from models.offers.pressure import (
    DAY_MS,
    HISTORY_MS,
    WEEK_MS,
    Contact,
    ContactAsk,
    PressureVerdict,
    contact_documents,
    pressure_text,
    pressure_verdict,
)
from models.offers.rules import ContactCaps, SuppressionReason, TriggerType
from models.timezones import local_day_ms
from tests.unit.offers.support import HOUR
from tests.unit.test_context_support import DAY

CAPPED, COOLDOWN = SuppressionReason.CAPPED, SuppressionReason.COOLDOWN
BASKET, CROSS, REACT = (
    TriggerType.ABANDONED_BASKET,
    TriggerType.CROSS_SELL,
    TriggerType.REACTIVATION,
)
T = 1_717_243_200_000  # 2024-06-01T12:00Z
CAPS = ContactCaps(per_day=1, per_week=3)


def verdict(
    past: list[Contact],
    at_ms: int,
    kind: TriggerType = CROSS,
    caps: ContactCaps = CAPS,
    cooldown_ms: int = 0,
    trigger_id: str = "new",
) -> SuppressionReason | None:
    return judge(past, trigger_id, kind, at_ms, caps, cooldown_ms).reason


def judge(
    past: Sequence[Contact],
    trigger_id: str,
    kind: TriggerType,
    at_ms: int,
    caps: ContactCaps = CAPS,
    cooldown_ms: int = 0,
    *,
    zone: str = "UTC",
    channels: tuple[str, ...] = ("email",),
) -> PressureVerdict:
    start, end = local_day_ms(at_ms, zone)
    ask = ContactAsk(trigger_id, kind.value, at_ms, cooldown_ms, start, end, channels)
    return pressure_verdict(past, ask, caps)


def test_a_first_contact_is_allowed() -> None:
    assert verdict([], T) is None


def test_the_day_cap_counts_the_local_calendar_day() -> None:
    past = [Contact("a", BASKET, T - 11 * HOUR)]  # 01:00 the same day
    assert verdict(past, T) is CAPPED
    assert verdict(past, T, caps=ContactCaps(per_day=2, per_week=3)) is None
    # 13 hours ago was yesterday: a new day, whatever the hours between.
    assert verdict([Contact("a", BASKET, T - 13 * HOUR)], T) is None


def test_the_day_ends_at_local_midnight() -> None:
    midnight = T + 12 * HOUR
    past = [Contact("a", BASKET, midnight - 1)]
    assert verdict(past, midnight - 2) is CAPPED
    assert verdict(past, midnight) is None


def test_the_week_cap_counts_the_last_7_days() -> None:
    past = [Contact(f"c{i}", BASKET, T - i * 2 * DAY) for i in (1, 2, 3)]  # 2, 4, 6 days ago
    assert verdict(past, T) is CAPPED
    assert verdict(past, T, caps=ContactCaps(per_day=1, per_week=4)) is None


def test_a_contact_exactly_7_days_ago_no_longer_counts() -> None:
    past = [
        Contact("a", BASKET, T - 7 * DAY),
        *(Contact(f"c{i}", BASKET, T - i * DAY) for i in (2, 4)),
    ]
    assert verdict(past, T) is None
    assert verdict(past, T - 1) is CAPPED


def test_cooldown_is_per_type() -> None:
    past = [Contact("a", CROSS, T - 3 * DAY)]
    assert verdict(past, T, CROSS, cooldown_ms=7 * DAY) is COOLDOWN
    assert verdict(past, T, REACT, cooldown_ms=7 * DAY) is None
    assert verdict(past, T, CROSS, cooldown_ms=3 * DAY) is None  # exactly the cooldown ago


def test_cooldown_is_checked_before_caps() -> None:
    past = [Contact("a", CROSS, T - HOUR)]
    assert verdict(past, T, CROSS, cooldown_ms=DAY) is COOLDOWN
    assert verdict(past, T, REACT, cooldown_ms=DAY) is CAPPED


def test_re_emitting_the_same_trigger_is_not_a_new_contact() -> None:
    past = [Contact("same", CROSS, T - HOUR)]
    assert verdict(past, T, CROSS, cooldown_ms=DAY, trigger_id="same") is None


def test_contacts_after_the_decision_time_count_too() -> None:
    # A late event decides behind a recorded contact: it must still see it.
    later = [Contact("a", CROSS, T)]
    assert verdict(later, T - 2 * HOUR, CROSS, cooldown_ms=DAY) is COOLDOWN
    assert verdict(later, T - 2 * HOUR, CROSS, cooldown_ms=0) is CAPPED
    assert verdict(later, T - DAY, CROSS, cooldown_ms=0) is None


def test_zero_caps_allow_nothing_new() -> None:
    assert verdict([], T, caps=ContactCaps(per_day=0, per_week=3)) is CAPPED


def test_a_contact_of_an_unknown_type_still_counts_against_the_caps() -> None:
    past = (Contact("t1", CROSS, T - HOUR), Contact("t2", "from_the_future", T - 2 * HOUR))
    caps = ContactCaps(per_day=2, per_week=3)
    assert judge(past, "t3", REACT, T, caps, 0).reason is CAPPED


def test_a_verdict_counts_the_contacts_within_a_day_and_a_week_either_way() -> None:
    past = [
        Contact("a", CROSS, T - HOUR),
        Contact("b", BASKET, T + 2 * HOUR),  # decided late, behind a recorded contact
        Contact("c", BASKET, T - 3 * DAY),
        Contact("d", BASKET, T - 8 * DAY),
    ]
    roomy = ContactCaps(per_day=5, per_week=5)
    assert judge(past, "new", REACT, T, roomy, 0) == PressureVerdict(None, 2, 3, "email")
    assert judge(past, "new", REACT, T, CAPS, 0) == PressureVerdict(CAPPED, 2, 3)
    assert judge(past, "new", CROSS, T, CAPS, DAY) == PressureVerdict(COOLDOWN, 2, 3)
    assert judge(past, "a", CROSS, T, CAPS, DAY) == PressureVerdict(None, 2, 3)


def test_the_verdict_in_words() -> None:
    caps = ContactCaps(per_day=1, per_week=3)
    capped = PressureVerdict(CAPPED, 1, 1)
    assert pressure_text(capped, caps, DAY) == (
        "contact cap reached: 1/1 today (local day), 1/3 in 7 days"
    )
    cooldown = PressureVerdict(COOLDOWN, 0, 2)
    assert pressure_text(cooldown, caps, DAY) == "same offer type sent less than 24 h ago"
    assert pressure_text(cooldown, caps, 30 * DAY) == ("same offer type sent less than 30 days ago")
    allowed = PressureVerdict(None, 0, 2)
    assert (
        pressure_text(allowed, caps, DAY)
        == "within the contact caps: 0/1 today (local day), 2/3 in 7 days"
    )


def test_the_constants_the_reservation_script_mirrors() -> None:
    assert (DAY_MS, WEEK_MS, HISTORY_MS) == (86_400_000, 604_800_000, 8 * 86_400_000)


def test_contacts_render_newest_first_for_the_context_document() -> None:
    contacts = [
        Contact("t1", CROSS, T - DAY, "email"),
        Contact("t2", "from_the_future", T, "sms"),
        Contact("t3", BASKET, T - DAY),
    ]
    assert contact_documents(contacts) == [
        {
            "trigger_id": "t2",
            "type": "from_the_future",
            "channel": "sms",
            "at": "2024-06-01T12:00:00Z",
        },
        {
            "trigger_id": "t1",
            "type": "cross_sell",
            "channel": "email",
            "at": "2024-05-31T12:00:00Z",
        },
        {
            "trigger_id": "t3",
            "type": "abandoned_basket",
            "channel": None,
            "at": "2024-05-31T12:00:00Z",
        },
    ]
    assert contact_documents([]) == []


def _worst_window(times: list[int], span: int) -> int:
    return max((sum(s <= t < s + span for t in times) for s in times), default=0)


def _busiest_day(times: list[int]) -> int:
    return max(Counter(t // DAY for t in times).values(), default=0)  # UTC calendar days


@given(
    attempts=st.lists(
        st.tuples(st.integers(0, 20 * DAY), st.sampled_from(list(TriggerType))), max_size=40
    ),
    per_day=st.integers(1, 3),
    extra=st.integers(0, 4),
    cooldown_days=st.integers(0, 3),
)
def test_allowed_contacts_never_exceed_the_caps_in_any_window(
    attempts: list[tuple[int, TriggerType]], per_day: int, extra: int, cooldown_days: int
) -> None:
    """Decisions of one person in any order, each taken only when allowed."""
    caps = ContactCaps(per_day=per_day, per_week=per_day + extra)
    sent: list[Contact] = []
    for index, (at, kind) in enumerate(attempts):
        if judge(sent, f"t{index}", kind, at, caps, cooldown_days * DAY).reason is None:
            sent.append(Contact(f"t{index}", kind, at))
    times = [c.at_ms for c in sent]
    assert _busiest_day(times) <= caps.per_day
    assert _worst_window(times, 7 * DAY) <= caps.per_week
    for a in sent:
        for b in sent:
            if a is not b and a.type == b.type:
                assert abs(a.at_ms - b.at_ms) >= cooldown_days * DAY
