"""Settings.from_env: defaults, overrides and validation of every env var."""

from __future__ import annotations

import dataclasses

import pytest

from config.kafka_security import KAFKA_SECURITY_ENV_VARS
from config.settings import TOPIC_ENV_VARS, ConfigError, Settings, TopicNames


def test_defaults_follow_the_product_contract() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.kafka_broker == "kafka://127.0.0.1:9092"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.app_id == "omnichannel-context"
    assert (settings.topic_partitions, settings.topic_replication) == (8, 1)
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 6066)
    assert (settings.session_timeout_s, settings.heartbeat_interval_s) == (6.0, 1.5)
    assert (settings.max_record_bytes, settings.max_event_bytes) == (512 * 1024, 32 * 1024)
    assert settings.max_future_s == 86_400.0
    assert settings.topics == TopicNames()
    assert settings.topics.inputs == ("clickstream", "basket", "store-checkouts", "inventory")
    assert settings.topics.outputs == (
        "events.deadletter",
        "triggers.remarketing",
        "triggers.web-to-store",
        "triggers.cross-sell",
        "triggers.suppressed",
    )
    assert settings.topics.all == settings.topics.inputs + settings.topics.outputs


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().web_port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("var", "raw", "attr", "expected"),
    [
        ("KAFKA_BROKER", "kafka://k1:9092", "kafka_broker", "kafka://k1:9092"),
        ("REDIS_URL", "redis://r:6380/2", "redis_url", "redis://r:6380/2"),
        ("APP_ID", "ctx-test", "app_id", "ctx-test"),
        ("TOPIC_PARTITIONS", "12", "topic_partitions", 12),
        ("TOPIC_PARTITIONS", " 3 ", "topic_partitions", 3),
        ("TOPIC_REPLICATION", "3", "topic_replication", 3),
        ("WEB_HOST", "0.0.0.0", "web_host", "0.0.0.0"),
        ("WEB_PORT", "8080", "web_port", 8080),
        ("WEB_HEADER_TIMEOUT_S", "1.5", "web_header_timeout_s", 1.5),
        ("WEB_KEEPALIVE_TIMEOUT_S", "60", "web_keepalive_timeout_s", 60.0),
        ("WEB_MAX_CONNECTIONS", "500", "web_max_connections", 500),
        ("API_RATE_LIMIT_PER_S", "0", "api_rate_limit_per_s", 0.0),
        ("KAFKA_FETCH_MAX_WAIT_MS", "500", "fetch_max_wait_ms", 500),
        ("KAFKA_FETCH_MIN_BYTES", "16384", "fetch_min_bytes", 16384),
        ("KAFKA_IDEMPOTENT_PRODUCER", "false", "idempotent_producer", False),
        ("KAFKA_IDEMPOTENT_PRODUCER", "No", "idempotent_producer", False),
        ("KAFKA_IDEMPOTENT_PRODUCER", "1", "idempotent_producer", True),
        ("KAFKA_SESSION_TIMEOUT_S", "30", "session_timeout_s", 30.0),
        ("KAFKA_HEARTBEAT_INTERVAL_S", "0.5", "heartbeat_interval_s", 0.5),
        ("BATCH_MAX_RECORDS", "10", "batch_max_records", 10),
        ("BATCH_WINDOW_MS", "0", "batch_window_ms", 0),
        ("BATCH_WINDOW_KEEPING_UP_MS", "0", "batch_window_keeping_up_ms", 0),
        ("MAX_RECORD_BYTES", "1048576", "max_record_bytes", 1_048_576),
        ("MAX_EVENT_BYTES", "1024", "max_event_bytes", 1024),
        ("MAX_FUTURE_S", "3600", "max_future_s", 3600.0),
        ("DEDUPE_TTL_S", "60", "dedupe_ttl_s", 60),
        ("DEDUPE_MAX_IDS", "5", "dedupe_max_ids", 5),
        ("REDIS_RETRY_MAX_S", "0.25", "redis_retry_max_s", 0.25),
        ("BATCH_STALL_S", "5", "batch_stall_s", 5.0),
        ("LOG_LEVEL", "debug", "log_level", "debug"),
        ("LOG_LEVEL_LIBRARIES", "warning", "log_level_libraries", "warning"),
    ],
)
def test_env_overrides_each_setting(var: str, raw: str, attr: str, expected: object) -> None:
    settings = Settings.from_env({var: raw})
    value = getattr(settings, attr)
    assert value == expected
    assert type(value) is type(expected)
    others = {f.name for f in dataclasses.fields(Settings)} - {attr}
    assert all(getattr(settings, name) == getattr(Settings(), name) for name in others)


@pytest.mark.parametrize(("var", "attr"), sorted(TOPIC_ENV_VARS.items()))
def test_env_overrides_each_topic_name(var: str, attr: str) -> None:
    topics = Settings.from_env({var: "  custom.topic  "}).topics
    assert getattr(topics, attr) == "custom.topic"
    assert "custom.topic" in topics.all
    others = {f.name for f in dataclasses.fields(TopicNames)} - {attr}
    assert all(getattr(topics, name) == getattr(TopicNames(), name) for name in others)


@pytest.mark.parametrize(
    ("broker", "bootstrap"),
    [
        ("kafka://127.0.0.1:9092", ["127.0.0.1:9092"]),
        ("kafka://a:9092,kafka://b:9093", ["a:9092", "b:9093"]),
        ("kafka://a:9092, kafka://b:9093 ", ["a:9092", "b:9093"]),
        ("a:9092,b:9093", ["a:9092", "b:9093"]),
        ("kafka://a:9092,", ["a:9092"]),
        ("kafka://a:9092,,kafka://b:9093", ["a:9092", "b:9093"]),
        ("kafka://a:9092,b:9093", ["a:9092", "b:9093"]),
        ("kafka://a:9092, ,kafka://b:9093", ["a:9092", "b:9093"]),
    ],
)
def test_kafka_bootstrap_strips_scheme_and_splits_commas(broker: str, bootstrap: list[str]) -> None:
    settings = Settings.from_env({"KAFKA_BROKER": broker})
    assert settings.kafka_bootstrap == bootstrap
    assert settings.faust_broker == [f"kafka://{server}" for server in bootstrap]


def test_faust_broker_adds_the_scheme_once() -> None:
    settings = Settings(kafka_broker="k1:9092,kafka://k2:9092")
    assert settings.faust_broker == ["kafka://k1:9092", "kafka://k2:9092"]


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("TOPIC_PARTITIONS", "eight"),
        ("TOPIC_PARTITIONS", "8.0"),
        ("TOPIC_PARTITIONS", ""),
        ("WEB_PORT", "80a"),
        ("DEDUPE_TTL_S", "7d"),
        ("MAX_EVENT_BYTES", "32k"),
        ("KAFKA_SESSION_TIMEOUT_S", "soon"),
        ("MAX_FUTURE_S", "1h"),
        ("KAFKA_IDEMPOTENT_PRODUCER", "maybe"),
        ("KAFKA_IDEMPOTENT_PRODUCER", ""),
    ],
)
def test_unparsable_numbers_raise_config_error_naming_the_variable(var: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=var) as info:
        Settings.from_env({var: raw})
    assert repr(raw) in str(info.value)
    assert isinstance(info.value, ValueError)


POSITIVE = [
    "TOPIC_PARTITIONS",
    "TOPIC_REPLICATION",
    "BATCH_MAX_RECORDS",
    "MAX_RECORD_BYTES",
    "MAX_EVENT_BYTES",
    "DEDUPE_MAX_IDS",
    "DEDUPE_TTL_S",
    "KAFKA_FETCH_MAX_WAIT_MS",
    "KAFKA_FETCH_MIN_BYTES",
    "BATCH_STALL_S",
]


@pytest.mark.parametrize("raw", ["0", "-1"])
@pytest.mark.parametrize("var", POSITIVE)
def test_non_positive_values_are_rejected(var: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=f"{var} must be positive"):
        Settings.from_env({var: raw})


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"KAFKA_HEARTBEAT_INTERVAL_S": "0"}, id="heartbeat-0"),
        pytest.param({"KAFKA_HEARTBEAT_INTERVAL_S": "-1"}, id="heartbeat-neg"),
        pytest.param({"KAFKA_SESSION_TIMEOUT_S": "nan"}, id="session-nan"),
        pytest.param({"MAX_FUTURE_S": "-5"}, id="future-neg"),
        pytest.param({"MAX_FUTURE_S": "inf"}, id="future-inf"),
        pytest.param({"REDIS_RETRY_MAX_S": "0"}, id="retry-0"),
        pytest.param({"BATCH_WINDOW_MS": "-1"}, id="window-neg"),
        pytest.param({"BATCH_WINDOW_KEEPING_UP_MS": "-1"}, id="keeping-up-window-neg"),
        pytest.param({"WEB_HEADER_TIMEOUT_S": "0"}, id="header-timeout-0"),
        pytest.param({"WEB_KEEPALIVE_TIMEOUT_S": "-1"}, id="keepalive-neg"),
        pytest.param({"WEB_MAX_CONNECTIONS": "0"}, id="connections-0"),
        pytest.param({"API_RATE_LIMIT_PER_S": "-1"}, id="rate-neg"),
        pytest.param({"API_RATE_LIMIT_PER_S": "inf"}, id="rate-inf"),
    ],
)
def test_unusable_timing_values_are_rejected(env: dict[str, str]) -> None:
    (var,) = env
    with pytest.raises(ConfigError, match=var):
        Settings.from_env(env)


@pytest.mark.parametrize("port", ["0", "-1", "65536"])
def test_web_port_must_be_a_tcp_port(port: str) -> None:
    with pytest.raises(ConfigError, match="WEB_PORT"):
        Settings.from_env({"WEB_PORT": port})


@pytest.mark.parametrize(
    ("session", "heartbeat"),
    [("6", "6"), ("6", "10"), ("1.5", "1.5")],
)
def test_heartbeat_must_be_below_session_timeout(session: str, heartbeat: str) -> None:
    env = {"KAFKA_SESSION_TIMEOUT_S": session, "KAFKA_HEARTBEAT_INTERVAL_S": heartbeat}
    with pytest.raises(ConfigError, match="KAFKA_HEARTBEAT_INTERVAL_S"):
        Settings.from_env(env)


def test_heartbeat_just_below_session_timeout_is_accepted() -> None:
    env = {"KAFKA_SESSION_TIMEOUT_S": "3", "KAFKA_HEARTBEAT_INTERVAL_S": "2.99"}
    assert Settings.from_env(env).heartbeat_interval_s == 2.99


@pytest.mark.parametrize("raw", ["", "   ", "\t"])
@pytest.mark.parametrize("var", sorted(TOPIC_ENV_VARS))
def test_empty_topic_name_is_rejected(var: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=f"{var} must not be empty"):
        Settings.from_env({var: raw})


def test_validate_runs_on_direct_construction_too() -> None:
    with pytest.raises(ConfigError, match="TOPIC_PARTITIONS"):
        Settings(topic_partitions=0).validate()
    Settings().validate()


EXPECTED_DEFAULTS = {
    "KAFKA_BROKER": "kafka://127.0.0.1:9092",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "APP_ID": "omnichannel-context",
    "DATA_DIR": "",
    "TOPIC_PARTITIONS": "8",
    "TOPIC_REPLICATION": "1",
    "WEB_HOST": "127.0.0.1",
    "WEB_PORT": "6066",
    "WEB_HEADER_TIMEOUT_S": "5.0",
    "WEB_KEEPALIVE_TIMEOUT_S": "15.0",
    "WEB_MAX_CONNECTIONS": "100",
    "API_RATE_LIMIT_PER_S": "100.0",
    "KAFKA_FETCH_MAX_WAIT_MS": "500",
    "KAFKA_FETCH_MIN_BYTES": "1",
    "KAFKA_IDEMPOTENT_PRODUCER": "true",
    "KAFKA_LAG_FROM_FETCHES": "false",
    "KAFKA_SESSION_TIMEOUT_S": "6.0",
    "KAFKA_HEARTBEAT_INTERVAL_S": "1.5",
    "BATCH_MAX_RECORDS": "500",
    "BATCH_WINDOW_MS": "20",
    "BATCH_WINDOW_KEEPING_UP_MS": "2",
    "MAX_RECORD_BYTES": "524288",
    "MAX_EVENT_BYTES": "32768",
    "MAX_FUTURE_S": "86400.0",
    "DEDUPE_TTL_S": "604800",
    "DEDUPE_MAX_IDS": "2000",
    "ANONYMOUS_TTL_S": "2592000",
    "AFFINITY_HALF_LIFE_DAYS": "14.0",
    "LIFECYCLE_LOYAL_ORDERS": "5",
    "LIFECYCLE_AT_RISK_DAYS": "60.0",
    "LIFECYCLE_LAPSED_DAYS": "90.0",
    "OFFER_RULES_PATH": "",
    "MALLOC_TRIM_INTERVAL_S": "30.0",
    "RULES_RELOAD_INTERVAL_S": "5.0",
    "CLOCK_MAX_AHEAD_S": "60.0",
    "CONTEXT_CACHE_SIZE": "5000",
    "DECISION_HISTORY_MAX": "50",
    "TIMER_INTERVAL_MS": "200",
    "REDIS_RETRY_MAX_S": "5.0",
    "BATCH_STALL_S": "60.0",
    "API_TOKEN": "",
    "ERASURE_SALT": "",
    "DECISION_GRACE_MS": "2000",
    "ERASURE_MEMORY_DAYS": "30.0",
    "LOG_LEVEL": "info",
    "LOG_LEVEL_LIBRARIES": "info",
    "TOPIC_CLICKSTREAM": "clickstream",
    "TOPIC_BASKET": "basket",
    "TOPIC_STORE_CHECKOUTS": "store-checkouts",
    "TOPIC_INVENTORY": "inventory",
    "TOPIC_DEADLETTER": "events.deadletter",
    "TOPIC_REMARKETING": "triggers.remarketing",
    "TOPIC_WEB_TO_STORE": "triggers.web-to-store",
    "TOPIC_CROSS_SELL": "triggers.cross-sell",
    "TOPIC_SUPPRESSED": "triggers.suppressed",
    "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
    "KAFKA_SASL_MECHANISM": "PLAIN",
    "KAFKA_SASL_USERNAME": "",
    "KAFKA_SASL_PASSWORD": "",
    "KAFKA_SSL_CAFILE": "",
    "KAFKA_SSL_CERTFILE": "",
    "KAFKA_SSL_KEYFILE": "",
}


def test_documentation_lists_every_env_var_with_its_default() -> None:
    rows = Settings.documentation()
    names = [name for name, _, _ in rows]
    assert len(names) == len(set(names)), "an env var is documented twice"
    assert {name: default for name, default, _ in rows} == EXPECTED_DEFAULTS
    assert all(isinstance(doc, str) and doc for _, _, doc in rows)
    env_fields = {f.metadata["env"] for f in dataclasses.fields(Settings) if "env" in f.metadata}
    assert env_fields | set(TOPIC_ENV_VARS) | set(KAFKA_SECURITY_ENV_VARS) == set(names)


def test_documented_defaults_parse_back_to_the_defaults() -> None:
    env = {name: default for name, default, _ in Settings.documentation()}
    assert Settings.from_env(env) == Settings()


def test_from_env_with_a_mapping_ignores_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPIC_PARTITIONS", "99")
    monkeypatch.setenv("KAFKA_BROKER", "kafka://misleading:1")
    monkeypatch.setenv("TOPIC_CLICKSTREAM", "misleading")
    monkeypatch.setenv("WEB_PORT", "not a port")
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"APP_ID": "x"}).topic_partitions == 8


def test_from_env_without_a_mapping_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in EXPECTED_DEFAULTS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TOPIC_PARTITIONS", "99")
    monkeypatch.setenv("TOPIC_CLICKSTREAM", "cs")
    settings = Settings.from_env()
    assert settings.topic_partitions == 99
    assert settings.topics.clickstream == "cs"


def test_topic_names_from_env_reads_only_topic_variables() -> None:
    env = {"TOPIC_BASKET": " cart ", "KAFKA_BROKER": "kafka://x:1", "clickstream": "nope"}
    assert TopicNames.from_env(env) == TopicNames(basket="cart")
    assert TopicNames.from_env({}) == TopicNames()
    with pytest.raises(ConfigError, match="TOPIC_INVENTORY must not be empty"):
        TopicNames.from_env({"TOPIC_INVENTORY": " "})


def test_topic_names_must_be_distinct() -> None:
    with pytest.raises(ConfigError, match="distinct"):
        Settings.from_env({"TOPIC_DEADLETTER": "clickstream"})


def test_an_empty_broker_list_is_rejected() -> None:
    with pytest.raises(ConfigError, match="KAFKA_BROKER"):
        Settings.from_env({"KAFKA_BROKER": " , "})


def test_at_risk_must_come_before_lapsed() -> None:
    with pytest.raises(ConfigError, match="LIFECYCLE_AT_RISK_DAYS"):
        Settings.from_env({"LIFECYCLE_AT_RISK_DAYS": "90", "LIFECYCLE_LAPSED_DAYS": "90"})


def test_the_api_token_never_shows_in_the_settings_repr() -> None:
    settings = Settings.from_env({"API_TOKEN": "s3cret-value"})
    assert "s3cret-value" not in repr(settings)
    assert settings.api_token == "s3cret-value"


def test_the_erasure_salt_never_shows_in_the_settings_repr() -> None:
    settings = Settings.from_env({"ERASURE_SALT": "pepper-0123456789abcdef"})
    assert "pepper-0123456789abcdef" not in repr(settings)
    assert "erasure_salt='***'" in repr(settings)
    assert settings.require_erasure_salt() == "pepper-0123456789abcdef"


@pytest.mark.parametrize("salt", ["", "too-short"])
def test_the_worker_needs_an_erasure_salt(salt: str) -> None:
    with pytest.raises(ConfigError, match="ERASURE_SALT"):
        Settings.from_env({"ERASURE_SALT": salt}).require_erasure_salt()
