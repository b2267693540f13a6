"""Stock readings and restocks, in process on a real Redis: what is recorded, who is decided
again, what they get, and what erasure leaves of the restock index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.identity import Identity
from models.offers.rules_file import DEFAULT_RULES_PATH
from streams.redis.keys import viewers_key
from tests.integration.in_process import InProcessPipeline, event, run_in_process, till_order

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
WALL_MS = int((T0 + timedelta(minutes=5)).timestamp() * 1000)
# No category of the cross-sell map, so a till order offers nothing of its own.
SCARF = {"product_id": "SCA-1", "category": "scarves", "price": 25.0}


def _shop() -> tuple[str, str]:
    """A store and a product of this test only: stock is shared state."""
    run = uuid.uuid4().hex[:8]
    return f"store-{run}", f"BOO-{run}"


def _customer(store: str, *, email: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """A customer whose store is ``store`` (two till purchases there), with email consent."""
    user = f"loyalty-{uuid.uuid4().hex[:8]}"
    history = [till_order(user, store, T0 - timedelta(days=10, minutes=i), [SCARF]) for i in (0, 1)]
    if email:
        history.insert(0, event("Consent Updated", T0 - timedelta(days=20), user=user, email=True))
    return user, history


def _views(user: str, product: str, *minutes_before: float) -> list[dict[str, Any]]:
    return [
        event("Product Viewed", T0 - timedelta(minutes=m), user=user, product_id=product)
        for m in minutes_before
    ]


def _stock(store: str, product: str, units: int, at: datetime, **who: Any) -> dict[str, Any]:
    """A ``Stock Updated`` about no person (unless ``user=...``), as tills send it."""
    properties = {"store_id": store, "product_id": product, "quantity": units}
    return event("Stock Updated", at, channel="store", **who, **properties)


def _web_to_store(pipeline: InProcessPipeline, user: str) -> list[dict[str, Any]]:
    return [t for t in pipeline.of_type(pipeline.topics.web_to_store) if t["userId"] == user]


def test_a_personless_reading_is_recorded_and_a_later_view_finds_it(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*history, _stock(store, product, 4, T0 - timedelta(hours=1))])
        await pipeline.process(_views(user, product, 20, 19))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = _web_to_store(pipeline, user)
    assert trigger["offer"]["store_id"] == store
    assert trigger["reason"]["code"] == "in_stock_nearby"
    assert f"4 in stock at {store}" in trigger["reason"]["text"]
    assert pipeline.metrics.stock_readings.labels("recorded")._value.get() == 1
    assert pipeline.metrics.events_personless.labels("Stock Updated")._value.get() == 1


def test_a_reading_sent_with_a_person_is_recorded_too(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(history)
        await pipeline.process([_stock(store, product, 3, T0 - timedelta(hours=1), user=user)])
        await pipeline.process(_views(user, product, 20, 19))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = _web_to_store(pipeline, user)
    assert f"3 in stock at {store}" in trigger["reason"]["text"]


def test_an_older_reading_arriving_late_changes_nothing(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*history, _stock(store, product, 6, T0 - timedelta(hours=1))])
        await pipeline.process([_stock(store, product, 0, T0 - timedelta(hours=2))])
        await pipeline.process(_views(user, product, 20, 19))

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    (trigger,) = _web_to_store(pipeline, user)
    assert f"6 in stock at {store}" in trigger["reason"]["text"]
    readings = pipeline.metrics.stock_readings
    assert readings.labels("recorded")._value.get() == 1
    assert readings.labels("stale")._value.get() == 1
    assert pipeline.metrics.restocks._value.get() == 1  # unknown -> 6, not the late 0


def test_a_restock_offers_the_store_once_to_its_recent_viewers(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)
    restock = _stock(store, product, 5, T0)
    seen: dict[str, Any] = {}

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*history, _stock(store, product, 0, T0 - timedelta(hours=2))])
        await pipeline.process(_views(user, product, 30, 29))
        seen["before"] = len(_web_to_store(pipeline, user))
        await pipeline.process([restock])
        await pipeline.process([restock])  # redelivered: decided again, sent once
        await pipeline.process([_stock(store, product, 7, T0 + timedelta(minutes=1))])

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert seen["before"] == 0
    (trigger,) = _web_to_store(pipeline, user)
    assert trigger["offer"]["store_id"] == store
    assert trigger["offer"]["product_ids"] == [product]
    assert trigger["channel"] == "email"
    assert trigger["reason"]["code"] == "back_in_stock"
    assert f"back in stock at {store} (5 units)" in trigger["reason"]["text"]
    assert trigger["caused_by"] == [restock["messageId"]]
    assert trigger["created_at"].startswith("2026-12-01T10:00:00")  # the reading's event time
    metrics = pipeline.metrics
    assert metrics.restocks._value.get() == 2  # the reading and its redelivery, not 5 -> 7
    assert metrics.restock_reevaluations.labels("decided")._value.get() == 2
    assert metrics.triggers_repeated.labels("web_to_store")._value.get() == 1
    assert metrics.stock_readings.labels("recorded")._value.get() == 4


def test_only_qualifying_watchers_of_that_store_are_decided_again(any_redis_url: str) -> None:
    store, product = _shop()
    keen, keen_history = _customer(store)
    once, once_history = _customer(store)
    stale, stale_history = _customer(store)
    moved, moved_history = _customer(store)
    far = "store-far-away"
    elsewhere = [till_order(moved, far, T0 - timedelta(minutes=10 + i), [SCARF]) for i in range(3)]

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*keen_history, *once_history, *stale_history, *moved_history])
        await pipeline.process(
            [
                *_views(keen, product, 30, 29),
                *_views(once, product, 30),
                *_views(stale, product, 8 * 24 * 60, 8 * 24 * 60 - 1),  # 8 days ago
                *_views(moved, product, 60, 59),
            ]
        )
        await pipeline.process(elsewhere)  # their store is now another one
        await pipeline.process([_stock(store, product, 2, T0)])

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    triggered = [t["userId"] for t in pipeline.of_type(pipeline.topics.web_to_store)]
    assert triggered == [keen]
    # "once" never qualified for web_to_store and "stale" viewed beyond its 7-day
    # restock window; both viewed within back_in_stock's 14 days, at their own store.
    back = [
        t for t in pipeline.of_type(pipeline.topics.remarketing) if t["type"] == "back_in_stock"
    ]
    assert sorted(t["userId"] for t in back) == sorted([once, stale])
    assert {t["offer"]["store_id"] for t in back} == {store}
    outcomes = pipeline.metrics.restock_reevaluations
    assert outcomes.labels("decided")._value.get() == 3
    assert outcomes.labels("not_eligible")._value.get() == 1  # "moved"


def test_a_restock_decision_goes_through_consent_and_pressure(any_redis_url: str) -> None:
    store, product, other = *_shop(), f"HAT-{uuid.uuid4().hex[:6]}"
    silent, silent_history = _customer(store, email=False)
    recent, recent_history = _customer(store)
    restock = _stock(store, product, 1, T0)

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process(
            [*silent_history, *recent_history, _stock(store, other, 9, T0 - timedelta(hours=3))]
        )
        # An offer for another product, an hour before: the 7-day cooldown holds.
        await pipeline.process(_views(recent, other, 61, 60))
        await pipeline.process([*_views(silent, product, 30, 29), *_views(recent, product, 30, 29)])
        await pipeline.process([restock])

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert [t["offer"]["product_ids"] for t in _web_to_store(pipeline, recent)] == [[other]]
    assert _web_to_store(pipeline, silent) == []
    suppressed = {
        s["userId"]: s
        for s in pipeline.of_type(pipeline.topics.suppressed)
        if s["type"] == "web_to_store"
    }
    assert suppressed[silent]["reason"]["code"] == "no_consent"
    assert suppressed[recent]["reason"]["code"] == "cooldown"
    assert (
        suppressed[silent]["caused_by"] == suppressed[recent]["caused_by"] == [restock["messageId"]]
    )


def test_a_restock_reaches_the_latest_viewers_up_to_the_limit(
    any_redis_url: str, tmp_path: Path
) -> None:
    rules = tmp_path / "offers.toml"
    text = DEFAULT_RULES_PATH.read_text()
    rules.write_text(text.replace("restock_max_people = 500", "restock_max_people = 2", 1))
    store, product = _shop()
    people = [_customer(store) for _ in range(3)]

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([e for _user, history in people for e in history])
        for age, (user, _history) in zip((50, 40, 30), people, strict=True):
            await pipeline.process(_views(user, product, age, age - 1))
        await pipeline.process([_stock(store, product, 3, T0)])

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS, rules_path=rules)
    triggered = sorted(t["userId"] for t in pipeline.of_type(pipeline.topics.web_to_store))
    assert triggered == sorted(user for user, _history in people[1:])  # the two latest
    # back_in_stock reaches further (its own limit, 500): the earliest viewer gets that
    # offer, never web_to_store beyond web_to_store's limit.
    back = [
        t for t in pipeline.of_type(pipeline.topics.remarketing) if t["type"] == "back_in_stock"
    ]
    assert [t["userId"] for t in back] == [people[0][0]]


async def _watching(pipeline: InProcessPipeline, store: str, product: str, user: str) -> bool:
    """Whether the restock index of (store, product) holds the person."""
    pseudonym = Identity.user(user).pseudonym
    return await pipeline.redis.zscore(viewers_key(store, product), pseudonym) is not None


def test_erasure_takes_the_person_out_of_the_restock_index(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)
    watching: list[bool] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*history, *_views(user, product, 30, 29)])
        watching.append(await _watching(pipeline, store, product, user))
        await pipeline.process([event("Erasure Requested", T0 - timedelta(minutes=5), user=user)])
        watching.append(await _watching(pipeline, store, product, user))
        await pipeline.process([_stock(store, product, 3, T0)])

    pipeline = run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert watching == [True, False]
    assert pipeline.of_type(pipeline.topics.web_to_store) == []


def test_a_product_pushed_out_of_recent_views_leaves_the_index(any_redis_url: str) -> None:
    store, product = _shop()
    user, history = _customer(store)
    watching: list[bool] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([*history, *_views(user, product, 60, 59)])
        watching.append(await _watching(pipeline, store, product, user))
        browsing = [
            event("Product Viewed", T0 - timedelta(minutes=50 - i), user=user, product_id=f"x{i}")
            for i in range(25)
        ]
        await pipeline.process(browsing)
        watching.append(await _watching(pipeline, store, product, user))

    run_in_process(any_redis_url, scenario, wall_ms=WALL_MS)
    assert watching == [True, False]
