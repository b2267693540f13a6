"""Consent per channel, identify, and merging a visitor's context into the customer's."""

from __future__ import annotations

from models.context import (
    ConsentChoice,
    ContextLimits,
    CustomerContext,
    merge,
    preferred_store,
    to_document,
)
from tests.unit.test_context_support import (
    added,
    at_ms,
    consented,
    event,
    fold_all,
    identify,
    iso,
    ordered,
    product,
    searched,
    viewed,
)

U = {"user_id": "u-1", "anonymous_id": None}
A = {"anonymous_id": "a-1"}

# --------------------------------------------------------------------------- consent


def test_consent_defaults_to_false_on_every_channel() -> None:
    document = to_document(CustomerContext(), 0)
    assert document["consent"] == {"email": False, "sms": False, "push": False, "ads": False}
    assert document["consent_updated_at"] is None


def test_consent_is_set_per_channel() -> None:
    context = fold_all([consented("1", 0, email=True, ads=True), consented("2", 5, ads=False)])
    assert context.consent == {
        "email": ConsentChoice(True, at_ms(0)),
        "ads": ConsentChoice(False, at_ms(5)),
    }
    document = to_document(context, at_ms(10))
    assert document["consent"] == {"email": True, "sms": False, "push": False, "ads": False}
    assert document["consent_updated_at"] == iso(at_ms(5))


def test_a_late_consent_update_does_not_override_a_newer_choice() -> None:
    context = fold_all(
        [
            consented("new", 10, email=True, sms=True),
            consented("old", 5, email=False, push=True),  # arrives late
        ]
    )
    assert context.consented("email") and context.consented("sms")
    assert context.consented("push")  # no newer choice for push: the late one applies
    assert context.consent["email"].updated_ms == at_ms(10)


def test_simultaneous_conflicting_consent_resolves_to_refusal_in_any_order() -> None:
    grant, refuse = consented("1", 0, sms=True), consented("2", 0, sms=False)
    assert not fold_all([grant, refuse]).consented("sms")
    assert not fold_all([refuse, grant]).consented("sms")


# --------------------------------------------------------------------------- identify


def test_identify_sets_the_user_and_links_the_anonymous_id() -> None:
    context = fold_all([identify("1", 0, "u-1", "a-1"), identify("2", 1, "u-1", "a-2")])
    assert context.user_id == "u-1"
    assert context.anonymous_ids == ("a-1", "a-2")
    assert context.events_by_type == {"identify": 2}


def test_anonymous_ids_are_capped_keeping_the_latest_linked() -> None:
    limits = ContextLimits(anonymous_ids=2)
    events = [identify(str(i), i, "u-1", f"a-{i}") for i in range(4)]
    assert fold_all(events, limits=limits).anonymous_ids == ("a-2", "a-3")


def test_custom_events_only_refresh_activity() -> None:
    before = fold_all([viewed("1", 0, "p1", category="x", **U)])
    after = fold_all(
        [event("2", "Coupon Clipped", 5, properties={"product_id": "p2"}, **U)], before
    )
    assert after.events_by_type == {"Product Viewed": 1, "other": 1}
    assert after.last_seen_ms == at_ms(5)
    assert (after.recent_products, after.category_affinity) == (
        before.recent_products,
        before.category_affinity,
    )


# --------------------------------------------------------------------------- merge


def visitor() -> CustomerContext:
    return fold_all(
        [
            viewed("a1", 0, "p1", category="shoes", **A),
            searched("a2", 1, "Boots", **A),
            added("a3", 2, "p1", price=50.0, **A),
            added("a4", 3, "p2", price=5.0, quantity=2, **A),
            consented("a5", 4, ads=True, email=False, **A),
            ordered("a6", 5, "shared", 20, [product("p9")], channel="mobile", **A),
        ]
    )


def customer() -> CustomerContext:
    return fold_all(
        [
            viewed("c1", -60, "p1", category="shoes", **U),
            viewed("c2", -50, "p3", category="bags", **U),
            added("c3", 10, "p2", price=4.5, **U),
            consented("c4", -10, email=True, ads=False, **U),
            ordered("c5", -30, "c-o1", 100, store_id="s1", **U),
            ordered("c6", 5, "shared", 20, [product("p9")], channel="mobile", **U),
        ]
    )


def test_merge_carries_views_basket_consent_and_counts_over() -> None:
    merged = merge(customer(), visitor(), "a-1")
    assert merged.user_id == "u-1"
    assert merged.anonymous_ids == ("a-1",)
    assert merged.merged_anonymous_ids == ("a-1",)
    assert (merged.first_seen_ms, merged.last_seen_ms) == (at_ms(-60), at_ms(10))
    assert merged.events_total == 12
    assert {v.product_id: v.views for v in merged.recent_products} == {"p1": 2, "p3": 1}
    assert [s.query for s in merged.recent_searches] == ["Boots"]
    assert set(merged.category_affinity) == {"shoes", "bags"}
    # The basket is the union; for p2 in both, the later add (the customer's) wins.
    assert {(i.product_id, i.quantity, i.price) for i in merged.basket.items} == {
        ("p1", 1, 50.0),
        ("p2", 1, 4.5),
    }
    # The visitor chose later on both channels: ads granted, email refused.
    assert merged.consented("ads") and not merged.consented("email")
    # The order seen under both ids counts once.
    assert (merged.orders_count, merged.total_spent, merged.online_orders) == (2, 120.0, 1)
    assert merged.store_orders == 1
    assert preferred_store(merged) == "s1"
    assert to_document(merged, at_ms(20))["lifecycle_stage"] == "repeat_customer"


def test_merge_is_idempotent() -> None:
    once = merge(customer(), visitor(), "a-1")
    assert merge(once, visitor(), "a-1") == once
    assert merge(once, CustomerContext(), "a-1") is once


def test_merging_an_empty_visitor_still_records_the_link() -> None:
    merged = merge(customer(), CustomerContext(), "a-9")
    assert merged.merged_anonymous_ids == ("a-9",)
    assert merged.anonymous_ids == ("a-9",)
    assert merged.orders_count == customer().orders_count


def test_an_order_of_the_customer_settles_the_visitors_basket() -> None:
    # Added online as a visitor, bought at the till with the loyalty card later.
    anonymous = fold_all([added("1", 0, "p1", price=30.0, **A)])
    known = fold_all([ordered("2", 60, "till", 30, [product("p1")], store_id="s1", **U)])
    merged = merge(known, anonymous, "a-1")
    assert merged.basket.items == ()
    assert merged.basket.updated_ms == at_ms(60)


def test_merge_keeps_the_later_consent_per_channel() -> None:
    anonymous = fold_all([consented("1", 10, sms=False), consented("2", 0, push=True)])
    known = fold_all([consented("3", 5, sms=True, push=False)])
    merged = merge(known, anonymous, "a-1")
    assert (merged.consented("sms"), merged.consented("push")) == (False, False)


def test_merge_keeps_the_latest_channel_and_order_times() -> None:
    anonymous = fold_all([ordered("1", 90, "o-a", 5, channel="mobile", **A)])
    known = fold_all([ordered("2", 10, "o-c", 7, store_id="s2", **U)])
    merged = merge(known, anonymous, "a-1")
    assert (merged.first_order_ms, merged.last_order_ms) == (at_ms(10), at_ms(90))
    assert (merged.last_order_channel, merged.last_channel) == ("mobile", "mobile")
    assert merged.total_spent_cents == 1200


def test_omnichannel_journey_as_the_store_stitches_it() -> None:
    # Browses anonymously, identifies, builds a basket on mobile, buys it at the till.
    shoes = {"product_id": "sku-1", "category": "shoes", "price": 80.0}
    socks = {"product_id": "sku-3", "category": "socks", "price": 10.0, "quantity": 2}
    page = event("a4", None, 3, call="page", properties={"url": "/"}, **A)
    visitor_context = fold_all(
        [*(event(f"a{i}", "Product Viewed", i, properties=shoes, **A) for i in range(3)), page]
    )
    context = merge(CustomerContext(), visitor_context, "a-1")
    context = fold_all(
        [
            identify("c1", 4, "u-1", "a-1"),
            consented("c2", 5, email=True, **U),
            event("c3", "Product Added", 6, channel="mobile", properties=shoes, **U),
            event("c4", "Product Added", 7, channel="mobile", properties=socks, **U),
            ordered("c5", 8, "o1", 100.0, [shoes, socks], store_id="store-1", **U),
            ordered("c6", 9, "o2", 30.0, [product("sku-4")], store_id="store-2", **U),
        ],
        context,
    )
    view = to_document(context, at_ms(10))
    assert (view["userId"], view["anonymousIds"]) == ("u-1", ["a-1"])
    assert (view["orders_count"], view["total_spent"], view["avg_order_value"]) == (2, 130.0, 65.0)
    assert (view["store_orders"], view["online_orders"]) == (2, 0)
    assert view["preferred_store"] == "store-2"
    assert view["lifecycle_stage"] == "repeat_customer"
    assert view["basket"]["items"] == []
    assert view["recent_products"][0]["views"] == 3
    assert view["consent"] == {"email": True, "sms": False, "push": False, "ads": False}
    assert view["events_by_channel"] == {"web": 6, "mobile": 2, "store": 2}
