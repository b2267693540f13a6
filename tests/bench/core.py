"""The core benchmark: parse + fold of generated records in one process (no I/O)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from models.context import CustomerContext, fold_new_events
from models.identity import Identity
from models.parsing import EventParser
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from tests.bench.results import Results


def bench_core(customers: int, results: Results) -> None:
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
    results.put(
        "core.parse_fold_events_per_s",
        round(events / elapsed),
        f"{events:,} events in one process, no I/O: {elapsed / events * 1e6:.1f} us/event",
    )
