"""Activity counters and identity links: what every event refreshes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from models.context.limits import ContextLimits, bounded
from models.context.state import CustomerContext
from models.events import Event


def touched(context: CustomerContext, event: Event, limits: ContextLimits) -> dict[str, Any]:
    """The fields every event changes, as changes for :func:`~.state.evolve`: the
    fold adds its kind's own and copies the context once."""
    at = event.event_time_ms
    channel = event.channel.value
    latest = is_later(at, channel, context.last_seen_ms, context.last_channel)
    anonymous_ids = context.anonymous_ids
    if event.anonymous_id is not None:
        anonymous_ids = link(anonymous_ids, (event.anonymous_id,), limits.anonymous_ids)
    return {
        "user_id": context.user_id or event.user_id,
        "anonymous_ids": anonymous_ids,
        "first_seen_ms": at if context.first_seen_ms is None else min(context.first_seen_ms, at),
        "last_seen_ms": at if latest else context.last_seen_ms,
        "last_channel": channel if latest else context.last_channel,
        "events_total": bounded(context.events_total + 1),
        "events_by_type": add_counts(context.events_by_type, {event.kind.value: 1}),
        "events_by_channel": add_counts(context.events_by_channel, {channel: 1}),
    }


def is_later(at_ms: int, channel: str, last_ms: int | None, last_channel: str | None) -> bool:
    # Ties on time go to the greater channel name, so arrival order never decides.
    return last_ms is None or (at_ms, channel) > (last_ms, last_channel or "")


def link(known: tuple[str, ...], new: Iterable[str], cap: int) -> tuple[str, ...]:
    """Ids in the order first seen; past the cap the oldest are forgotten."""
    linked = list(known)
    for anonymous_id in new:
        if anonymous_id not in linked:
            linked.append(anonymous_id)
    return tuple(linked[-cap:]) if cap > 0 else ()


def add_counts(ours: dict[str, int], theirs: dict[str, int]) -> dict[str, int]:
    total = dict(ours)
    for key, count in theirs.items():
        total[key] = bounded(total.get(key, 0) + count)
    return total


def merge_activity(
    customer: CustomerContext, anonymous: CustomerContext, anonymous_id: str, limits: ContextLimits
) -> CustomerContext:
    first, last, channel = customer.first_seen_ms, customer.last_seen_ms, customer.last_channel
    if anonymous.first_seen_ms is not None:
        first = anonymous.first_seen_ms if first is None else min(first, anonymous.first_seen_ms)
    theirs_ms, theirs_channel = anonymous.last_seen_ms, anonymous.last_channel
    if theirs_ms is not None and is_later(theirs_ms, theirs_channel or "", last, channel):
        last, channel = theirs_ms, theirs_channel
    visitors = (*anonymous.anonymous_ids, anonymous_id)
    return replace(
        customer,
        user_id=customer.user_id or anonymous.user_id,
        anonymous_ids=link(customer.anonymous_ids, visitors, limits.anonymous_ids),
        merged_anonymous_ids=link(
            customer.merged_anonymous_ids,
            (*anonymous.merged_anonymous_ids, anonymous_id),
            limits.anonymous_ids,
        ),
        first_seen_ms=first,
        last_seen_ms=last,
        last_channel=channel,
        events_total=bounded(customer.events_total + anonymous.events_total),
        events_by_type=add_counts(customer.events_by_type, anonymous.events_by_type),
        events_by_channel=add_counts(customer.events_by_channel, anonymous.events_by_channel),
    )
