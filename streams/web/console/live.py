"""Live: what the pipeline is doing, from this worker's own Prometheus registry and
Redis: throughput, lag, dead letters by reason with masked samples, triggers and
suppressions by type and reason, and the live trends (the data of ``/trends``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry

from streams.redis.trend_window import top_products
from streams.web.console.auth import html_response, session_of
from streams.web.console.deadletters import DeadLetterSample
from streams.web.console.deps import CONSOLE_DEPS
from streams.web.console.html import Safe, facts, page, render, table
from streams.web.dependencies import API_DEPS

Labels = tuple[tuple[str, str], ...]
TOP_PRODUCTS = 10


def samples(registry: CollectorRegistry) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of the registry by sample name, with its labels."""
    found: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in registry.collect():
        for sample in family.samples:
            found[sample.name].append((dict(sample.labels), sample.value))
    return found


def total(scraped: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(value for _labels, value in scraped.get(name, ()))


def by_labels(
    scraped: dict[str, list[tuple[dict[str, str], float]]], name: str, keys: Sequence[str]
) -> list[tuple[tuple[str, ...], float]]:
    """Sums of ``name`` grouped by the values of ``keys``, largest first, zeros left out."""
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    for labels, value in scraped.get(name, ()):
        sums[tuple(labels.get(k, "") for k in keys)] += value
    return sorted(((k, v) for k, v in sums.items() if v), key=lambda kv: (-kv[1], kv[0]))


async def live(request: web.Request) -> web.StreamResponse:
    deps = request.app[API_DEPS]
    console = request.app[CONSOLE_DEPS]
    _session, csrf = session_of(request)
    await deps.refresh_scrape_gauges()
    scraped = samples(deps.metrics.registry)
    recent, average = console.meter.observe(total(scraped, "omni_records_consumed_total"))
    counts = await deps.signals.trend_counts(deps.now_ms())
    trends = top_products(counts, store=None, category=None, limit=TOP_PRODUCTS)
    window_min = deps.rules.trend_window_ms // 60_000
    body = render_live(scraped, recent, average, console.samples.by_reason(), trends, window_min)
    return html_response(page("Live", body, csrf=csrf, current="/console/live"))


def render_live(
    scraped: dict[str, list[tuple[dict[str, str], float]]],
    recent: float | None,
    average: float,
    dead: dict[str, list[DeadLetterSample]],
    trends: Iterable[dict[str, object]],
    window_min: int,
) -> Safe:
    batches = total(scraped, "omni_batch_processing_seconds_count")
    batch_s = total(scraped, "omni_batch_processing_seconds_sum")
    throughput = facts(
        {
            "Records/s since your last view": "reload to measure"
            if recent is None
            else f"{recent:,.1f}",
            "Records/s since the worker started": f"{average:,.1f}",
            "Records read": total(scraped, "omni_records_consumed_total"),
            "Events applied": total(scraped, "omni_events_applied_total"),
            "Duplicates skipped": total(scraped, "omni_events_duplicate_total"),
            "Mean batch time": f"{1000 * batch_s / batches:,.1f} ms" if batches else None,
            "Consumer lag (records)": total(scraped, "omni_consumer_lag"),
            "Timers pending": total(scraped, "omni_timers_pending"),
        }
    )
    lag = table(
        "Lag by input partition",
        ("Topic", "Partition", "Records behind"),
        (
            (t, p, v)
            for (t, p), v in by_labels(scraped, "omni_consumer_lag", ("topic", "partition"))
        ),
        empty="no lag",
    )
    dead_counts = table(
        "Dead letters by reason",
        ("Reason", "Records"),
        (
            (render("<code>{}</code>", r), v)
            for (r,), v in by_labels(scraped, "omni_deadletters_total", ("reason",))
        ),
        empty="no dead letter",
    )
    sample_rows = [
        (
            render("<code>{}</code>", s.reason),
            s.rejected_at[:19].replace("T", " "),
            f"{s.topic}[{s.partition}]@{s.offset}",
            s.message,
            render("<pre>{}</pre>", s.original),
        )
        for samples_of_reason in dead.values()
        for s in samples_of_reason
    ]
    dead_samples = table(
        "Recent samples, newest first per reason (ids, emails and traits masked)",
        ("Reason", "Rejected at", "Source", "Message", "Original (masked)"),
        sample_rows,
        empty="no sample since this worker started",
    )
    sent = table(
        "Triggers sent by type and channel",
        ("Type", "Channel", "Sent"),
        (
            (t, c, v)
            for (t, c), v in by_labels(scraped, "omni_triggers_emitted_total", ("type", "channel"))
        ),
        empty="none sent",
    )
    suppressed = table(
        "Suppressions by type and reason",
        ("Type", "Reason", "Suppressed"),
        (
            (t, render("<code>{}</code>", r), v)
            for (t, r), v in by_labels(
                scraped, "omni_triggers_suppressed_total", ("type", "reason")
            )
        ),
        empty="none suppressed",
    )
    top = table(
        f"Top products over the last {window_min} min (score: views + 3 x adds + 5 x purchases)",
        ("Product", "Views", "Adds", "Purchases", "Score"),
        ((t["product_id"], t["views"], t["adds"], t["purchases"], t["score"]) for t in trends),
        empty="no activity in the window",
    )
    return render(
        '<p class="hint">This worker\'s own counters since it started; other workers '
        'count their own partitions. <a href="/console/live">Reload</a> to refresh.</p>'
        "<h2>Throughput</h2>{}"
        '<div class="grid"><section><h2>Triggers</h2>{}{}</section>'
        "<section><h2>Live trends</h2>{}<h2>Lag</h2>{}</section></div>"
        "<h2>Dead letters</h2>{}{}",
        throughput,
        sent,
        suppressed,
        top,
        lag,
        dead_counts,
        dead_samples,
    )
