"""The values every trigger kind decides with: candidates, pending timers, live signals.

A decision is about one :class:`~models.identity.Identity`. A customer's
trigger also names ``visitor_id``, the anonymousId they were last seen under,
so downstream ad audiences (keyed by cookie) can reach them.

The trigger id hashes the person's key, the type and the cause, never a time or
a counter: the same decision taken again after a crash or in a replay gets the
same id, which is how downstream consumers and the pressure check recognise a
re-emission.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from models.context.state import CustomerContext
from models.events import Channel
from models.identity import Identity
from models.offers.rules import SuppressionReason, TriggerType

# Where a customer browses and builds a basket by themselves.
ONLINE = (Channel.WEB, Channel.MOBILE)


def trigger_id(person: Identity, trigger_type: TriggerType, cause: str) -> str:
    digest = hashlib.sha256(f"{person.key}|{trigger_type.value}|{cause}".encode())
    return digest.hexdigest()[:32]


def anonymous_id(person: Identity, visitor_id: str | None) -> str | None:
    """The anonymousId a document names: the visitor themself, or a customer's visitor id."""
    return person.value if person.is_anonymous else visitor_id


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a decision is about: their context after the batch, and who they are."""

    context: CustomerContext
    person: Identity
    # A customer's anonymousId, named in their triggers for downstream ad audiences.
    visitor_id: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    type: TriggerType
    person: Identity
    cause: str
    product_ids: tuple[str, ...]
    store_id: str | None
    value: float
    priority: float
    caused_by: tuple[str, ...]
    reason_code: str
    reason_text: str
    decided_ms: int
    visitor_id: str | None = None
    # Derived once: arbitration, pressure and documents read it many times.
    trigger_id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger_id", trigger_id(self.person, self.type, self.cause))

    @property
    def score(self) -> float:
        # A floor of 1 keeps a rule's priority meaningful when nothing is priced.
        return self.priority * max(self.value, 1.0)

    @property
    def anonymous_id(self) -> str | None:
        return anonymous_id(self.person, self.visitor_id)


@dataclass(frozen=True, slots=True)
class PendingTrigger:
    """A timed trigger waiting for its deadline; stored as JSON until then.

    The cause is fixed when the condition starts (the first add of the basket,
    the first view of the window), so rescheduling keeps the trigger id while
    the due time moves.
    """

    type: TriggerType
    person: Identity
    cause: str
    due_ms: int
    scheduled_ms: int
    product_ids: tuple[str, ...]
    caused_by: tuple[str, ...]
    # Money at stake when scheduled; for browse abandonment the viewed product's
    # price, which the context does not remember once the view event is gone.
    value: float = 0.0
    visitor_id: str | None = None
    # An immediate decision held for the grace (:meth:`holding`): taken already, its
    # consent, channel and caps are checked when due, on the context as it is then.
    held: Candidate | None = None
    trigger_id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger_id", trigger_id(self.person, self.type, self.cause))

    @property
    def slot(self) -> str:
        """Its place among the person's pending triggers. A timed type has one: arming it
        again moves the deadline. Held decisions have one each: every one is checked."""
        return self.type.value if self.held is None else f"{self.type.value}:{self.trigger_id}"

    @classmethod
    def holding(cls, candidate: Candidate, grace_ms: int) -> PendingTrigger:
        """An immediate candidate waiting ``grace_ms`` of event time before it is checked,
        so a consent given on another topic a moment before it is folded first."""
        return cls(
            type=candidate.type,
            person=candidate.person,
            cause=candidate.cause,
            due_ms=candidate.decided_ms + grace_ms,
            scheduled_ms=candidate.decided_ms,
            product_ids=candidate.product_ids,
            caused_by=candidate.caused_by,
            value=candidate.value,
            visitor_id=candidate.visitor_id,
            held=candidate,
        )

    @property
    def anonymous_id(self) -> str | None:
        return anonymous_id(self.person, self.visitor_id)

    def for_owner(self, owner: Identity) -> PendingTrigger:
        """This trigger, decided for whoever its visitor is now: a basket left by an
        anonymous visitor identified since is the customer's basket.

        The id then hashes the customer, so it is the same whichever worker, crash
        or replay decides it: an identified visitor never goes back.
        """
        if owner == self.person:
            return self
        visitor = self.person.value if self.person.is_anonymous else self.visitor_id
        held = None if self.held is None else replace(self.held, person=owner, visitor_id=visitor)
        return replace(self, person=owner, visitor_id=visitor, held=held)

    def candidate(
        self,
        product_ids: tuple[str, ...],
        value: float,
        priority: float,
        code: str,
        text: str,
        decided_ms: int,
    ) -> Candidate:
        """What this timer becomes when its condition still holds at the deadline."""
        return Candidate(
            type=self.type,
            person=self.person,
            cause=self.cause,
            product_ids=product_ids,
            store_id=None,
            value=value,
            priority=priority,
            caused_by=self.caused_by,
            reason_code=code,
            reason_text=text,
            decided_ms=decided_ms,
            visitor_id=self.visitor_id,
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "type": self.type.value,
                "user_id": self.person.user_id,
                "anonymous_id": self.anonymous_id,
                "cause": self.cause,
                "due_ms": self.due_ms,
                "scheduled_ms": self.scheduled_ms,
                "product_ids": list(self.product_ids),
                "caused_by": list(self.caused_by),
                "value": self.value,
                **({} if self.held is None else {"held": _held_fields(self.held)}),
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> PendingTrigger:
        data: dict[str, Any] = orjson.loads(raw)
        user_id, visitor = data.get("user_id"), data.get("anonymous_id")
        person = Identity.of(user_id, visitor)
        if person is None:
            raise ValueError("a pending trigger needs a user_id or an anonymous_id")
        pending = cls(
            type=TriggerType(data["type"]),
            person=person,
            cause=data["cause"],
            due_ms=data["due_ms"],
            scheduled_ms=data["scheduled_ms"],
            product_ids=tuple(data.get("product_ids", ())),
            caused_by=tuple(data.get("caused_by", ())),
            value=float(data.get("value", 0.0)),
            visitor_id=visitor if user_id is not None else None,
        )
        held = data.get("held")
        if held is None:
            return pending
        candidate = Candidate(
            type=pending.type,
            person=pending.person,
            cause=pending.cause,
            product_ids=pending.product_ids,
            store_id=held["store_id"],
            value=pending.value,
            priority=float(held["priority"]),
            caused_by=pending.caused_by,
            reason_code=held["reason_code"],
            reason_text=held["reason_text"],
            decided_ms=pending.scheduled_ms,
            visitor_id=pending.visitor_id,
        )
        return replace(pending, held=candidate)


def _held_fields(candidate: Candidate) -> dict[str, Any]:
    """What a held candidate adds to its pending trigger's stored form."""
    return {
        "store_id": candidate.store_id,
        "priority": candidate.priority,
        "reason_code": candidate.reason_code,
        "reason_text": candidate.reason_text,
    }


@dataclass(frozen=True, slots=True)
class Expired:
    """What a due timer became when it no longer holds."""

    pending: PendingTrigger
    reason: SuppressionReason
    detail: str


def never_due(pending: PendingTrigger) -> Expired:
    """An immediate kind arms no timer: one of its type found due has nothing to check."""
    detail = f"{pending.type.value} is decided at once, not at a deadline"
    return Expired(pending, SuppressionReason.NO_LONGER_VALID, detail)


@dataclass(frozen=True, slots=True)
class Signals:
    """Live facts the wiring layer reads from Redis before deciding."""

    stock: Mapping[tuple[str, str], int] = field(default_factory=dict)
    trending: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalRequest:
    """The live signals a decision will read, so the wiring layer fetches only those."""

    # (store, product) pairs whose units on hand are wanted.
    stock_pairs: frozenset[tuple[str, str]] = frozenset()
    # Categories whose trending products are wanted, over the trend window ending at
    # ``trends_at_ms``: in event time (the batch's latest purchase), so a replay reads
    # the same window; the API asks as of now.
    trend_categories: frozenset[str] = frozenset()
    trends_at_ms: int = 0

    @classmethod
    def union(cls, requests: Iterable[SignalRequest]) -> SignalRequest:
        """One read for several requests (several people of one batch)."""
        pairs: set[tuple[str, str]] = set()
        categories: set[str] = set()
        at_ms = 0
        for request in requests:
            pairs |= request.stock_pairs
            categories |= request.trend_categories
            at_ms = max(at_ms, request.trends_at_ms)
        return cls(frozenset(pairs), frozenset(categories), at_ms)


NO_SIGNALS = SignalRequest()
