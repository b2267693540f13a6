"""One frozen settings object, built from environment variables.

Nothing here runs at import time: call :meth:`Settings.from_env` where the
process starts, so tests can build their own settings freely.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from config.errors import ConfigError
from config.kafka_security import KAFKA_SECURITY_ENV_VARS, KafkaSecurity
from config.redaction import redact_url, redact_url_list
from config.topics import TOPIC_ENV_VARS, TopicNames

__all__ = ["TOPIC_ENV_VARS", "ConfigError", "Settings", "TopicNames"]

T = TypeVar("T")

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Settings never shown in logs.
_SECRETS = ("api_token", "erasure_salt")


def _setting(env: str, default: Any, doc: str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Every tunable of the worker. Each field names its env var in ``metadata``."""

    kafka_broker: str = _setting(
        "KAFKA_BROKER", "kafka://127.0.0.1:9092", "Kafka bootstrap servers, comma-separated"
    )
    redis_url: str = _setting(
        "REDIS_URL",
        "redis://127.0.0.1:6379/0",
        "Redis connection URL; redis+cluster://host:port (rediss+cluster:// with TLS) for any "
        "node of a Redis Cluster",
    )
    app_id: str = _setting("APP_ID", "omnichannel-context", "Consumer group id and faust app name")
    data_dir: str = _setting(
        "DATA_DIR",
        "",
        "Directory of faust's local state; empty means '<APP_ID>-data' in the working directory",
    )
    topic_partitions: int = _setting(
        "TOPIC_PARTITIONS", 8, "Partitions per topic when the engine creates topics"
    )
    topic_replication: int = _setting(
        "TOPIC_REPLICATION", 1, "Replication factor when the engine creates topics"
    )
    web_host: str = _setting("WEB_HOST", "127.0.0.1", "Bind address of the worker web server")
    web_port: int = _setting("WEB_PORT", 6066, "Port of the worker web server")
    web_header_timeout_s: float = _setting(
        "WEB_HEADER_TIMEOUT_S",
        5.0,
        "Longest a new HTTP connection may take to send a complete request line and headers "
        "before it is closed (slow clients, slow-loris)",
    )
    web_keepalive_timeout_s: float = _setting(
        "WEB_KEEPALIVE_TIMEOUT_S",
        15.0,
        "Longest an idle keep-alive HTTP connection stays open after a response; the next "
        "request's headers must be complete within it",
    )
    web_max_connections: int = _setting(
        "WEB_MAX_CONNECTIONS",
        100,
        "Most open HTTP connections; at the cap a new one closes the longest-open idle one, "
        "or is closed when all are busy. Lowered at start-up to fit the open-file limit",
    )
    api_rate_limit_per_s: float = _setting(
        "API_RATE_LIMIT_PER_S",
        100.0,
        "Requests a second each client (IP address) may make to the bearer endpoints, in "
        "bursts of up to one second's worth; beyond, 429 with Retry-After. 0 turns it off",
    )
    fetch_max_wait_ms: int = _setting(
        "KAFKA_FETCH_MAX_WAIT_MS",
        500,
        "Longest a fetch waits for data (faust hard-codes 1500 ms). Apache Kafka answers as "
        "soon as there is data; brokers that answer only when the wait expires (Tansu) need "
        "a short one, 50",
    )
    fetch_min_bytes: int = _setting(
        "KAFKA_FETCH_MIN_BYTES",
        1,
        "Bytes a fetch waits for (up to KAFKA_FETCH_MAX_WAIT_MS) before Apache Kafka answers",
    )
    idempotent_producer: bool = _setting(
        "KAFKA_IDEMPOTENT_PRODUCER",
        True,
        "Idempotent producer (acks=all): a send the broker wrote but did not acknowledge "
        "before a disconnect is not written twice when retried. Brokers without "
        "InitProducerId (Tansu) need false",
    )
    lag_from_fetches: bool = _setting(
        "KAFKA_LAG_FROM_FETCHES",
        False,
        "Take the consumer lag's end offsets from fetch responses instead of asking the "
        "broker (ListOffsets): for brokers whose ListOffsets(latest) is wrong (Tansu). A "
        "paused partition's fetched end falls behind",
    )
    session_timeout_s: float = _setting(
        "KAFKA_SESSION_TIMEOUT_S", 6.0, "Consumer group session timeout"
    )
    heartbeat_interval_s: float = _setting(
        "KAFKA_HEARTBEAT_INTERVAL_S", 1.5, "Consumer group heartbeat interval"
    )
    batch_max_records: int = _setting(
        "BATCH_MAX_RECORDS", 500, "Most records folded into Redis in one batch"
    )
    batch_window_ms: int = _setting(
        "BATCH_WINDOW_MS", 20, "Longest a partial batch waits for more records"
    )
    batch_window_keeping_up_ms: int = _setting(
        "BATCH_WINDOW_KEEPING_UP_MS",
        2,
        "The wait instead of BATCH_WINDOW_MS while the worker keeps up: after a batch of "
        "fewer than BATCH_MAX_RECORDS / 10 records (at most BATCH_WINDOW_MS; equal to it: "
        "the window never changes)",
    )
    max_record_bytes: int = _setting(
        "MAX_RECORD_BYTES", 512 * 1024, "Largest accepted Kafka record (batch records included)"
    )
    max_event_bytes: int = _setting(
        "MAX_EVENT_BYTES",
        32 * 1024,
        "Largest accepted event, alone in a record or inside a batch (as its compact JSON)",
    )
    max_future_s: float = _setting(
        "MAX_FUTURE_S", 86_400.0, "How far ahead of the wall clock an event time may be"
    )
    dedupe_ttl_s: int = _setting(
        "DEDUPE_TTL_S", 7 * 86_400, "How long a processed messageId is remembered per person"
    )
    dedupe_max_ids: int = _setting(
        "DEDUPE_MAX_IDS", 2_000, "Most messageIds remembered per person (newest kept)"
    )
    anonymous_ttl_s: int = _setting(
        "ANONYMOUS_TTL_S",
        30 * 86_400,
        "Lifetime of an anonymous visitor's context after its last event, if never identified",
    )
    affinity_half_life_days: float = _setting(
        "AFFINITY_HALF_LIFE_DAYS", 14.0, "Half-life of category affinity scores"
    )
    loyal_orders: int = _setting(
        "LIFECYCLE_LOYAL_ORDERS", 5, "Orders from which a customer counts as loyal"
    )
    at_risk_days: float = _setting(
        "LIFECYCLE_AT_RISK_DAYS",
        60.0,
        "Days since the last order after which a customer is at risk",
    )
    lapsed_days: float = _setting(
        "LIFECYCLE_LAPSED_DAYS", 90.0, "Days since the last order after which a customer has lapsed"
    )
    offer_rules_path: str = _setting(
        "OFFER_RULES_PATH", "", "Offer rules file; empty means the shipped config/offers.toml"
    )
    malloc_trim_interval_s: float = _setting(
        "MALLOC_TRIM_INTERVAL_S",
        30.0,
        "How often the worker hands the heap memory it freed back to the OS (glibc's "
        "malloc_trim; without it the resident set stays at its high-water mark); 0 turns it off",
    )
    rules_reload_interval_s: float = _setting(
        "RULES_RELOAD_INTERVAL_S",
        5.0,
        "How often the worker re-reads the offer rules file and applies a changed, valid "
        "version (an invalid one is logged and the rules in effect stay); 0 turns it off",
    )
    clock_max_ahead_s: float = _setting(
        "CLOCK_MAX_AHEAD_S",
        60.0,
        "How far a partition's event-time clock may run ahead of the wall clock: a "
        "future-dated event cannot fire other people's timers early",
    )
    decision_grace_ms: int = _setting(
        "DECISION_GRACE_MS",
        2_000,
        "How long, in event time, an immediate trigger (cross-sell, web-to-store, "
        "reactivation) waits before its consent, channel and caps are checked, so a consent "
        "sent a moment before on another topic counts; 0 checks at once",
    )
    context_cache_size: int = _setting(
        "CONTEXT_CACHE_SIZE",
        5_000,
        "Decoded customer contexts kept in memory by their stored bytes (about 3.5 KB "
        "each), so a person read again is not decoded again; 0 keeps none",
    )
    decision_history_max: int = _setting(
        "DECISION_HISTORY_MAX", 50, "Most recent decisions (sent and suppressed) kept per person"
    )
    timer_interval_ms: int = _setting(
        "TIMER_INTERVAL_MS", 200, "How often a worker looks for due timers on its partitions"
    )
    redis_retry_max_s: float = _setting(
        "REDIS_RETRY_MAX_S",
        5.0,
        "Longest back-off between retries of a batch while Redis or Kafka is unavailable",
    )
    batch_stall_s: float = _setting(
        "BATCH_STALL_S",
        60.0,
        "How long a batch may stay in progress (failing or hanging on Redis or Kafka) before "
        "the worker reports a stall: /ready answers 503 and omni_pipeline_stalled turns 1",
    )
    api_token: str = _setting(
        "API_TOKEN",
        "",
        "Bearer token of the HTTP API (a secret: set it, never log it); empty disables the API",
    )
    erasure_salt: str = _setting(
        "ERASURE_SALT",
        "",
        "Secret key of the erasure memory's hashed tags (required by the worker; never log "
        "it; changing it forgets past erasures)",
    )
    erasure_memory_days: float = _setting(
        "ERASURE_MEMORY_DAYS",
        30.0,
        "How long an erasure is remembered: events queued from before it are dropped, and "
        "the person's contact caps survive it",
    )
    log_level: str = _setting("LOG_LEVEL", "info", "Log level of the engine's own loggers")
    log_level_libraries: str = _setting(
        "LOG_LEVEL_LIBRARIES",
        "info",
        "Log level of every library (faust, mode, aiokafka, kafka-python, aiohttp, redis...); "
        "at debug they log whole records and requests, customer data included",
    )
    topics: TopicNames = field(default_factory=TopicNames)
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            if name is None or name not in source:
                continue
            values[f.name] = _convert(name, source[name], type(f.default))
        values["topics"] = TopicNames.from_env(source)
        values["kafka_security"] = KafkaSecurity.from_env(source)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        positive = {
            "TOPIC_PARTITIONS": self.topic_partitions,
            "TOPIC_REPLICATION": self.topic_replication,
            "BATCH_MAX_RECORDS": self.batch_max_records,
            "MAX_RECORD_BYTES": self.max_record_bytes,
            "MAX_EVENT_BYTES": self.max_event_bytes,
            "DEDUPE_MAX_IDS": self.dedupe_max_ids,
            "DEDUPE_TTL_S": self.dedupe_ttl_s,
            "KAFKA_FETCH_MAX_WAIT_MS": self.fetch_max_wait_ms,
            "KAFKA_FETCH_MIN_BYTES": self.fetch_min_bytes,
            "KAFKA_SESSION_TIMEOUT_S": self.session_timeout_s,
            "KAFKA_HEARTBEAT_INTERVAL_S": self.heartbeat_interval_s,
            "MAX_FUTURE_S": self.max_future_s,
            "REDIS_RETRY_MAX_S": self.redis_retry_max_s,
            "BATCH_STALL_S": self.batch_stall_s,
            "ANONYMOUS_TTL_S": self.anonymous_ttl_s,
            "AFFINITY_HALF_LIFE_DAYS": self.affinity_half_life_days,
            "LIFECYCLE_LOYAL_ORDERS": self.loyal_orders,
            "LIFECYCLE_AT_RISK_DAYS": self.at_risk_days,
            "LIFECYCLE_LAPSED_DAYS": self.lapsed_days,
            "TIMER_INTERVAL_MS": self.timer_interval_ms,
            "CLOCK_MAX_AHEAD_S": self.clock_max_ahead_s,
            "DECISION_HISTORY_MAX": self.decision_history_max,
            "ERASURE_MEMORY_DAYS": self.erasure_memory_days,
            "WEB_HEADER_TIMEOUT_S": self.web_header_timeout_s,
            "WEB_KEEPALIVE_TIMEOUT_S": self.web_keepalive_timeout_s,
            "WEB_MAX_CONNECTIONS": self.web_max_connections,
        }
        for name, value in positive.items():
            if not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"{name} must be positive and finite, got {value}")
        if self.decision_grace_ms < 0:
            raise ConfigError(
                f"DECISION_GRACE_MS must not be negative, got {self.decision_grace_ms}"
            )
        if not (self.malloc_trim_interval_s >= 0 and math.isfinite(self.malloc_trim_interval_s)):
            raise ConfigError(
                "MALLOC_TRIM_INTERVAL_S must be 0 (off) or positive and finite, "
                f"got {self.malloc_trim_interval_s}"
            )
        if not (self.rules_reload_interval_s >= 0 and math.isfinite(self.rules_reload_interval_s)):
            raise ConfigError(
                "RULES_RELOAD_INTERVAL_S must be 0 (off) or positive and finite, "
                f"got {self.rules_reload_interval_s}"
            )
        if not (self.api_rate_limit_per_s >= 0 and math.isfinite(self.api_rate_limit_per_s)):
            raise ConfigError(
                f"API_RATE_LIMIT_PER_S must be 0 (off) or positive, got {self.api_rate_limit_per_s}"
            )
        if self.context_cache_size < 0:
            raise ConfigError(
                f"CONTEXT_CACHE_SIZE must be 0 (none) or positive, got {self.context_cache_size}"
            )
        if self.batch_window_ms < 0:
            raise ConfigError(f"BATCH_WINDOW_MS must not be negative, got {self.batch_window_ms}")
        if self.batch_window_keeping_up_ms < 0:
            raise ConfigError(
                "BATCH_WINDOW_KEEPING_UP_MS must not be negative, "
                f"got {self.batch_window_keeping_up_ms}"
            )
        if self.at_risk_days >= self.lapsed_days:
            raise ConfigError("LIFECYCLE_AT_RISK_DAYS must be below LIFECYCLE_LAPSED_DAYS")
        if not self.kafka_bootstrap:
            raise ConfigError("KAFKA_BROKER names no server")
        if len(set(self.topics.all)) != len(self.topics.all):
            raise ConfigError(f"topic names must be distinct, got {self.topics.all}")
        if not 0 < self.web_port < 65536:
            raise ConfigError(f"WEB_PORT must be a TCP port, got {self.web_port}")
        for name, level in (
            ("LOG_LEVEL", self.log_level),
            ("LOG_LEVEL_LIBRARIES", self.log_level_libraries),
        ):
            if level.upper() not in _LOG_LEVELS:
                raise ConfigError(f"{name} must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
        if self.heartbeat_interval_s >= self.session_timeout_s:
            raise ConfigError("KAFKA_HEARTBEAT_INTERVAL_S must be below KAFKA_SESSION_TIMEOUT_S")

    def __repr__(self) -> str:
        # Settings get logged; secrets must not be, nor the passwords in connection URLs.
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _SECRETS}
        shown["kafka_broker"] = redact_url_list(self.kafka_broker)
        shown["redis_url"] = redact_url(self.redis_url)
        hidden = ", ".join(f"{name}={'***' if getattr(self, name) else ''!r}" for name in _SECRETS)
        return f"Settings({shown}, {hidden})"

    def require_erasure_salt(self) -> str:
        """The worker's salt: without one, erasure memory would be an unsalted hash of ids."""
        if len(self.erasure_salt) < 16:
            raise ConfigError(
                "ERASURE_SALT must be set to a secret of at least 16 characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return self.erasure_salt

    @property
    def kafka_bootstrap(self) -> list[str]:
        """``host:port`` entries for kafka-python clients."""
        servers = (_strip_scheme(server) for server in self.kafka_broker.split(","))
        return [server for server in servers if server]

    @property
    def faust_broker(self) -> list[str]:
        """The broker URLs in faust's ``kafka://`` form."""
        return [f"kafka://{server}" for server in self.kafka_bootstrap]

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(env var, default, description) for every setting, for docs and ``--help``."""
        rows = [
            (f.metadata["env"], _env_text(f.default), f.metadata["doc"])
            for f in fields(cls)
            if "env" in f.metadata
        ]
        defaults = TopicNames()
        rows += [
            (var, getattr(defaults, attr), f"Topic name ({attr.replace('_', '-')})")
            for var, attr in TOPIC_ENV_VARS.items()
        ]
        security = KafkaSecurity()
        rows += [
            (var, getattr(security, attr), doc)
            for var, (attr, doc) in KAFKA_SECURITY_ENV_VARS.items()
        ]
        return rows


def _strip_scheme(server: str) -> str:
    server = server.strip()
    return server.split("://", 1)[1] if "://" in server else server


def _env_text(value: Any) -> str:
    """A default as it is written in the environment (booleans as ``true``/``false``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _boolean(raw: str) -> bool:
    try:
        return _BOOLEANS[raw.lower()]
    except KeyError:
        raise ValueError(raw) from None


def _convert(name: str, raw: str, kind: type[Any]) -> Any:
    converters: dict[type[Any], Callable[[str], Any]] = {
        bool: _boolean,
        int: int,
        float: float,
        str: str,
    }
    convert = converters.get(kind, str)
    try:
        return convert(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
