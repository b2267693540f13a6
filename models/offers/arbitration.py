"""Arbitration: one person, several candidates, one message.

Too many solicitations kill the relationship, so only the best candidate is
sent; the others are reported as ``lower_priority`` with the winner named.
The order is total, so two workers (or a replay) always pick the same winner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.offers.decision import Candidate


@dataclass(frozen=True, slots=True)
class Arbitration:
    winner: Candidate | None
    losers: tuple[Candidate, ...]


def rank_key(candidate: Candidate) -> tuple[float, float, str, str]:
    """Highest score first; ties by priority, then type name, then trigger id."""
    return (-candidate.score, -candidate.priority, candidate.type.value, candidate.trigger_id)


def arbitrate(candidates: Sequence[Candidate]) -> Arbitration:
    if not candidates:
        return Arbitration(None, ())
    people = {c.person.key for c in candidates}
    if len(people) > 1:
        # Caps are per person: arbitrating across people would silence one for another.
        raise ValueError(f"arbitration is per person, got {sorted(people)}")
    # The same decision twice (a re-emitted trigger) competes once.
    unique = {c.trigger_id: c for c in sorted(candidates, key=lambda c: c.decided_ms)}
    ranked = sorted(unique.values(), key=rank_key)
    return Arbitration(ranked[0], tuple(ranked[1:]))


def moments(candidates: Iterable[Candidate]) -> list[list[Candidate]]:
    """The candidates that compete, oldest moment first: those that arose at the same
    moment (from one event). A backfilled order and today's visit in one batch do not."""
    by_moment: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_moment[candidate.decided_ms].append(candidate)
    return [by_moment[moment] for moment in sorted(by_moment)]
