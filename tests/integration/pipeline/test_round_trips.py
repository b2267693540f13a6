"""Round trips to Redis per batch and per timer tick, counted at the socket.

The README's architecture section states these numbers; this test holds them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streams.pipeline import timers
from tests.integration.in_process import (
    InProcessPipeline,
    event,
    round_trips_of,
    run_in_process,
    till_order,
)
from tests.integration.offer_scenarios import rules_with_holdout

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(hours=1)).timestamp() * 1000)
SHOES = {"product_id": "SHO-1", "category": "shoes", "price": 80.0}


def _browsing(users: int, views: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:6]
    return [
        event("Product Viewed", T0 + timedelta(seconds=i), user=f"u{run}-{i % users}", **SHOES)
        for i in range(users * views)
    ]


def test_a_batch_costs_three_round_trips_whatever_its_size(redis_url: str) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        counts.append(await round_trips_of(pipeline, pipeline.process(_browsing(2, 1))))
        counts.append(await round_trips_of(pipeline, pipeline.process(_browsing(50, 4))))

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    # load (contexts + dedupe scores), commit (one script per person), finish (clocks, trends)
    assert counts == [3, 3]


def test_identify_with_the_visitors_own_events_costs_one_more(redis_url: str) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        run = uuid.uuid4().hex[:6]
        visitor, user = f"anon-{run}", f"user-{run}"
        await pipeline.process([event("Product Viewed", T0, anonymous=visitor, **SHOES)])
        batch = [
            event(None, T0 + timedelta(minutes=1), call="identify", user=user, anonymous=visitor),
            event("Product Viewed", T0 + timedelta(minutes=2), anonymous=visitor, **SHOES),
        ]
        # The visitor, frozen in the load, routes its own event to the customer, whose
        # dedupe ids are read for it in one more round trip.
        counts.append(await round_trips_of(pipeline, pipeline.process(batch)))

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    assert counts == [4]


def test_cross_sell_orders_read_live_signals_in_one_round_trip(redis_url: str) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        run = uuid.uuid4().hex[:6]
        orders = [
            till_order(f"buyer-{run}-{i}", "store-001", T0 + timedelta(seconds=i), [SHOES])
            for i in range(10)
        ]
        counts.append(await round_trips_of(pipeline, pipeline.process(orders)))

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    assert counts == [4]


def test_a_timer_tick_costs_one_round_trip_idle_and_four_when_timers_fire(
    redis_url: str,
) -> None:
    counts: list[int] = []
    fired: list[int] = []
    sent: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        run = uuid.uuid4().hex[:6]
        consents = [
            event("Consent Updated", T0, user=f"cart-{run}-{i}", email=True) for i in range(20)
        ]
        adds = [
            event("Product Added", T0 + timedelta(seconds=i), user=f"cart-{run}-{i}", **SHOES)
            for i in range(20)
        ]
        await pipeline.process(consents + adds)
        counts.append(await round_trips_of(pipeline, pipeline.fire_due()))  # nothing due yet
        pipeline.wall_ms += 3_600_000  # an idle hour: the clock passes every deadline
        before = pipeline.metrics.timers_fired._value.get()
        counts.append(await round_trips_of(pipeline, pipeline.fire_due()))
        fired.append(int(pipeline.metrics.timers_fired._value.get() - before))
        sent.append(len(pipeline.of_type(pipeline.topics.remarketing)))

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    # clocks + due timers; pending triggers + contexts; contact slots; mark sent + release
    assert counts == [1, 4]
    assert fired == [20]
    assert sent == [20]


def test_a_tick_with_more_timers_due_than_a_page_fires_them_page_by_page(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page holds at most DUE_PER_PAGE timers (and their people's contexts): 7 due
    timers and pages of 3 are 3 pages of 4 round trips, plus the empty read that ends."""
    monkeypatch.setattr(timers, "DUE_PER_PAGE", 3)
    counts: list[int] = []
    sent: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        run = uuid.uuid4().hex[:6]
        people = [f"page-{run}-{i}" for i in range(7)]
        await pipeline.process(
            [event("Consent Updated", T0, user=user, email=True) for user in people]
            + [event("Product Added", T0, user=user, **SHOES) for user in people]
        )
        pipeline.wall_ms += 3_600_000
        counts.append(await round_trips_of(pipeline, pipeline.fire_due()))
        sent.append(len(pipeline.of_type(pipeline.topics.remarketing)))

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    # pages of 3, 3 and 1 timers (the last one short: nothing more is due)
    assert counts == [4 + 4 + 4]
    assert sent == [7]


def test_scripts_lost_by_redis_are_loaded_again_and_the_batch_goes_through(
    redis_url: str,
) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.redis.script_flush()
        counts.append(await round_trips_of(pipeline, pipeline.process(_browsing(3, 1))))

    pipeline = run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    # The commit answers NOSCRIPT: scripts loaded, only the failed commands sent again.
    assert counts == [5]
    assert pipeline.deadletters == []
    assert pipeline.metrics.events_applied._value.get() == 3


def test_stock_readings_ride_on_the_finishing_round_trip_and_a_restock_costs_three_more(
    redis_url: str,
) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        run = uuid.uuid4().hex[:6]
        store, product = f"store-{run}", f"BOO-{run}"
        users = [f"fan-{run}-{i}" for i in range(5)]
        scarf = {"product_id": "SCA-1", "category": "scarves", "price": 20.0}
        history = [till_order(u, store, T0 - timedelta(days=3), [scarf]) for u in users]
        history += [
            event("Consent Updated", T0 - timedelta(days=4), user=u, email=True) for u in users
        ]
        await pipeline.process(history)
        views = [
            event("Product Viewed", T0 + timedelta(seconds=i), user=user, product_id=product)
            for i in range(2)
            for user in users
        ]
        stock = {"channel": "store", "store_id": store, "product_id": product}
        # Customers with a store read its stock (+1); their restock watches ride along.
        counts.append(await round_trips_of(pipeline, pipeline.process(views)))
        out = event("Stock Updated", T0 + timedelta(minutes=1), quantity=0, **stock)
        back = event("Stock Updated", T0 + timedelta(minutes=2), quantity=4, **stock)
        # A reading about no person: no one to load or commit, only the finishing trip.
        counts.append(await round_trips_of(pipeline, pipeline.process([out])))
        # A restock: its watchers' contexts, their contact slots, marking the triggers sent.
        counts.append(await round_trips_of(pipeline, pipeline.process([back])))
        assert len(pipeline.of_type(pipeline.topics.web_to_store)) == len(users)

    run_in_process(redis_url, scenario, wall_ms=WALL_MS)
    assert counts == [4, 1, 4]


def test_only_the_converting_order_costs_one_more_round_trip(
    redis_url: str, tmp_path: Path
) -> None:
    counts: list[int] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        buyer = f"buyer-{uuid.uuid4().hex[:6]}"
        await pipeline.process([event("Consent Updated", T0, user=buyer, email=True)])
        for minutes in (1, 2, 3):  # the cross-sell (measured), its conversion, a later order
            order = till_order(buyer, "store-001", T0 + timedelta(minutes=minutes), [SHOES])
            counts.append(await round_trips_of(pipeline, pipeline.process([order])))

    pipeline = run_in_process(
        redis_url, scenario, wall_ms=WALL_MS, rules_path=rules_with_holdout(tmp_path)
    )
    # load, live signals (cross-sell), commit, finish; + the conversion
    assert counts == [4, 5, 4]
    sample = pipeline.metrics.registry.get_sample_value
    groups = ("sent", "holdout")
    assert sum(sample("omni_lift_decisions_total", _labels(g)) or 0 for g in groups) == 1
    assert sum(sample("omni_lift_conversions_total", _labels(g)) or 0 for g in groups) == 1


def _labels(group: str) -> dict[str, str]:
    return {"type": "cross_sell", "group": group}
