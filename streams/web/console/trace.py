"""Decision trace: why this customer got a message, or not.

The decision history (sent and suppressed, reason codes and texts), the pending
timers with their deadlines, the contacts against the caps with when the next contact
is allowed, and the best offer now with every candidate's verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aiohttp import web

from models.offers.best_offer import BestOffer
from models.offers.local_time import customer_zone
from models.offers.pressure import WEEK_MS, Contact, global_counts
from models.offers.rules import ContactCaps, OfferRules, TriggerType
from models.offers.texts import duration_text
from models.timezones import local_day_ms
from streams.redis.decisions import read_history
from streams.redis.person_view import read_person_view
from streams.web.console.auth import html_response, session_of
from streams.web.console.html import Safe, facts, iso_ms, page, render, table, when
from streams.web.console.lookup import customer_nav, found_or_404
from streams.web.console.offers_now import assess, render_best, verdict_badge
from streams.web.dependencies import API_DEPS


async def decision_trace(request: web.Request) -> web.StreamResponse:
    found = await found_or_404(request)
    if isinstance(found, web.Response):
        return found
    deps = request.app[API_DEPS]
    _session, csrf = session_of(request)
    now = deps.now_ms()
    history = await read_history(deps.store.gateway, found.owner)
    view = await read_person_view(deps.store.gateway, found.owner)
    result, contacts = await assess(deps, found, deps.rules, now)
    zone = customer_zone(found.context, deps.rules.quiet_hours)
    body = render_trace(history, view.pending, contacts, result, deps.rules, now, zone)
    title = f"Decision trace: {found.asked}"
    nav = customer_nav(found.asked, "/trace")
    return html_response(page(title, body, csrf=csrf, subnav=nav))


def next_contact_ms(
    contacts: Sequence[Contact],
    caps: ContactCaps,
    now_ms: int,
    zone: str = "UTC",
) -> int:
    """The earliest moment from ``now_ms`` at which a new contact passes the global caps
    (the rule of :mod:`models.offers.pressure`: the customer's local day, 7 days looking
    both ways). Counts only change at a local midnight or where a contact leaves the
    week, so those moments are the only ones to try."""
    midnights, day_end = [], now_ms
    for _ in range(8):  # past the last contact's week, nothing counts
        day_end = local_day_ms(day_end, zone)[1]
        midnights.append(day_end)
    moments = {now_ms, *midnights} | {
        c.at_ms + WEEK_MS for c in contacts if c.at_ms + WEEK_MS > now_ms
    }
    for moment in sorted(moments):
        day, week = global_counts(contacts, moment, zone, caps)
        if day < caps.per_day and week < caps.per_week:
            return moment
    return max(moments)  # unreachable: past the last window nothing counts


def channel_cap_facts(
    contacts: Sequence[Contact], caps: ContactCaps, now_ms: int, zone: str
) -> dict[str, object]:
    """Each capped channel's contacts against its own caps, on the customer's clock."""
    day_start, day_end = local_day_ms(now_ms, zone)
    shown: dict[str, object] = {}
    for channel, limits in sorted(caps.channels.items()):
        on_channel = [c for c in contacts if c.channel == channel]
        day = sum(day_start <= c.at_ms < day_end for c in on_channel)
        week = sum(abs(now_ms - c.at_ms) < WEEK_MS for c in on_channel)
        windows = [
            f"{used} of {cap} {span}"
            for used, cap, span in (
                (day, limits.per_day, "today"),
                (week, limits.per_week, "in 7 days"),
            )
            if cap is not None
        ]
        shown[f"{channel} (channel cap)"] = ", ".join(windows)
    return shown


def cooldowns_until(contacts: Iterable[Contact], rules: OfferRules, now_ms: int) -> dict[str, int]:
    """Per trigger type in cooldown now, when its cooldown ends."""
    ends: dict[str, int] = {}
    for rule in rules.triggers.values():
        for c in contacts:
            end = c.at_ms + rule.cooldown_ms
            if str(c.type) == rule.type.value and abs(now_ms - c.at_ms) < rule.cooldown_ms:
                ends[rule.type.value] = max(ends.get(rule.type.value, 0), end)
    return ends


def render_trace(
    history: Sequence[dict[str, Any]],
    pending: Sequence[dict[str, Any]],
    contacts: Sequence[Contact],
    result: BestOffer,
    rules: OfferRules,
    now_ms: int,
    zone: str = "UTC",
) -> Safe:
    decisions = table(
        "Recent decisions, newest first",
        ("When", "Type", "Outcome", "Reason", "Explanation", "Channel", "Trigger id"),
        (
            (
                when(iso_ms(d.get("at")), now_ms),
                d.get("type"),
                verdict_badge(str(d.get("outcome"))),
                render("<code>{}</code>", (d.get("reason") or {}).get("code")),
                (d.get("reason") or {}).get("text"),
                d.get("channel"),
                render("<code>{}</code>", str(d.get("trigger_id", ""))[:12]),
            )
            for d in history
        ),
        empty="no decision recorded for this customer",
    )
    timers = table(
        "Pending timers, soonest first",
        ("Deadline", "Type", "Armed", "Products", "Held decision"),
        (
            (
                when(p.get("due_ms"), now_ms),
                p.get("type"),
                when(p.get("scheduled_ms"), now_ms),
                ", ".join(p.get("product_ids") or ()) or None,
                _held(p.get("held")),
            )
            for p in pending
        ),
        empty="no timer pending",
    )
    caps = rules.caps
    day, week = global_counts(contacts, now_ms, zone, caps)
    next_ms = next_contact_ms(contacts, caps, now_ms, zone)
    cooling = cooldowns_until(contacts, rules, now_ms)
    pressure = facts(
        {
            f"Contacts today ({zone})": f"{day} of {caps.per_day}",
            "Contacts in 7 days": f"{week} of {caps.per_week}",
            "Next contact allowed": Safe("now") if next_ms <= now_ms else when(next_ms, now_ms),
            **channel_cap_facts(contacts, caps, now_ms, zone),
            "Exempt from the caps": ", ".join(sorted(caps.exempt_types)) or "none",
            "Types in cooldown": ", ".join(sorted(cooling)) or "none",
        }
    )
    cooldowns = table(
        "Cooldowns in force",
        ("Type", "Cooldown", "Ends"),
        (
            (kind, duration_text(rules.triggers[TriggerType(kind)].cooldown_ms), when(end, now_ms))
            for kind, end in sorted(cooling.items())
        ),
        empty="none",
    )
    contact_rows = table(
        "Contact history (caps count every contact, sent or being sent)",
        ("When", "Type", "Channel", "Trigger id"),
        (
            (
                when(c.at_ms, now_ms),
                str(c.type),
                c.channel,
                render("<code>{}</code>", c.trigger_id[:12]),
            )
            for c in contacts
        ),
        empty="never contacted",
    )
    return render(
        "<h2>Best offer now</h2>"
        '<p class="hint">What the engine would send now, under the rules in effect; '
        "nothing is reserved or emitted.</p>{}"
        "<h2>Decision history</h2>{}"
        '<div class="grid"><section><h2>Contact pressure</h2>{}{}{}</section>'
        "<section><h2>Pending timers</h2>{}</section></div>",
        render_best(result, "Every candidate, in rank order"),
        decisions,
        pressure,
        cooldowns,
        contact_rows,
        timers,
    )


def _held(held: dict[str, Any] | None) -> object:
    if not held:
        return None
    return render(
        "{} <small><code>{}</code></small>", held.get("reason_text"), held.get("reason_code")
    )
