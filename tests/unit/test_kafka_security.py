"""Kafka SASL/TLS settings: validated, turned into each client's options, never shown."""

from __future__ import annotations

import pytest

from config import ConfigError, Settings
from config.kafka_security import KafkaSecurity

SCRAM = {
    "KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
    "KAFKA_SASL_MECHANISM": "scram-sha-512",
    "KAFKA_SASL_USERNAME": "omni",
    "KAFKA_SASL_PASSWORD": "kafka-pa55word",
}


def test_plaintext_by_default_with_no_options_but_the_protocol() -> None:
    security = Settings.from_env({}).kafka_security
    assert (security.sasl, security.tls, security.ssl_context()) == (False, False, None)
    assert security.kafka_python() == {"security_protocol": "PLAINTEXT"}


def test_scram_gives_kafka_python_its_mechanism_and_credentials() -> None:
    options = KafkaSecurity.from_env(SCRAM).kafka_python()
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "omni",
        "sasl_plain_password": "kafka-pa55word",
    }


def test_tls_verifies_the_broker_against_the_given_ca_or_the_systems() -> None:
    context = KafkaSecurity.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL"}).ssl_context()
    assert context is not None and context.check_hostname


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({**SCRAM, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
        ({**SCRAM, "KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SSL_CERTFILE": "client.pem"}, "KAFKA_SSL_KEYFILE"),
    ],
)
def test_incomplete_or_unknown_security_settings_are_refused(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_the_sasl_password_never_shows() -> None:
    settings = Settings.from_env(SCRAM)
    assert "kafka-pa55word" not in repr(settings)
    assert "kafka-pa55word" not in repr(settings.kafka_security)
