"""Stock readings and the restock index in Redis (layout: :mod:`.keys`).

A reading and the watchers of its (store, product) live under the store's hash
tag, so one script records the reading and, when it is a restock, answers who
watches the product there: the 0 -> more than 0 test and the read are atomic.
Everything here rides on the batch's finishing round trip.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from models.events import Event
from models.offers.restock import Restock, RestockReach, RestockWatch
from streams.redis.gateway import Reply, RoundTrip
from streams.redis.keys import stock_key, text, viewers_key


@dataclass(frozen=True)
class StockReading:
    """A ``Stock Updated`` queued for the store; its outcome once the round trip is sent."""

    event: Event
    reply: Reply

    @property
    def recorded(self) -> bool:
        """False when the store already held a reading with a later event time."""
        return bool(self.reply.value[0])

    @property
    def restock(self) -> Restock | None:
        """The restock this reading is: recorded, from 0 or unknown units to more."""
        stock = self.event.stock
        assert stock is not None
        _recorded, before, *_watchers = self.reply.value
        if not self.recorded or stock.quantity <= 0 or int(before) > 0:
            return None
        return Restock(
            stock.store_id,
            stock.product_id,
            stock.quantity,
            self.event.event_time_ms,
            self.event.message_id,
        )

    @property
    def watchers(self) -> list[str]:
        """Pseudonyms of the latest viewers to re-evaluate (only for a restock)."""
        return [text(member) for member in self.reply.value[2:]]


def queue_stock(
    trip: RoundTrip, events: Iterable[Event], reach: RestockReach
) -> list[StockReading]:
    """Every stock reading among ``events``, in event-time order (readings of one product
    in one batch see each other as they happened)."""
    readings = []
    for event in sorted((e for e in events if e.stock is not None), key=attrgetter("order_key")):
        stock = event.stock
        assert stock is not None
        at = event.event_time_ms
        reply = trip.script(
            "set_stock",
            [stock_key(stock.store_id), viewers_key(stock.store_id, stock.product_id)],
            [stock.product_id, stock.quantity, at, at - reach.window_ms, reach.max_people],
        )
        readings.append(StockReading(event, reply))
    return readings


def queue_watches(
    trip: RoundTrip, watches: Iterable[tuple[str, RestockWatch]], reach: RestockReach
) -> None:
    """Note ``(pseudonym, watch)`` pairs in their (store, product) indexes: one script per
    index, pruned to the reach's window and capped at its people."""
    by_key: dict[str, list[Any]] = defaultdict(list)
    for pseudonym, watch in watches:
        by_key[viewers_key(watch.store_id, watch.product_id)] += [pseudonym, watch.viewed_ms]
    for key, members in sorted(by_key.items()):
        trip.script("note_viewers", [key], [reach.window_ms, reach.max_people, *members])


def queue_unwatch(trip: RoundTrip, pseudonym: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Take the person out of these (store, product) indexes (one key each: Cluster)."""
    for store, product in sorted(pairs):
        trip.call("ZREM", viewers_key(store, product), pseudonym)
