"""The scrape-time gauges: consumer lag and pending timers, refreshed at each ``/metrics``."""

from __future__ import annotations

from typing import Any

import pytest
from faust.types import TP
from prometheus_client.parser import text_string_to_metric_families

from streams.redis.keys import timer_member, timers_key
from tests.integration.web.api_support import FakeConsumer, serve, unique

pytestmark = pytest.mark.integration


def gauges(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name in ("omni_consumer_lag", "omni_timers_pending")
        for sample in family.samples
    }


async def arm(deps: Any, tp: TP, pseudonym: str) -> None:
    member = timer_member(pseudonym, "abandoned_basket")
    await deps.store.gateway.redis.zadd(timers_key(tp.topic, tp.partition), {member: 1})


def test_lag_and_pending_timers_of_this_workers_input_partitions(redis_url: str) -> None:
    clicks, basket = unique("clicks"), unique("basket")
    read, fresh, output = TP(clicks, 0), TP(basket, 1), TP(unique("triggers"), 0)
    consumer = FakeConsumer({read: 10, fresh: 4, output: 99})
    processed = {(clicks, 0): 7}  # offsets 0..6 processed; 7..9 fetched or not, pending

    async def scenario(client: Any, deps: Any) -> list[str]:
        for tp, pseudonym in ((read, "a"), (fresh, "b"), (output, "c")):
            await arm(deps, tp, unique(pseudonym))
        first = await (await client.get("/metrics")).text()
        consumer.highwaters.pop(fresh)  # revoked: its series goes at the next scrape
        return [first, await (await client.get("/metrics")).text()]

    first, second = serve(
        redis_url,
        scenario,
        consumer=consumer,
        input_topics=frozenset({clicks, basket}),
        processed=processed,
    )
    assert gauges(first) == {
        ("omni_consumer_lag", (("partition", "0"), ("topic", clicks))): 3.0,
        ("omni_consumer_lag", (("partition", "1"), ("topic", basket))): 4.0,
        ("omni_timers_pending", ()): 2.0,
    }
    assert gauges(second) == {
        ("omni_consumer_lag", (("partition", "0"), ("topic", clicks))): 3.0,
        ("omni_timers_pending", ()): 1.0,
    }


def test_lag_counts_from_the_committed_offset_where_nothing_was_processed_since(
    redis_url: str,
) -> None:
    clicks = unique("clicks")
    handed, worked = TP(clicks, 0), TP(clicks, 1)
    # Partition 0 came to this worker committed at 8 and nothing was processed since;
    # partition 1 was processed past its last commit.
    consumer = FakeConsumer({handed: 10, worked: 10}, _committed_offset={handed: 8, worked: 2})

    async def scenario(client: Any, _deps: Any) -> str:
        return await (await client.get("/metrics")).text()

    text = serve(
        redis_url,
        scenario,
        consumer=consumer,
        input_topics=frozenset({clicks}),
        processed={(clicks, 1): 9},
    )
    lag = {labels: value for (name, labels), value in gauges(text).items() if "lag" in name}
    assert lag == {
        (("partition", "0"), ("topic", clicks)): 2.0,
        (("partition", "1"), ("topic", clicks)): 1.0,
    }


def test_without_a_consumer_the_gauges_stay_empty(redis_url: str) -> None:
    async def scenario(client: Any, _deps: Any) -> str:
        return await (await client.get("/metrics")).text()

    assert gauges(serve(redis_url, scenario)) == {("omni_timers_pending", ()): 0.0}
