"""Decoded contexts, kept by their stored bytes: a person read again is not decoded again.

Decoding a stored context (inflate, JSON, a dataclass per piece) was the largest
single cost of loading a batch's people. A person's events come back to the
worker that owns their partition, and most contexts read are the ones this worker
wrote a moment before, so the bytes Redis returns are often bytes it has already
decoded or encoded.

The key is the stored document itself, not a version number: the same bytes
always decode to the same context, so a hit can never be stale, whoever wrote
the bytes (another worker, a merge, an erasure that started the context over).
Contexts are immutable (frozen dataclasses whose containers the fold copies, never
changes), so one object can be handed to every reader.
"""

from __future__ import annotations

from collections import OrderedDict

from models.context import CustomerContext


class DecodedContexts:
    """At most ``capacity`` decoded contexts, least recently used out first (0: none)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._by_doc: OrderedDict[bytes, CustomerContext] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_doc)

    def decode(self, stored: bytes | str) -> CustomerContext:
        """The context these stored bytes hold; decoded once while they stay in the cache.
        (A client that decodes replies hands over text: the same document.)"""
        doc = stored if isinstance(stored, bytes) else stored.encode()
        context = self._by_doc.get(doc)
        if context is not None:
            self._by_doc.move_to_end(doc)
            self.hits += 1
            return context
        self.misses += 1
        context = CustomerContext.from_json(doc)
        self.remember(doc, context)
        return context

    def remember(self, doc: bytes, context: CustomerContext) -> None:
        """``context`` is what ``doc`` decodes to (it was just encoded from it)."""
        if self.capacity <= 0:
            return
        self._by_doc[doc] = context
        self._by_doc.move_to_end(doc)
        while len(self._by_doc) > self.capacity:
            self._by_doc.popitem(last=False)
