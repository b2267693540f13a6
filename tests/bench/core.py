"""The core benchmark: parse + fold of generated records in one process (no I/O), and
what a context's round trip through its stored form costs.

Parse, fold and encode are the per-event floor of the worker: every event is parsed
and folded, and its person's context written back to Redis (in a backlog of 10,000
customers nearly every event of a batch is another person's; the read before it may
come from the worker's cache of decoded contexts). The Redis commands, decisions,
dedupe and faust's delivery come on top. The targets' verdicts set the floor against
the time per event a target leaves."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from models.context import CustomerContext, fold_new_events
from models.identity import Identity
from models.parsing import EventParser
from streams.local.demo.journeys import generate
from streams.local.demo.options import GeneratorOptions
from tests.bench.results import Results

SAMPLE_EVERY = 10


def bench_core(customers: int, results: Results) -> None:
    records = [
        r for r in generate(GeneratorOptions(customers=customers, bad_share=0.01)) if r.topic
    ]
    parser = EventParser(max_future=timedelta(days=1))
    now = datetime.now(UTC)
    started = time.perf_counter()
    contexts: dict[Identity, CustomerContext] = {}
    # Contexts as the worker writes them, at every stage of the customers' journeys.
    written: list[CustomerContext] = []
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
            if events % SAMPLE_EVERY == 0:
                written.append(outcome.context)
    elapsed = time.perf_counter() - started
    results.put(
        "core.parse_fold_events_per_s",
        round(events / elapsed),
        f"{events:,} events in one process, no I/O: {elapsed / events * 1e6:.1f} us/event",
    )
    started = time.perf_counter()
    stored = [context.to_stored() for context in written]
    encoded = time.perf_counter() - started
    started = time.perf_counter()
    for raw in stored:
        CustomerContext.from_json(raw)
    decoded = time.perf_counter() - started
    encode_us, decode_us = encoded / len(written) * 1e6, decoded / len(written) * 1e6
    results.put(
        "core.context_round_trip_us",
        {"encode": round(encode_us, 1), "decode": round(decode_us, 1)},
        f"{len(written):,} contexts as folded (every {SAMPLE_EVERY}th event) to stored and back",
    )
    results.put(
        "core.floor_us_per_event",
        round(elapsed / events * 1e6 + encode_us, 1),
        "parse + fold + one context encoded (a read may come from the worker's cache)",
    )
