"""Consent per channel: the latest choice by event time wins, per channel.

Each channel keeps the event time of its last change, so a Consent Updated
that arrives late never overrides a newer choice. Two choices at the same
instant resolve to refusal: when in doubt, do not contact.
"""

from __future__ import annotations

from models.context.parts import ConsentChoice


def update(
    consent: dict[str, ConsentChoice], choices: dict[str, bool], at_ms: int
) -> dict[str, ConsentChoice]:
    return merge(consent, {ch: ConsentChoice(granted, at_ms) for ch, granted in choices.items()})


def merge(
    ours: dict[str, ConsentChoice], theirs: dict[str, ConsentChoice]
) -> dict[str, ConsentChoice]:
    merged = dict(ours)
    for channel, choice in theirs.items():
        known = merged.get(channel)
        if known is None or _wins(choice, known):
            merged[channel] = choice
    return merged


def _wins(choice: ConsentChoice, known: ConsentChoice) -> bool:
    if choice.updated_ms != known.updated_ms:
        return choice.updated_ms > known.updated_ms
    return not choice.granted


def updated_ms(consent: dict[str, ConsentChoice]) -> int | None:
    return max((choice.updated_ms for choice in consent.values()), default=None)
