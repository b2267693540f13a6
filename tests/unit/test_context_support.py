"""Builders and strategies shared by the context tests (no tests of its own).

Events are mostly built through the real parser, so the tests fold exactly
what the pipeline folds (defaults such as quantity 1 included); ``ev`` builds
bare events directly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from models.context import DEFAULT_LIMITS, ContextLimits, CustomerContext, fold
from models.events import CallType, Channel, Event, EventKind
from models.parsing import EventParser

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86_400_000
PARSER = EventParser()
PARSE_NOW = datetime(2100, 1, 1, tzinfo=UTC)  # every test time is in its past


def ms(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)


def at_ms(minutes: float) -> int:
    return ms(T0 + timedelta(minutes=minutes))


def iso(epoch_ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=epoch_ms)).isoformat().replace("+00:00", "Z")


# Direct construction, bypassing the parser: any kind with no payload at all,
# to show that folding never trusts an event to carry what its kind suggests.
CALLS = {
    EventKind.PAGE: CallType.PAGE,
    EventKind.SCREEN: CallType.SCREEN,
    EventKind.IDENTIFY: CallType.IDENTIFY,
}


def ev(
    message_id: str,
    minutes: float = 0,
    kind: EventKind = EventKind.PAGE,
    channel: Channel = Channel.WEB,
    user_id: str | None = None,
    anonymous_id: str | None = "anon-1",
    at: datetime | None = None,
) -> Event:
    call = CALLS.get(kind, CallType.TRACK)
    return Event(
        message_id=message_id,
        call=call,
        kind=kind,
        name=kind.value if call is CallType.TRACK else None,
        user_id=user_id,
        anonymous_id=anonymous_id,
        timestamp=at if at is not None else T0 + timedelta(minutes=minutes),
        channel=channel,
    )


def event(
    message_id: str,
    name: str | None,
    minutes: float = 0,
    *,
    call: str = "track",
    channel: str = "web",
    user_id: str | None = None,
    anonymous_id: str | None = "anon-1",
    properties: dict[str, Any] | None = None,
    time_ms: int | None = None,
) -> Event:
    doc: dict[str, Any] = {
        "messageId": message_id,
        "type": call,
        "timestamp": iso(at_ms(minutes) if time_ms is None else time_ms),
        "context": {"channel": channel},
        "properties": properties or {},
    }
    if name is not None:
        doc["event"] = name
    if user_id is not None:
        doc["userId"] = user_id
    if anonymous_id is not None:
        doc["anonymousId"] = anonymous_id
    return PARSER.parse_event(doc, PARSE_NOW)


def product(
    product_id: str,
    *,
    category: str | None = None,
    price: float | None = None,
    quantity: int | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {"product_id": product_id}
    if category is not None:
        fields["category"] = category
    if price is not None:
        fields["price"] = price
    if quantity is not None:
        fields["quantity"] = quantity
    return fields


def viewed(
    message_id: str, minutes: float, product_id: str, *, category: str | None = None, **kw: Any
) -> Event:
    return event(
        message_id,
        "Product Viewed",
        minutes,
        properties=product(product_id, category=category),
        **kw,
    )


def added(
    message_id: str,
    minutes: float,
    product_id: str,
    *,
    quantity: int | None = None,
    price: float | None = None,
    category: str | None = None,
    **kw: Any,
) -> Event:
    props = product(product_id, category=category, price=price, quantity=quantity)
    return event(message_id, "Product Added", minutes, properties=props, **kw)


def removed(
    message_id: str, minutes: float, product_id: str, *, quantity: int | None = None, **kw: Any
) -> Event:
    props = product(product_id, quantity=quantity)
    return event(message_id, "Product Removed", minutes, properties=props, **kw)


def ordered(
    message_id: str,
    minutes: float,
    order_id: str,
    total: float,
    products: Iterable[dict[str, Any]] = (),
    *,
    store_id: str | None = None,
    channel: str | None = None,
    **kw: Any,
) -> Event:
    props: dict[str, Any] = {"order_id": order_id, "total": total, "products": list(products)}
    if store_id is not None:
        props["store_id"] = store_id
    resolved = channel or ("store" if store_id is not None else "web")
    return event(message_id, "Order Completed", minutes, properties=props, channel=resolved, **kw)


def searched(message_id: str, minutes: float, query: str, **kw: Any) -> Event:
    return event(message_id, "Products Searched", minutes, properties={"query": query}, **kw)


def consented(
    message_id: str,
    minutes: float,
    *,
    user_id: str | None = None,
    anonymous_id: str | None = "anon-1",
    **choices: bool,
) -> Event:
    return event(
        message_id,
        "Consent Updated",
        minutes,
        properties=dict(choices),
        user_id=user_id,
        anonymous_id=anonymous_id,
    )


def identify(message_id: str, minutes: float, user_id: str, anonymous_id: str) -> Event:
    return event(
        message_id, None, minutes, call="identify", user_id=user_id, anonymous_id=anonymous_id
    )


def fold_all(
    events: Iterable[Event],
    context: CustomerContext | None = None,
    limits: ContextLimits = DEFAULT_LIMITS,
) -> CustomerContext:
    step = functools.partial(fold, limits=limits)
    return functools.reduce(step, events, context or CustomerContext())


# --------------------------------------------------------------------------- strategies

PRODUCTS = {"p1": "shoes", "p2": "shoes", "p3": "bags", "p4": "hats", "p5": None, "p6": "coats"}
QUERIES = ["Red Shoes", "red shoes", "RED SHOES ", "bags", "hat", "winter coat"]
STORES = ["s1", "s2", "s3"]
SPAN_MS = 40 * DAY


@st.composite
def order_specs(draw: st.DrawFn, prefix: str = "o", count: int = 6) -> dict[str, dict[str, Any]]:
    """Order contents fixed per order_id, so a resent order is the same order."""
    specs = {}
    for index in range(count):
        store = draw(st.sampled_from([None, *STORES]))
        specs[f"{prefix}{index}"] = {
            "offset": draw(st.integers(-SPAN_MS, SPAN_MS)),
            "total": draw(st.sampled_from([0, 9.99, 10, 19.5, 0.01, 120.35, 1.005])),
            "store_id": store,
            "channel": "store" if store else draw(st.sampled_from(["web", "mobile"])),
            "products": draw(st.lists(st.sampled_from(sorted(PRODUCTS)), max_size=3, unique=True)),
        }
    return specs


def _event_from(
    kind: str,
    index: int,
    offset: int,
    arg: Any,
    orders: dict[str, dict[str, Any]],
    who: dict[str, Any],
) -> Event:
    mid = f"m-{index}"
    if kind == "order":
        spec = orders[arg]
        products = [product(p, category=PRODUCTS[p], price=5.0) for p in spec["products"]]
        props: dict[str, Any] = {"order_id": arg, "total": spec["total"], "products": products}
        if spec["store_id"]:
            props["store_id"] = spec["store_id"]
        return event(
            mid,
            "Order Completed",
            time_ms=ms(T0) + spec["offset"],
            channel=spec["channel"],
            properties=props,
            **who,
        )
    time_ms = ms(T0) + offset
    channel = ["web", "mobile", "store"][index % 3]
    if kind in ("Product Viewed", "Product Added", "Product Removed"):
        pid, quantity = arg
        props = product(pid, category=PRODUCTS[pid], price=2.5, quantity=quantity)
        return event(mid, kind, time_ms=time_ms, channel=channel, properties=props, **who)
    if kind == "Products Searched":
        return event(mid, kind, time_ms=time_ms, properties={"query": arg}, **who)
    if kind == "Consent Updated":
        return event(mid, kind, time_ms=time_ms, properties=arg, **who)
    if kind == "page":
        return event(mid, None, call="page", time_ms=time_ms, channel=channel, **who)
    return event(mid, "Custom Thing", time_ms=time_ms, channel=channel, **who)


_product_arg = st.tuples(st.sampled_from(sorted(PRODUCTS)), st.one_of(st.none(), st.integers(1, 3)))
_consent_arg = st.dictionaries(
    st.sampled_from(["email", "sms", "push", "ads"]), st.booleans(), min_size=1
)
_step_args: dict[str, st.SearchStrategy[Any]] = {
    "Product Viewed": _product_arg,
    "Product Added": _product_arg,
    "Product Removed": _product_arg,
    "Products Searched": st.sampled_from(QUERIES),
    "Consent Updated": _consent_arg,
    "page": st.none(),
    "other": st.none(),
}


@st.composite
def event_lists(
    draw: st.DrawFn,
    orders: dict[str, dict[str, Any]] | None = None,
    who: dict[str, Any] | None = None,
    start: int = 0,
    max_size: int = 25,
) -> list[Event]:
    """Random events of one person; message ids are m-<start + i>."""
    orders = orders if orders is not None else draw(order_specs())
    who = who or {"user_id": "u-1", "anonymous_id": None}
    kinds = [*_step_args, "order"] if orders else list(_step_args)
    size = draw(st.integers(0, max_size))
    events = []
    for index in range(start, start + size):
        kind = draw(st.sampled_from(kinds))
        arg = draw(st.sampled_from(sorted(orders)) if kind == "order" else _step_args[kind])
        offset = draw(st.integers(-SPAN_MS, SPAN_MS))
        events.append(_event_from(kind, index, offset, arg, orders, who))
    return events
