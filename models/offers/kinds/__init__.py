"""The trigger kinds: one module per trigger type, each holding everything about it.

A kind knows its conditions (from the events just folded: immediate candidates,
or pending timers for a timed kind), its decision at the deadline (timed kinds),
its "best offer now" candidates for the API, its reason texts, its output topic,
the rule keys it reads beyond the common ones, and the live signals it needs.

:mod:`models.offers.decisions` dispatches through :data:`KINDS`; nothing else
names a type. Adding a trigger type means: its module here (a :class:`Kind`),
its ``TriggerType`` member, its line in :data:`KINDS`, its table in
``config/offers.toml`` and its rows in the README's rules tables.

Every method receives the context *after* the batch was folded and, where it
takes events, the batch's events in order (``Event.order_key``). A kind is only
asked when its rule is enabled.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

from models.context.state import CustomerContext
from models.events import Event
from models.offers.decision import (
    NO_SIGNALS,
    Candidate,
    Expired,
    PendingTrigger,
    SignalRequest,
    Signals,
    Subject,
    never_due,
)
from models.offers.restock import Restock, RestockReach, RestockWatch
from models.offers.rules import OfferRules, TriggerRule, TriggerType


class Kind(ABC):
    """One trigger type. The defaults are those of a kind that does not do the thing:
    an immediate kind arms no timer, a timed kind sends nothing at once."""

    trigger_type: ClassVar[TriggerType]
    # The ``TopicNames`` attribute of the topic its triggers go to.
    topic: ClassVar[str]
    # The keys its rule requires beyond the common ones, as the rules file spells them.
    rule_keys: ClassVar[tuple[str, ...]] = ()

    def rule(self, rules: OfferRules) -> TriggerRule:
        return rules.triggers[self.trigger_type]

    def pending(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[PendingTrigger]:
        """Timers the events arm (a timed kind); each replaces the one of its :meth:`slot`."""
        return []

    def slot(self, pending: PendingTrigger) -> str:
        """What a timer replaces: by default, the person's timer of this type."""
        return f"{pending.person.key}|{pending.type.value}"

    def on_due(
        self, pending: PendingTrigger, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> Candidate | Expired:
        """At the deadline: does the condition still hold in the context as it is now?"""
        return never_due(pending)

    def candidates(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules, signals: Signals
    ) -> list[Candidate]:
        """What the events make worth sending at once (an immediate kind), one per event."""
        return []

    def signals_needed(
        self, context: CustomerContext, events: Sequence[Event], rules: OfferRules
    ) -> SignalRequest:
        """The live signals :meth:`candidates` will read for these events (in any order)."""
        return NO_SIGNALS

    def signals_needed_now(
        self, context: CustomerContext, rules: OfferRules, now_ms: int
    ) -> SignalRequest:
        """The live signals :meth:`candidates_now` will read."""
        return NO_SIGNALS

    def restock_watches(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[RestockWatch]:
        """The (store, product) pairs whose restock should bring the person back to this
        kind: what the events showed they want, where they could get it."""
        return []

    def restock_reach(self, rule: TriggerRule) -> RestockReach:
        """How far back, and how many watchers, a restock re-evaluates for this kind."""
        return RestockReach()

    def on_restock(self, subject: Subject, restock: Restock, rules: OfferRules) -> Candidate | None:
        """A watched product back in stock: what that makes worth sending, at its time."""
        return None

    @abstractmethod
    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        """What holds at ``now_ms`` from the context alone, with the engine's causes."""


# The kinds subclass Kind, so they are imported once it is defined.
from models.offers.kinds import (  # noqa: E402
    abandoned_basket,
    back_in_stock,
    browse_abandonment,
    cross_sell,
    reactivation,
    web_to_store,
)

KINDS: Mapping[TriggerType, Kind] = {
    kind.trigger_type: kind
    for kind in (
        abandoned_basket.KIND,
        browse_abandonment.KIND,
        web_to_store.KIND,
        cross_sell.KIND,
        reactivation.KIND,
        back_in_stock.KIND,
    )
}
