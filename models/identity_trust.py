"""Which sources may link a visitor to a customer: the ``[identity]`` rules.

A link is an event carrying both ``userId`` and ``anonymousId``: an ``identify``
moves the visitor's context into the customer's (:mod:`models.context.merge`),
and any other such event adds the visitor to the customer's ``anonymous_ids``.
Either lets whoever holds the device read offers meant for the customer, so
only a source the rules trust may link: a ``context.channel`` they list, or a
``context.library.name`` (the Segment library that sent the event, e.g.
``analytics-node`` on a server) they list.

Untrusted, an ``identify`` is refused whole: linking is all it does. Any other
event is kept as the visitor's, whose context is the customer's only if a
trusted source linked them, so what the browser sent still counts where it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.events import Channel


@dataclass(frozen=True, slots=True)
class IdentityTrust:
    trusted_channels: frozenset[Channel] = frozenset(Channel)
    trusted_sources: frozenset[str] = frozenset()
    # False while the rules file has no [identity] section: every source is trusted, as
    # before the section existed (the worker warns at start-up).
    configured: bool = False

    def trusts(self, channel: Channel, source: str | None) -> bool:
        return channel in self.trusted_channels or (
            source is not None and source in self.trusted_sources
        )

    def refusal(self, channel: Channel, source: str | None) -> str:
        """Why an ``identify`` from this channel and source may not link (no ids in it)."""
        shown = f"context.library.name {source!r}" if source is not None else "no library name"
        channels = ", ".join(sorted(c.value for c in self.trusted_channels)) or "none"
        sources = ", ".join(sorted(self.trusted_sources)) or "none"
        return (
            f"identify from context.channel {channel.value!r} ({shown}) may not link a visitor "
            f"to a customer: [identity] trusts channels {channels} and sources {sources}"
        )


#: No ``[identity]`` section: every source links, as before the rules had one.
TRUST_ALL = IdentityTrust()


def event_source(context: dict[str, Any]) -> str | None:
    """``context.library.name`` when it is text: the Segment library that sent the event."""
    library = context.get("library")
    name = library.get("name") if isinstance(library, dict) else None
    return name if isinstance(name, str) else None
