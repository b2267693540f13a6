"""Copies of one order (the web's and the till's): the sale they describe never depends on
which copy arrived first, nor on how the copies were split into batches."""

from __future__ import annotations

import itertools
import math
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from models.context import (
    DEFAULT_LIMITS,
    CustomerContext,
    OrderRecord,
    PurchasedProduct,
    StoreVisits,
    fold_new_events,
    merge,
    preferred_store,
    to_document,
)
from models.context.interests import decayed
from models.events import Event
from tests.unit.test_context_support import (
    DAY,
    PRODUCTS,
    SPAN_MS,
    STORES,
    T0,
    added,
    at_ms,
    event_lists,
    fold_all,
    ms,
    ordered,
    product,
    viewed,
)

U = {"user_id": "u-1", "anonymous_id": None}
A = {"user_id": None, "anonymous_id": "a-1"}
SECOND = 1 / 60  # in the minutes of ``at_ms``
SHOES = [product("p1", category="shoes", price=90.0)]


def web_copy(message_id: str = "web", minutes: float = 0, **who: Any) -> Event:
    return ordered(message_id, minutes, "o1", 90, SHOES, **(who or U))


def till_copy(
    message_id: str = "till", minutes: float = SECOND, store: str = "S1", **who: Any
) -> Event:
    return ordered(message_id, minutes, "o1", 90, SHOES, store_id=store, **(who or U))


def comparable(context: CustomerContext) -> dict[str, Any]:
    """The stored context but the basket (see below) and affinity (``same_interest``)."""
    stored: dict[str, Any] = orjson.loads(context.to_json())
    stored.pop("basket", None), stored.pop("category_affinity", None)
    return stored


def same_interest(a: CustomerContext, b: CustomerContext) -> bool:
    """Equal affinity from the latest time either knows of on, up to float rounding: moving
    a purchase's weight to another copy's time takes it back and adds it again."""
    if set(a.category_affinity) != set(b.category_affinity):
        return False
    for category, mine in a.category_affinity.items():
        theirs = b.category_affinity[category]
        at = max(mine.as_of_ms, theirs.as_of_ms)
        half_life = DEFAULT_LIMITS.half_life_ms
        if not math.isclose(decayed(mine, at, half_life), decayed(theirs, at, half_life)):
            return False
    return True


# --------------------------------------------------------------------------- the rule


def test_the_till_copy_describes_the_sale_whichever_copy_arrives_first() -> None:
    till_ms = at_ms(SECOND)
    for arrival in ([web_copy(), till_copy()], [till_copy(), web_copy()]):
        context = fold_all(arrival)
        assert (context.orders_count, context.total_spent) == (1, 90.0)
        assert (context.online_orders, context.store_orders) == (0, 1)
        assert context.recent_orders == (
            OrderRecord("o1", 9000, till_ms, "store", "S1", ("p1",), ("shoes",)),
        )
        assert preferred_store(context) == "S1"
        assert context.purchases_by_store == {"S1": StoreVisits(1, till_ms)}
        assert (context.first_order_ms, context.last_order_ms) == (till_ms, till_ms)
        assert context.last_order_channel == "store"
        assert context.recent_purchases == (PurchasedProduct("p1", "shoes", till_ms),)
    web_first, till_first = fold_all([web_copy(), till_copy()]), fold_all([till_copy(), web_copy()])
    assert comparable(web_first) == comparable(till_first)
    # What a touchpoint reads, lifecycle and rounded affinity included, is the same.
    now = till_ms + DAY
    assert to_document(web_first, now) == to_document(till_first, now)


def test_between_two_tills_the_earliest_copy_wins_then_the_lowest_store() -> None:
    early_s2, late_s1 = till_copy("a", 0, "s2"), till_copy("b", SECOND, "s1")
    for arrival in ([early_s2, late_s1], [late_s1, early_s2]):
        context = fold_all(arrival)
        assert context.recent_orders[0].store_id == "s2"
        assert context.purchases_by_store == {"s2": StoreVisits(1, at_ms(0))}
    same_time = [till_copy("a", 0, "s2"), till_copy("b", 0, "s1")]
    for arrival in (same_time, same_time[::-1]):
        assert preferred_store(fold_all(arrival)) == "s1"


def test_a_late_resend_never_moves_an_order_and_an_early_one_does() -> None:
    resent_later = web_copy("resent", 5)
    assert fold_all([web_copy(), resent_later]).last_order_ms == at_ms(0)
    assert fold_all([resent_later, web_copy()]).last_order_ms == at_ms(0)
    mobile_first = ordered("app", 0, "o1", 90, SHOES, channel="mobile", **U)
    assert fold_all([web_copy(), mobile_first]).last_order_channel == "mobile"  # same time: by name


def test_moving_an_order_leaves_the_latest_order_and_other_stores_right() -> None:
    events = [
        ordered("older", -20, "o0", 10, store_id="s2", **U),
        till_copy("till-s2", 2 * SECOND, "s2"),
        till_copy("till-s1", SECOND, "s1"),
        web_copy(),
        ordered("later", 10, "o2", 15, channel="mobile", **U),
    ]
    expected = fold_new_events(CustomerContext(), events, set()).context
    for arrival in itertools.permutations(events):
        context = fold_all(arrival)
        assert comparable(context) == comparable(expected)
        assert (context.online_orders, context.store_orders) == (1, 2)
        assert (context.last_order_ms, context.last_order_channel) == (at_ms(10), "mobile")
        # s2 keeps its own order and that order's time; one order each, s1's is the latest
        assert context.purchases_by_store == {
            "s1": StoreVisits(1, at_ms(SECOND)),
            "s2": StoreVisits(1, at_ms(-20)),
        }
        assert preferred_store(context) == "s1"


def test_every_arrival_order_gives_the_same_document_and_settles_the_basket() -> None:
    """Exhaustive over 720 arrival orders: the document but the basket's ``updated_at``,
    which keeps the time of the copy that settled it first (documented limit)."""
    events = [
        added("add", -10, "p1", price=90.0, **U),
        web_copy(),
        till_copy("till-s2", 2 * SECOND, "s2"),
        till_copy("till-s1", SECOND, "s1"),
        viewed("view", 1, "p3", category="bags", **U),
        ordered("other", 5, "o2", 15, [product("p3", category="bags")], **U),
    ]
    now = at_ms(60)

    def document(context: CustomerContext) -> dict[str, Any]:
        view = to_document(context, now)
        del view["basket"]["updated_at"]
        return view

    expected = document(fold_new_events(CustomerContext(), events, set()).context)
    assert expected["basket"]["items"] == []
    assert (expected["store_orders"], expected["preferred_store"]) == (1, "s1")
    for arrival in itertools.permutations(events):
        assert document(fold_all(arrival)) == expected


# --------------------------------------------------------------------------- identity merge


def purchase_facts(context: CustomerContext) -> dict[str, Any]:
    keep = ("orders_count", "total_spent_cents", "online_orders", "store_orders")
    keep += ("first_order_ms", "last_order_ms", "last_order_channel", "recent_orders")
    return {key: comparable(context).get(key) for key in (*keep, "recent_purchases")} | {
        "stores": context.purchases_by_store
    }


def test_a_copy_on_each_side_of_an_identity_merge_is_one_sale_described_by_the_till() -> None:
    for web_minutes in (0, 2 * SECOND):  # the web copy before the till's, then after

        def copy(kind: str, who: dict[str, Any], web_minutes: float = web_minutes) -> Event:
            return web_copy("web", web_minutes, **who) if kind == "web" else till_copy(**who)

        whole = fold_all([copy("web", U), copy("till", U)])
        assert whole.recent_orders[0].channel == "store"
        for visitor, customer in (("web", "till"), ("till", "web")):
            merged = merge(fold_all([copy(customer, U)]), fold_all([copy(visitor, A)]), "a-1")
            assert purchase_facts(merged) == purchase_facts(whole)
            assert same_interest(merged, whole)


# --------------------------------------------------------------------------- properties


@st.composite
def copies_of_one_sale(draw: st.DrawFn) -> list[Event]:
    """Two to four copies of order "dup": online or from a till, within two seconds of each
    other, totals that may disagree by 50 cents, the same products (it is one sale)."""
    at = ms(T0) + draw(st.integers(-SPAN_MS, SPAN_MS))
    listed = draw(st.lists(st.sampled_from(sorted(PRODUCTS)), max_size=3, unique=True))
    products = [product(p, category=PRODUCTS[p], price=5.0) for p in listed]
    copies = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["web", "mobile", *STORES]),
                st.integers(-2000, 2000),
                st.sampled_from([10, 10.5]),
            ),
            min_size=2,
            max_size=4,
        )
    )
    return [
        ordered(
            f"copy-{index}",
            0,
            "dup",
            total,
            products,
            store_id=where if where in STORES else None,
            channel=None if where in STORES else where,
            time_ms=at + shift,
            **U,
        )
        for index, (where, shift, total) in enumerate(copies)
    ]


def fold_in_batches(events: list[Event], cuts: list[int]) -> CustomerContext:
    """As the pipeline does: each batch sorted by event time, batches in arrival order."""
    context, seen = CustomerContext(), set[str]()
    bounds = [0, *sorted(cuts), len(events)]
    for start, end in itertools.pairwise(bounds):
        outcome = fold_new_events(context, events[start:end], seen)
        context = outcome.context
        seen |= {e.message_id for e in outcome.applied}
    return context


@given(copies_of_one_sale(), event_lists(), st.data())
def test_copies_among_other_events_give_one_context_in_any_order_and_batches(
    copies: list[Event], others: list[Event], data: st.DataObject
) -> None:
    # The basket is left out: quantities accumulating around an order already make it
    # depend on arrival order (README, "Ordering guarantees"); the exhaustive test
    # above checks that the copies settle it.
    events = [*copies, *others]
    expected = fold_new_events(CustomerContext(), events, set()).context
    arrival = data.draw(st.permutations(events))
    one_by_one = fold_all(arrival)
    assert comparable(one_by_one) == comparable(expected)
    assert same_interest(one_by_one, expected)
    cuts = data.draw(st.lists(st.integers(0, len(events)), max_size=4))
    batched = fold_in_batches(list(arrival), cuts)
    assert comparable(batched) == comparable(expected)
    assert same_interest(batched, expected)
    assert expected.orders_count == len({e.order.order_id for e in events if e.order})
