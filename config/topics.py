"""Kafka topic names, each overridable by its ``TOPIC_*`` environment variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from config.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TopicNames:
    """Kafka topic names. Defaults are the contract of PRODUCT.md."""

    clickstream: str = "clickstream"
    basket: str = "basket"
    store_checkouts: str = "store-checkouts"
    inventory: str = "inventory"
    deadletter: str = "events.deadletter"
    remarketing: str = "triggers.remarketing"
    web_to_store: str = "triggers.web-to-store"
    cross_sell: str = "triggers.cross-sell"
    suppressed: str = "triggers.suppressed"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TopicNames:
        overrides = {}
        for var, attr in TOPIC_ENV_VARS.items():
            if var in env:
                name = env[var].strip()
                if not name:
                    raise ConfigError(f"{var} must not be empty")
                overrides[attr] = name
        return cls(**overrides)

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.clickstream, self.basket, self.store_checkouts, self.inventory)

    @property
    def outputs(self) -> tuple[str, ...]:
        return (
            self.deadletter,
            self.remarketing,
            self.web_to_store,
            self.cross_sell,
            self.suppressed,
        )

    @property
    def all(self) -> tuple[str, ...]:
        return self.inputs + self.outputs


# env var -> TopicNames field
TOPIC_ENV_VARS: dict[str, str] = {
    "TOPIC_CLICKSTREAM": "clickstream",
    "TOPIC_BASKET": "basket",
    "TOPIC_STORE_CHECKOUTS": "store_checkouts",
    "TOPIC_INVENTORY": "inventory",
    "TOPIC_DEADLETTER": "deadletter",
    "TOPIC_REMARKETING": "remarketing",
    "TOPIC_WEB_TO_STORE": "web_to_store",
    "TOPIC_CROSS_SELL": "cross_sell",
    "TOPIC_SUPPRESSED": "suppressed",
}
