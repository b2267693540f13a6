"""The best offer now, under any rules, and how it is shown: the engine's pure core
(:func:`models.offers.best_offer.best_offer_now`, as the JSON ``/next-best-offer``
uses it), which reserves nothing and emits nothing. The what-if runs it under pasted
rules; the decision trace under the rules in effect."""

from __future__ import annotations

from collections.abc import Sequence

from models.offers.best_offer import BestOffer, best_offer_now
from models.offers.decisions import signals_needed_now
from models.offers.pressure import Contact
from models.offers.rules import OfferRules, SuppressionReason
from streams.redis.contacts import read_contacts
from streams.web.console.html import Safe, render, table
from streams.web.console.lookup import Found
from streams.web.dependencies import ApiDeps


async def assess(
    deps: ApiDeps, found: Found, rules: OfferRules, now_ms: int
) -> tuple[BestOffer, list[Contact]]:
    """Every candidate of ``rules`` for the customer now, with its verdict, and the contact
    history it was judged on. Trends are read over the worker's own trend window."""
    signals = await deps.signals.read(signals_needed_now(found.context, rules, now_ms))
    contacts = await read_contacts(deps.store.gateway, found.owner)
    result = best_offer_now(found.context, found.owner, rules, signals, contacts, now_ms)
    return result, contacts


def verdict_badge(verdict: str) -> Safe:
    kind = {"best": "best", "sent": "sent", "suppressed": "suppressed"}.get(verdict)
    if kind is None:
        kind = "suppressed" if verdict in _SUPPRESSIONS else "other"
    return render('<span class="verdict {}">{}</span>', kind, verdict.replace("_", " "))


_SUPPRESSIONS = {reason.value for reason in SuppressionReason}


def render_best(result: BestOffer, caption: str) -> Safe:
    """One row per candidate, in rank order: its verdict and why."""
    if result.best is None:
        summary = render("<p><strong>Nothing would be sent now.</strong></p>")
    else:
        best = result.best
        summary = render(
            "<p><strong>Best offer now:</strong> {} on {} (score {}).</p>",
            best.candidate.type.value.replace("_", " "),
            best.channel.channel.value if best.channel.channel else "no channel",
            best.candidate.score,
        )
    rows: list[Sequence[object]] = []
    for item in result.considered:
        candidate = item.candidate
        verdict = "best" if item.verdict is None else item.verdict.value
        rows.append(
            (
                candidate.type.value,
                verdict_badge(verdict),
                item.detail,
                render(
                    "{}<br><small><code>{}</code></small>",
                    candidate.reason_text,
                    candidate.reason_code,
                ),
                candidate.score,
                item.channel.channel.value if item.channel.channel else None,
                ", ".join(candidate.product_ids) or None,
                render("<code>{}</code>", candidate.trigger_id[:12]),
            )
        )
    return render(
        "{}{}",
        summary,
        table(
            caption,
            (
                "Type",
                "Verdict",
                "Why this verdict",
                "Reason for the offer",
                "Score",
                "Channel",
                "Products",
                "Trigger id",
            ),
            rows,
            empty="no candidate: no rule holds for this customer now",
        ),
    )
