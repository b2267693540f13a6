"""Trusted identity end to end: with ``[identity]`` trusting only the store channel and
servers' ``analytics-node``, a browser's identify is dead-lettered with its reason and links
nothing, a server's links, and two customers of one shared device stay apart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from models.context import CustomerContext
from models.deadletter import original_bytes
from models.identity import Identity
from streams.redis.keys import PersonKeys
from tests.integration.harness import Services, WorkerProcess, consume_all, wait_until
from tests.integration.offer_scenarios import JACKET, SHOES, SOCKS, Customer, rules_for_tests

pytestmark = pytest.mark.integration

SERVER = {"channel": "web", "library": {"name": "analytics-node", "version": "6.2.0"}}


@pytest.fixture(scope="module")
def strict(services: Services, log_dir: Path) -> Iterator[WorkerProcess]:
    rules = rules_for_tests(log_dir)
    text = rules.read_text().replace(
        'trusted_channels = ["web", "mobile", "store"]\ntrusted_sources = []',
        'trusted_channels = ["store"]\ntrusted_sources = ["analytics-node"]',
    )
    assert 'trusted_sources = ["analytics-node"]' in text, "config/offers.toml changed shape"
    rules.write_text(text)
    process = WorkerProcess(
        services, log_dir / "workers", extra_env={"OFFER_RULES_PATH": str(rules)}
    )
    process.create_topics()
    process.start()
    yield process
    process.stop()


def _identify(customer: Customer, context: dict[str, Any]) -> bytes:
    """An identify linking the customer's anonymousId, from ``context``; its bytes."""
    document = customer.event("clickstream", None, call="identify")
    document["anonymousId"] = customer.anonymous
    document["context"] = context
    raw = orjson.dumps(document)
    topic, key, _old = customer.sent[-1]
    customer.sent[-1] = (topic, key, raw)
    return raw


def _stored(worker: WorkerProcess, who: Identity) -> tuple[CustomerContext | None, bytes | None]:
    """A person's context and, for a visitor identified since, whom it moved to."""
    doc, moved_to = worker.redis().hmget(PersonKeys.of(who).context, "doc", "moved_to")
    return (CustomerContext.from_json(doc) if doc else None), moved_to


def _viewed(context: CustomerContext | None) -> set[str]:
    return {v.product_id for v in context.recent_products} if context else set()


def test_a_browser_identify_is_dead_lettered_and_a_server_identify_links(
    strict: WorkerProcess,
) -> None:
    customer = Customer(strict)
    customer.event("clickstream", "Product Viewed", anonymous=True, **SHOES)
    customer.flush(settle=True)

    refused = _identify(customer, {"channel": "web", "library": {"name": "analytics.js"}})
    customer.flush(settle=True)
    (dead,) = consume_all(strict.services.kafka_broker, strict.topics.deadletter, 1)
    record = orjson.loads(dead.value)
    assert record["reason"] == "untrusted_identity_link"
    assert "context.channel 'web' (context.library.name 'analytics.js')" in record["message"]
    assert "trusts channels store and sources analytics-node" in record["message"]
    assert customer.user not in record["message"] and customer.anonymous not in record["message"]
    assert original_bytes(record) == refused
    assert _stored(strict, Identity.user(customer.user)) == (None, None)
    visitor, moved_to = _stored(strict, Identity.anonymous(customer.anonymous))
    assert moved_to is None and _viewed(visitor) == {"SHO-001"}

    # A browser event claiming the userId stays the visitor's: no link, counted.
    unlinked = strict.metric_sum("omni_identity_claims_unlinked_total", channel="web")
    claim = customer.event("clickstream", "Product Viewed", **SOCKS)
    claim["anonymousId"] = customer.anonymous
    topic, key, _old = customer.sent[-1]
    customer.sent[-1] = (topic, key, orjson.dumps(claim))
    customer.flush(settle=True)
    assert strict.metric_sum("omni_identity_claims_unlinked_total", channel="web") == unlinked + 1
    assert _stored(strict, Identity.user(customer.user)) == (None, None)
    visitor, _moved = _stored(strict, Identity.anonymous(customer.anonymous))
    assert _viewed(visitor) == {"SHO-001", "SOC-001"}

    _identify(customer, SERVER)
    customer.flush(settle=True)
    linked, _none = _stored(strict, Identity.user(customer.user))
    assert linked is not None and customer.anonymous in linked.anonymous_ids
    assert _viewed(linked) == {"SHO-001", "SOC-001"}  # the visitor's views carried over
    assert _stored(strict, Identity.anonymous(customer.anonymous))[1] == customer.user.encode()
    assert strict.metric_sum("omni_deadletters_total", reason="untrusted_identity_link") == 1


def test_two_customers_of_one_shared_device_stay_apart(strict: WorkerProcess) -> None:
    tablet = f"tablet-{uuid.uuid4().hex[:8]}"
    first, second = Customer(strict, anonymous=tablet), Customer(strict, anonymous=tablet)
    first.event("clickstream", "Product Viewed", anonymous=True, **SHOES)
    second.event("clickstream", "Product Viewed", **JACKET)  # their own account, elsewhere
    first.flush(settle=True)
    second.flush(settle=True)
    _identify(first, {"channel": "store"})  # trusted: a till logs them in on the tablet
    first.flush(settle=True)
    _identify(second, SERVER)
    second.flush(settle=True)

    one, _ = _stored(strict, Identity.user(first.user))
    two, _ = _stored(strict, Identity.user(second.user))
    assert one is not None and two is not None
    assert _viewed(one) == {"SHO-001"} and _viewed(two) == {"JAC-001"}
    assert one.user_id == first.user and two.user_id == second.user
    assert tablet in one.merged_anonymous_ids and tablet not in two.merged_anonymous_ids
    # The device stays with the first customer: its later browsing is theirs alone.
    assert _stored(strict, Identity.anonymous(tablet))[1] == first.user.encode()
    first.event("clickstream", "Product Viewed", anonymous=True, **SOCKS)
    first.flush(settle=True)
    wait_until(
        lambda: _viewed(_stored(strict, Identity.user(first.user))[0]) == {"SHO-001", "SOC-001"},
        what="the tablet's view folded into the first customer",
    )
    assert _viewed(_stored(strict, Identity.user(second.user))[0]) == {"JAC-001"}
