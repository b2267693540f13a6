"""The core benchmark: parse + fold of generated records in one process (no I/O)."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime, timedelta

from models.context import CustomerContext, fold_new_events
from models.identity import Identity
from models.parsing import EventParser
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions


def bench_core(customers: int) -> None:
    records = [
        r for r in generate(GeneratorOptions(customers=customers, bad_share=0.01)) if r.topic
    ]
    parser = EventParser(max_future=timedelta(days=1))
    now = datetime.now(UTC)
    started = time.perf_counter()
    contexts: dict[Identity, CustomerContext] = {}
    events = 0
    for record in records:
        parsed = parser.parse_record(record.value, now)
        for event in parsed.events:
            events += 1
            identity = event.identity
            if identity is None:
                continue
            outcome = fold_new_events(contexts.get(identity, CustomerContext()), [event], set())
            contexts[identity] = outcome.context
    elapsed = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"core      {len(records):,} records, {events:,} events in {elapsed:.2f}s: "
        f"{events / elapsed:,.0f} events/s ({elapsed / events * 1e6:.1f} us/event), "
        f"process peak RSS {peak_rss:.0f} MiB with {len(contexts):,} contexts in memory"
    )
