"""The knobs of one generation: how many customers, which seed, shares of bad and batched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from config import TopicNames


@dataclass(frozen=True)
class GeneratorOptions:
    customers: int = 100
    seed: int = 42
    bad_share: float = 0.01
    batch_share: float = 0.0
    start: datetime | None = None
    topics: TopicNames = field(default_factory=TopicNames)

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise ValueError("customers must be >= 0")
        if not 0.0 <= self.bad_share < 1.0:
            raise ValueError("bad_share must be in [0, 1)")
        if not 0.0 <= self.batch_share <= 1.0:
            raise ValueError("batch_share must be in [0, 1]")
