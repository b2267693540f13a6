"""Holdout groups: which people of a trigger type are kept from its messages, to measure it.

A person's group for a type is a deterministic function of the person and the type
alone: a SHA-256 of ``holdout|<type>|<person key>`` read as a bucket from 0 to 9,999.
The person is held out when the bucket is below the type's holdout in basis points
(hundredths of a percent). So:

- the same person stays in the same group across restarts, workers and Python versions
  (SHA-256, never Python's salted ``hash()``);
- raising the percentage only moves people from ``sent`` to ``holdout`` (and lowering it
  only moves them back): a small change never reshuffles everyone;
- each type draws its own groups, so the people held out of one type are not those of
  another.

The person is whoever the decision is for: the customer once a visitor is identified
(their ``userId``, whichever device or anonymousId the events came under), the visitor
before that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from models.identity import Identity

#: Buckets per person and type: a holdout is set to a hundredth of a percent.
BUCKETS = 10_000
DEFAULT_CONVERSION_WINDOW_MS = 7 * 86_400_000
#: Decisions are remembered for conversion in Redis as long as their window.
MAX_CONVERSION_WINDOW_MS = 90 * 86_400_000


class Group(StrEnum):
    """A decision's group: the only label, with the type, of the lift metrics."""

    SENT = "sent"
    HOLDOUT = "holdout"


@dataclass(frozen=True, slots=True)
class Holdout:
    """A trigger type's holdout: the share of people kept from it, in basis points
    (0 = none, 10,000 = everyone), and how long after a decision an order converts it."""

    basis_points: int = 0
    conversion_window_ms: int = DEFAULT_CONVERSION_WINDOW_MS

    @property
    def measured(self) -> bool:
        """Only a type with a holdout has two groups to compare: only its decisions are
        remembered and counted, so a rules file without holdouts costs nothing."""
        return self.basis_points > 0


def bucket(person: Identity, trigger_type: str) -> int:
    """The person's bucket for a type, 0 to 9,999; stable everywhere, forever."""
    digest = hashlib.sha256(f"holdout|{trigger_type}|{person.key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def group_of(person: Identity, trigger_type: str, holdout: Holdout) -> Group:
    """Whether a decision of this type for this person is sent or held out."""
    held = holdout.measured and bucket(person, trigger_type) < holdout.basis_points
    return Group.HOLDOUT if held else Group.SENT


def holdout_text(trigger_type: str, holdout: Holdout) -> str:
    """The reason text of a held-out decision, on ``triggers.suppressed``."""
    share = f"{holdout.basis_points / 100:g}%"
    return f"would have been sent; held out to measure the lift of {trigger_type} ({share} are)"
