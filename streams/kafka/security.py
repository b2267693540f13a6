"""The worker's Kafka credentials in faust's terms (the rest of our clients use kafka-python,
configured by :meth:`config.kafka_security.KafkaSecurity.kafka_python`)."""

from __future__ import annotations

from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT

from config.kafka_security import KafkaSecurity


def faust_credentials(security: KafkaSecurity) -> CredentialsT | None:
    context = security.ssl_context()
    if security.sasl:
        # faust derives SASL_SSL from the presence of a TLS context.
        return SASLCredentials(
            username=security.username,
            password=security.password,
            mechanism=security.mechanism,
            ssl_context=context,
        )
    if context is not None:
        return SSLCredentials(context)
    return None
