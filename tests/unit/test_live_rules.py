"""LiveRules: a changed valid rules file is applied to every subscriber at once; an invalid
or unreadable one keeps the rules in effect and is reported once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from models.offers.rules import OfferRules
from models.offers.rules_file import DEFAULT_RULES_PATH, RulesError, rules_version
from streams.pipeline.live_rules import LiveRules

SHIPPED = DEFAULT_RULES_PATH.read_text()


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "offers.toml"
    path.write_text(SHIPPED)
    return path


def test_the_version_is_the_files_sha256_prefix_and_ignores_nothing() -> None:
    assert rules_version(b"a") == "ca978112ca1b"
    assert rules_version(SHIPPED.encode()) != rules_version((SHIPPED + "\n").encode())


def test_start_up_loads_the_file_with_its_version(rules_file: Path) -> None:
    live = LiveRules(rules_file, clock_ms=lambda: 1_000)
    assert live.rules.version == rules_version(SHIPPED.encode())
    assert live.current.text == SHIPPED
    assert (live.current.applied_at_ms, live.applied, live.rejected) == (1_000, 0, 0)


def test_an_invalid_file_at_start_up_is_an_error(rules_file: Path) -> None:
    rules_file.write_text(SHIPPED.replace("priority = 40", "priority = -40"))
    with pytest.raises(RulesError, match=r"triggers\.cross_sell\.priority"):
        LiveRules(rules_file)


def test_an_unchanged_file_applies_nothing(rules_file: Path) -> None:
    live = LiveRules(rules_file)
    seen: list[OfferRules] = []
    live.subscribe(seen.append)
    assert live.check() is False
    assert seen == []


def test_a_changed_valid_file_reaches_every_subscriber_in_order(rules_file: Path) -> None:
    live = LiveRules(rules_file)
    calls: list[tuple[str, int]] = []
    live.subscribe(lambda rules: calls.append(("engine", rules.caps.per_day)))
    live.subscribe(lambda rules: calls.append(("api", rules.caps.per_day)))
    edited = SHIPPED.replace("max_per_day = 1 ", "max_per_day = 2 ")
    rules_file.write_text(edited)

    assert live.check() is True
    assert calls == [("engine", 2), ("api", 2)]
    assert live.rules.caps.per_day == 2
    assert live.rules.version == rules_version(edited.encode())
    assert (live.applied, live.rejected, live.rejection) == (1, 0, None)
    assert live.check() is False  # applied once


def test_an_invalid_edit_keeps_the_rules_and_is_reported_once(
    rules_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveRules(rules_file, clock_ms=lambda: 5_000)
    before = live.rules
    seen: list[OfferRules] = []
    live.subscribe(seen.append)
    bad = SHIPPED.replace("priority = 40", "priority = -40")
    rules_file.write_text(bad)

    with caplog.at_level(logging.ERROR):
        assert live.check() is False
        assert live.check() is False
    assert live.rules is before and seen == []
    assert live.rejection is not None
    assert live.rejection.version == rules_version(bad.encode())
    assert live.rejection.at_ms == 5_000
    assert "triggers.cross_sell.priority" in live.rejection.error
    assert live.rejected == 1
    assert [r.message.count("triggers.cross_sell.priority") for r in caplog.records] == [1]


def test_reverting_a_rejected_edit_clears_the_rejection(rules_file: Path) -> None:
    live = LiveRules(rules_file)
    rules_file.write_text("not toml [")
    live.check()
    assert live.rejection is not None
    rules_file.write_text(SHIPPED)
    assert live.check() is False
    assert live.rejection is None


def test_fixing_a_rejected_edit_applies_the_fix(rules_file: Path) -> None:
    live = LiveRules(rules_file)
    rules_file.write_text(SHIPPED.replace("priority = 40", "priority = -40"))
    live.check()
    rules_file.write_text(SHIPPED.replace("priority = 40", "priority = 45"))
    assert live.check() is True
    assert live.rejection is None and live.applied == 1


def test_a_missing_file_keeps_the_rules_in_effect(rules_file: Path) -> None:
    live = LiveRules(rules_file)
    rules_file.unlink()
    assert live.check() is False
    assert live.rejection is not None and "cannot read" in live.rejection.error
    rules_file.write_text(SHIPPED)  # a ConfigMap swap completes
    assert live.check() is False and live.rejection is None


def test_the_apis_dependencies_follow_an_edit_as_the_workers_do(rules_file: Path) -> None:
    """The worker and the API server build their ApiDeps with ``configured``: an edit
    reaches the API's rules, the store's caps and the signal reader alike."""
    from config import Settings
    from streams.metrics import Metrics
    from streams.redis.client import redis_client
    from streams.redis.gateway import RedisGateway
    from streams.redis.signals import SignalReader
    from streams.stores import context_store
    from streams.web.dependencies import ApiDeps

    live = LiveRules(rules_file)
    settings = Settings.from_env(
        {"REDIS_URL": "redis://127.0.0.1:1/0", "ERASURE_SALT": "test-salt-not-a-secret-0123"}
    )
    gateway = RedisGateway(redis_client(settings.redis_url))  # never connected here
    store = context_store(settings, gateway, live.rules.caps)
    signals = SignalReader(gateway, live.rules)
    deps = ApiDeps.configured(settings, store, signals, live, Metrics())
    rules_file.write_text(SHIPPED.replace("max_per_day = 1 ", "max_per_day = 2 "))

    assert live.check() is True
    assert deps.rules is live.rules
    assert store.caps.per_day == 2
    assert signals._rules is live.rules
