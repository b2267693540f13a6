"""Connection URLs as shown in logs and terminals: passwords masked, the rest intact."""

from __future__ import annotations

import pytest

from config import Settings
from config.redaction import redact_url, redact_url_list
from streams.local.runner import services_line


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:s3cret@cache:6380/1", "rediss://default:***@cache:6380/1"),
        ("redis://cache:6379/0?password=s3cret&db=2", "redis://cache:6379/0?password=***&db=2"),
        ("redis://cache/0?db=1&PASSWORD=s3cret#x", "redis://cache/0?db=1&PASSWORD=***#x"),
        ("unix:///run/redis.sock?password=s3cret", "unix:///run/redis.sock?password=***"),
        # Unencoded characters in a password must not end it early and leak the rest.
        ("redis://:s3/cr@t#?,@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://user:pa:ss@cache", "redis://user:***@cache"),
        ("user:s3cret@kafka:9092", "user:***@kafka:9092"),
        # Nothing secret: unchanged.
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://account@cache:6379", "redis://account@cache:6379"),
        ("redis://:@cache", "redis://:@cache"),
        ("kafka://127.0.0.1:9092", "kafka://127.0.0.1:9092"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_each_broker_of_a_list_is_masked() -> None:
    brokers = "kafka://a:9092,kafka://app:s3cret@b:9093, c:9094"
    assert redact_url_list(brokers) == "kafka://a:9092,kafka://app:***@b:9093, c:9094"


def test_the_settings_repr_masks_the_redis_and_broker_passwords() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://:r3dis-pass@cache:6379/0",
            "KAFKA_BROKER": "kafka://k1:9092,kafka://app:k4fka-pass@k2:9092",
        }
    )
    shown = repr(settings)
    assert "r3dis-pass" not in shown and "k4fka-pass" not in shown
    assert "'redis_url': 'redis://:***@cache:6379/0'" in shown
    assert "'kafka_broker': 'kafka://k1:9092,kafka://app:***@k2:9092'" in shown
    assert settings.redis_url == "redis://:r3dis-pass@cache:6379/0"  # the value itself is intact


def test_make_run_prints_the_services_without_passwords() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://:r3dis-pass@127.0.0.1:6390/0"})
    assert services_line(settings) == (
        "broker kafka://127.0.0.1:9092   redis redis://:***@127.0.0.1:6390/0"
    )
