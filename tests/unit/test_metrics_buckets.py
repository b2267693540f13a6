"""Histogram buckets that fit what they measure."""

from __future__ import annotations

from streams.metrics import TRIGGER_BUCKETS, Metrics


def test_event_to_trigger_buckets_span_the_grace_to_a_day() -> None:
    # Held immediate triggers take about 2 s; basket and browse timers 30 min to hours.
    assert tuple(sorted(TRIGGER_BUCKETS)) == TRIGGER_BUCKETS
    assert TRIGGER_BUCKETS[0] <= 0.1 and 2.0 < TRIGGER_BUCKETS[5] <= 5.0
    assert {1800.0, 3600.0, 86_400.0} <= set(TRIGGER_BUCKETS)


def test_a_browse_reminder_an_hour_late_lands_below_the_top_bucket() -> None:
    metrics = Metrics()
    metrics.event_to_trigger_seconds.labels("browse_abandonment").observe(3_700.0)
    two_hours = metrics.registry.get_sample_value(
        "omni_event_to_trigger_seconds_bucket", {"type": "browse_abandonment", "le": "7200.0"}
    )
    assert two_hours == 1.0
