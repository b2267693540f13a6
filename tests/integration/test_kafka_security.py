"""Kafka SASL (PLAIN, SCRAM-SHA-256/512) and TLS for the worker and our other clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaError

from config import Settings
from config.kafka_security import KafkaSecurity
from models.identity import Identity
from streams.kafka.topics import ensure_topics
from streams.local.kafka import SecuredListeners, start_kafka
from streams.local.services import EmbeddedService
from streams.redis.keys import PersonKeys
from tests.brokers import chosen_broker
from tests.integration.harness import Services, WorkerProcess, wait_until
from tests.integration.in_process import event
from tests.integration.tls import Certificates, make_certificates

pytestmark = pytest.mark.integration

USERS = {"omni-worker": "w0rker-secret-1", "omni-generator": "gener8tor-secret-2"}


@pytest.fixture(scope="module")
def certificates(log_dir: Path) -> Certificates:
    return make_certificates(log_dir / "kafka-tls")


@pytest.fixture(scope="module")
def secured_kafka(log_dir: Path, certificates: Certificates) -> Iterator[EmbeddedService]:
    if chosen_broker() != "kafka":
        pytest.skip("SASL and TLS are tested on Apache Kafka (TEST_BROKER=kafka)")
    directory = log_dir / "kafka-secured"
    directory.mkdir(parents=True, exist_ok=True)
    kafka = start_kafka(directory, secured=SecuredListeners(USERS, certificates.keystore))
    yield kafka
    kafka.stop()


def _env(kafka: EmbeddedService, listener: str, mechanism: str, ca: Path | None) -> dict[str, str]:
    env = {
        "KAFKA_BROKER": f"127.0.0.1:{kafka.ports[listener]}",
        "KAFKA_SECURITY_PROTOCOL": listener,
        "KAFKA_SASL_MECHANISM": mechanism,
        "KAFKA_SASL_USERNAME": "omni-worker",
        "KAFKA_SASL_PASSWORD": USERS["omni-worker"],
    }
    if ca is not None:
        env["KAFKA_SSL_CAFILE"] = str(ca)
    return env


@pytest.mark.parametrize(
    ("listener", "mechanism"),
    [("SASL_PLAINTEXT", "SCRAM-SHA-256"), ("SASL_SSL", "SCRAM-SHA-512"), ("SASL_SSL", "PLAIN")],
)
def test_the_worker_consumes_and_commits_over_sasl(
    secured_kafka: EmbeddedService,
    certificates: Certificates,
    services: Services,
    log_dir: Path,
    listener: str,
    mechanism: str,
) -> None:
    ca = certificates.ca if listener == "SASL_SSL" else None
    env = _env(secured_kafka, listener, mechanism, ca)
    broker = Services(env["KAFKA_BROKER"], services.redis_url)
    worker = WorkerProcess(broker, log_dir / "workers-secured", extra_env=env)
    try:
        worker.create_topics()
        worker.start()
        security = KafkaSecurity.from_env(env)
        producer = KafkaProducer(bootstrap_servers=broker.kafka_broker, **security.kafka_python())
        user = f"secured-{worker.namespace}"
        document = event(
            "Product Viewed", datetime.now(UTC), user=user, product_id="SHO-1", price=90.0
        )
        producer.send(worker.topics.clickstream, key=user.encode(), value=orjson.dumps(document))
        producer.flush(timeout=30)
        producer.close()
        client = worker.redis()
        wait_until(
            lambda: client.hget(PersonKeys.of(Identity.user(user)).context, "doc"),
            timeout_s=60,
            what="the event folded through a secured broker",
        )
    finally:
        worker.stop()


def test_a_wrong_password_is_refused_by_the_topic_tool(
    secured_kafka: EmbeddedService, certificates: Certificates
) -> None:
    env = _env(secured_kafka, "SASL_SSL", "SCRAM-SHA-256", certificates.ca)
    env["KAFKA_SASL_PASSWORD"] = "not-the-password"
    with pytest.raises(KafkaError):
        ensure_topics(Settings.from_env(env), timeout_s=5)


def test_tls_refuses_a_broker_signed_by_another_ca(
    secured_kafka: EmbeddedService, log_dir: Path
) -> None:
    stranger = make_certificates(log_dir / "another-ca")
    env = _env(secured_kafka, "SASL_SSL", "SCRAM-SHA-256", stranger.ca)
    with pytest.raises(KafkaError):
        ensure_topics(Settings.from_env(env), timeout_s=5)
