"""Back in stock: a product a customer viewed or added comes back, online or at their store.

Any view or basket add is interest; the online shop and the customer's own
store (their most frequent till store) are watched for the product in the
shared restock index (:mod:`models.offers.restock`). A reading that takes the
product there from 0 (or unknown) units to more, at most ``window`` after the
latest interest, offers it; a purchase of it in any channel since that interest
cancels. The trigger names the product, and the store (``offer.store_id``) or
none for the online shop, with the reason code saying which.

Only a restock makes this offer: the "best offer now" never holds one. Watches
are kept for customers only, whom a restock can find again by their context.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.context import preferred_store
from models.events import ONLINE_STOCK, Event, EventKind
from models.offers.decision import Candidate, Signals, Subject
from models.offers.interest import bought_since, latest_interest
from models.offers.kinds import Kind
from models.offers.restock import Restock, RestockReach, RestockWatch
from models.offers.rules import OfferRules, TriggerRule, TriggerType
from models.offers.texts import duration_text, time_text

_INTEREST = (EventKind.PRODUCT_VIEWED, EventKind.PRODUCT_ADDED)


class BackInStock(Kind):
    trigger_type = TriggerType.BACK_IN_STOCK
    topic = "remarketing"
    rule_keys = ("window", "restock_max_people")

    def candidates_now(
        self, subject: Subject, rules: OfferRules, signals: Signals, now_ms: int
    ) -> list[Candidate]:
        return []

    def restock_watches(
        self, subject: Subject, events: Sequence[Event], rules: OfferRules
    ) -> list[RestockWatch]:
        """Every product the events viewed or added, online and at the customer's store."""
        if subject.person.is_anonymous:
            return []
        latest: dict[str, int] = {}
        for event in events:
            if event.kind in _INTEREST:
                for product in event.products:
                    pid, at = product.product_id, event.event_time_ms
                    latest[pid] = max(latest.get(pid, at), at)
        store = preferred_store(subject.context)
        places = (ONLINE_STOCK,) if store is None else (ONLINE_STOCK, store)
        return [
            RestockWatch(where, pid, at) for pid, at in sorted(latest.items()) for where in places
        ]

    def restock_reach(self, rule: TriggerRule) -> RestockReach:
        return RestockReach(rule.window_ms, rule.restock_max_people)

    def on_restock(self, subject: Subject, restock: Restock, rules: OfferRules) -> Candidate | None:
        rule, where = self.rule(rules), restock.store_id
        online = where == ONLINE_STOCK
        if subject.person.is_anonymous or restock.units <= 0:
            return None
        if not online and where != preferred_store(subject.context):
            return None
        pid, at = restock.product_id, restock.at_ms
        interest_ms = latest_interest(subject.context, pid, at, rule.window_ms)
        if interest_ms is None or bought_since(subject.context, pid, interest_ms, at):
            return None
        place = "online" if online else f"at {where}, their store"
        text = (
            f"Viewed or added {pid}, last at {time_text(interest_ms)}; back in stock {place} "
            f"({restock.units} units) within {duration_text(rule.window_ms)}"
        )
        price = next((i.price for i in subject.context.basket.items if i.product_id == pid), None)
        return Candidate(
            type=TriggerType.BACK_IN_STOCK,
            person=subject.person,
            # The reading's time: the product back again after another sell-out is news again.
            cause=f"{pid}@{'online' if online else where}@{at}",
            product_ids=(pid,),
            store_id=None if online else where,
            value=price or 0.0,
            priority=rule.priority,
            caused_by=(restock.message_id,),
            reason_code="back_online" if online else "back_at_store",
            reason_text=text,
            decided_ms=at,
            visitor_id=subject.visitor_id,
        )


KIND: Kind = BackInStock()
