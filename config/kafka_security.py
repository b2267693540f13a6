"""How every Kafka client of ours authenticates and encrypts: SASL and TLS from the environment.

One value for the worker (faust/aiokafka), the topic tool, the demo generator
and the tests' clients (kafka-python), so they cannot disagree. The password is
a secret: it never shows in a repr or a log.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from config.errors import ConfigError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")

# env var -> (field, description); each default is the field's, below
KAFKA_SECURITY_ENV_VARS: dict[str, tuple[str, str]] = {
    "KAFKA_SECURITY_PROTOCOL": (
        "protocol",
        "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, for every Kafka client",
    ),
    "KAFKA_SASL_MECHANISM": ("mechanism", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
    "KAFKA_SASL_USERNAME": ("username", "SASL user name"),
    "KAFKA_SASL_PASSWORD": ("password", "SASL password (a secret: never logged)"),
    "KAFKA_SSL_CAFILE": (
        "cafile",
        "PEM file of the CA that signed the brokers' certificates; empty: the system's",
    ),
    "KAFKA_SSL_CERTFILE": ("certfile", "PEM client certificate, for brokers that ask one"),
    "KAFKA_SSL_KEYFILE": ("keyfile", "PEM key of the client certificate"),
}


@dataclass(frozen=True, slots=True, repr=False)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    mechanism: str = "PLAIN"
    username: str = ""
    password: str = ""
    cafile: str = ""
    certfile: str = ""
    keyfile: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KafkaSecurity:
        values = {
            attr: env[var].strip()
            for var, (attr, _doc) in KAFKA_SECURITY_ENV_VARS.items()
            if var in env
        }
        if "protocol" in values:
            values["protocol"] = values["protocol"].upper()
        if "mechanism" in values:
            values["mechanism"] = values["mechanism"].upper()
        security = cls(**values)
        security.validate()
        return security

    def validate(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}")
        if self.sasl:
            if self.mechanism not in MECHANISMS:
                raise ConfigError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)}")
            if not (self.username and self.password):
                raise ConfigError(
                    f"{self.protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
                )
        if bool(self.certfile) != bool(self.keyfile):
            raise ConfigError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of every client (None without TLS): verifies the broker's name."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.cafile or None)
        if self.certfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def kafka_python(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's producer, consumer and admin client."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.sasl:
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        return options

    def __repr__(self) -> str:
        def shown(name: str) -> str:
            value = getattr(self, name)
            return "'***'" if name == "password" and value else repr(value)

        return f"KafkaSecurity({', '.join(f'{f.name}={shown(f.name)}' for f in fields(self))})"
