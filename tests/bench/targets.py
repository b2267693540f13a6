"""The performance issue's targets, checked against one run's figures.

Each target reads as met, missed (with the figure) or not measured; the bench
never fails on a miss: the numbers are the result, the verdict a summary of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.bench.results import Results

Check = Callable[[Callable[[str], Any]], tuple[bool, str]]


def _ratio(get: Callable[[str], Any]) -> tuple[bool, str]:
    ratio = get("batch_1.ratio_to_ceiling")
    # One core: faust's time per record is the ceiling's; what is left at 0.7 is ours.
    faust_us = 1e6 / get("batch_1.ceiling_records_per_s")
    ours_us = faust_us * (1 / 0.7 - 1)
    return ratio >= 0.7, (
        f"ratio_to_ceiling {ratio} (>= 0.7): leaves {ours_us:.0f} us of our own per record "
        f"beside faust's {faust_us:.0f}{_floor(get)}"
    )


def _batch_gain(get: Callable[[str], Any]) -> tuple[bool, str]:
    batched, single = get("batch_20.pipeline_events_per_s"), get("batch_1.pipeline_records_per_s")
    raw = get("batch_20.raw_limit_events_per_s")
    gain, share = batched / single, batched / raw
    # faust's time per event, its per-record time spread over a batch record's events
    events_per_record = get("batch_20.events") / get("batch_20.records")
    faust_us = 1e6 / get("batch_20.ceiling_records_per_s") / events_per_record
    gain_us = 1e6 / (5 * single) - faust_us
    share_us = 1e6 / (0.6 * raw) - faust_us
    return gain >= 5 and share >= 0.6, (
        f"batch_20 events/s = {gain:.1f} x batch_1 records/s (>= 5: leaves {gain_us:.0f} us "
        f"of our own per event), {share:.2f} x raw (>= 0.6: {share_us:.0f} us){_floor(get)}"
    )


def _floor(get: Callable[[str], Any]) -> str:
    """The per-event floor of the core phase, where it ran."""
    try:
        return f"; the floor is {get('core.floor_us_per_event')} us (parse, fold, encode)"
    except KeyError:
        return ""


def _two_workers(get: Callable[[str], Any]) -> tuple[bool, str]:
    scaling = get("scaling")
    rate = scaling["workers_2_events_per_s"]
    lost = scaling["workers_1_lost_or_differing"] + scaling["workers_2_lost_or_differing"]
    return rate >= 10_000 and lost == 0, f"2 workers {rate:,} events/s (>= 10,000), lost {lost}"


def _event_to_trigger(get: Callable[[str], Any]) -> tuple[bool, str]:
    excess = get("steady.event_to_trigger_excess_over_two_hops_ms")
    return excess <= 20, f"p99 excess over two hops {excess} ms (<= 20)"


def _timers(get: Callable[[str], Any]) -> tuple[bool, str]:
    p99 = get("steady.timer_lateness_ms")["p99"]
    return p99 <= 1000, f"timer lateness p99 {p99} ms (<= 1,000)"


def _api(get: Callable[[str], Any]) -> tuple[bool, str]:
    api = get("steady.api_latency_ms")
    return (
        api["p99"] <= 10 and api["max"] <= 50,
        f"API p99 {api['p99']} ms (<= 10), max {api['max']} ms (<= 50)",
    )


def _redis_bytes(get: Callable[[str], Any]) -> tuple[bool, str]:
    median = get("redis_bytes_per_customer")["median"]
    return median <= 2048, f"Redis per customer median {median:,} B (<= 2,048)"


def _rss(get: Callable[[str], Any]) -> tuple[bool, str]:
    growth = get("worker_rss_mb")["growth_pct"]
    return growth <= 10, f"worker RSS growth {growth} % (<= 10)"


TARGETS: dict[str, Check] = {
    "ratio_to_ceiling": _ratio,
    "batch_records": _batch_gain,
    "two_workers": _two_workers,
    "event_to_trigger": _event_to_trigger,
    "timer_lateness": _timers,
    "api_latency": _api,
    "redis_bytes_per_customer": _redis_bytes,
    "worker_rss_growth": _rss,
}


def check_targets(results: Results) -> dict[str, str]:
    verdicts = {}
    for name, check in TARGETS.items():
        try:
            met, detail = check(results.get_required)
        except KeyError as missing:
            verdicts[name] = f"not measured ({missing.args[0]})"
            continue
        verdicts[name] = f"{'met' if met else 'MISSED'}: {detail}"
    return verdicts
