"""Rules: the rules in effect and their version, validating a pasted rules file (the
worker's own field-path errors), and "what if": the best offer now for one customer
under pasted rules, side by side with the rules in effect. Nothing is emitted or written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from aiohttp import web

from models.context.document import iso
from models.offers.best_offer import BestOffer
from models.offers.rules import OfferRules, TriggerRule
from models.offers.rules_file import RulesError, _toml_error_location, parse_rules
from models.offers.texts import duration_text
from streams.pipeline.live_rules import LiveRules
from streams.web.console.auth import html_response, session_of
from streams.web.console.deps import CONSOLE_DEPS
from streams.web.console.html import Safe, facts, hidden_csrf, page, render, table
from streams.web.console.lookup import MAX_ID_CHARS, customer_path, lookup
from streams.web.console.offers_now import assess, render_best, verdict_badge
from streams.web.dependencies import API_DEPS

MAX_RULES_CHARS = 64 * 1024
PASTED = "pasted rules"


@dataclass(frozen=True, slots=True)
class Checked:
    rules: OfferRules | None
    error: str  # as the worker words it, with the field path first
    field: str | None = None


def check_rules(text: str) -> Checked:
    """Validate a pasted rules file exactly as the worker validates its own."""
    if len(text) > MAX_RULES_CHARS:
        return Checked(None, f"{PASTED}: longer than {MAX_RULES_CHARS} characters")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Checked(None, f"{PASTED}{_toml_error_location(str(exc))}")
    try:
        return Checked(parse_rules(document), "")
    except RulesError as exc:
        return Checked(None, str(exc), exc.field)


async def rules_page(request: web.Request) -> web.StreamResponse:
    _session, csrf = session_of(request)
    effect = request.app[CONSOLE_DEPS].rules
    return html_response(
        _page(csrf, effect, request.app[API_DEPS].rules, effect.current.text, "", None)
    )


async def validate(request: web.Request) -> web.StreamResponse:
    _session, csrf = session_of(request)
    form = await request.post()
    text = _field(form.get("rules"))
    checked = check_rules(text)
    effect = request.app[CONSOLE_DEPS].rules
    loaded = request.app[API_DEPS].rules
    if checked.rules is None:
        result = _error(checked)
    else:
        same = " They are the rules in effect." if checked.rules == loaded else ""
        result = render(
            '<div class="notice" role="status"><p><span class="verdict valid">valid</span> '
            "The pasted rules are valid.{}</p></div>",
            same,
        )
    return html_response(_page(csrf, effect, loaded, text, "", result), 200)


async def what_if(request: web.Request) -> web.StreamResponse:
    _session, csrf = session_of(request)
    deps = request.app[API_DEPS]
    effect = request.app[CONSOLE_DEPS].rules
    form = await request.post()
    text = _field(form.get("rules"))
    customer_id = _field(form.get("customer_id")).strip()[:MAX_ID_CHARS]
    checked = check_rules(text)
    found = await lookup(deps, customer_id) if customer_id else None
    if checked.rules is None:
        result = _error(checked)
    elif found is None:
        result = render(
            '<p class="error" role="alert">{}</p>',
            "Enter the userId or anonymousId of a stored customer.",
        )
    else:
        now = deps.now_ms()
        current, _contacts = await assess(deps, found, deps.rules, now)
        pasted, _contacts = await assess(deps, found, checked.rules, now)
        result = render(
            '<section class="card" aria-labelledby="whatif"><h2 id="whatif">What if: '
            '<a href="{}">{}</a></h2><p class="hint">Nothing was emitted, reserved or '
            "written.</p>{}<h3>Under the pasted rules</h3>{}<h3>Under the rules in effect</h3>"
            "{}</section>",
            customer_path(found.asked, "/trace"),
            found.asked,
            _changes(current, pasted),
            render_best(pasted, "Every candidate under the pasted rules"),
            render_best(current, "Every candidate under the rules in effect"),
        )
    return html_response(_page(csrf, effect, deps.rules, text, customer_id, result))


def _changes(current: BestOffer, pasted: BestOffer) -> Safe:
    def verdicts(result: BestOffer) -> dict[str, str]:
        return {
            item.candidate.type.value: "best" if item.verdict is None else item.verdict.value
            for item in result.considered
        }

    before, after = verdicts(current), verdicts(pasted)
    rows = [
        (kind, verdict_badge(before.get(kind, "absent")), verdict_badge(after.get(kind, "absent")))
        for kind in sorted(set(before) | set(after))
        if before.get(kind) != after.get(kind)
    ]
    return table(
        "Verdicts that change",
        ("Type", "Rules in effect", "Pasted rules"),
        rows,
        empty="no verdict changes",
    )


def _error(checked: Checked) -> Safe:
    where = render(" (field <code>{}</code>)", checked.field) if checked.field else Safe("")
    return render(
        '<div class="error" role="alert"><p><span class="verdict refused">invalid</span>{}</p>'
        "<p><code>{}</code></p></div>",
        where,
        checked.error,
    )


def _holdout(rule: TriggerRule) -> str:
    holdout = rule.holdout
    if not holdout.measured:
        return "none"
    window = duration_text(holdout.conversion_window_ms)
    return f"{holdout.basis_points / 100:g} %, conversions within {window}"


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""


def _page(
    csrf: str,
    effect: LiveRules,
    loaded: OfferRules,
    text: str,
    customer_id: str,
    result: Safe | None,
) -> str:
    warning = Safe("")
    if effect.rejection is not None:
        warning = render(
            '<p class="error" role="alert">The file was changed on {} but not applied, and '
            "the rules below stay in effect: {}</p>",
            iso(effect.rejection.at_ms),
            effect.rejection.error,
        )
    version = facts(
        {
            "File": effect.path,
            "Version (SHA-256 of the file, 12 digits)": render(
                "<code>{}</code>", effect.current.version
            ),
            "In effect since": iso(effect.current.applied_at_ms),
            "Contact caps": f"{loaded.caps.per_day} a day, {loaded.caps.per_week} a week",
            **_channel_caps(loaded),
            "Quiet hours": _quiet(loaded),
            "Trend window": duration_text(loaded.trend_window_ms),
        }
    )
    triggers = table(
        "Triggers",
        ("Type", "Enabled", "Priority", "Delay", "Cooldown", "Channels", "Holdout", "Offer"),
        (
            (
                rule.type.value,
                rule.enabled,
                rule.priority,
                duration_text(rule.delay_ms),
                duration_text(rule.cooldown_ms),
                ", ".join(c.value for c in rule.channels),
                _holdout(rule),
                render("{}<br><small>{}</small>", rule.offer.incentive, rule.offer.offer_id),
            )
            for rule in loaded.triggers.values()
        ),
    )
    cross = table(
        "Cross-sell map: a purchase in one category offers the others",
        ("Bought", "Offer from"),
        ((category, ", ".join(to)) for category, to in loaded.cross_sell.items()),
    )
    form = render(
        '<form method="post" action="/console/rules/validate" class="card">{}'
        '<label for="rules">Rules file (TOML)</label>'
        '<textarea id="rules" name="rules" spellcheck="false" wrap="off" rows="18">{}</textarea>'
        '<label for="whatif-customer">Customer for "what if" (userId or anonymousId)</label>'
        '<input id="whatif-customer" name="customer_id" type="text" value="{}" '
        'autocomplete="off" spellcheck="false">'
        '<p class="hint">Validate checks the file as the worker would at start-up. What if '
        "shows the best offer now for the customer under these rules: nothing is sent.</p>"
        '<button type="submit">Validate</button> '
        '<button type="submit" formaction="/console/rules/what-if" class="secondary">'
        "What if</button></form>",
        hidden_csrf(csrf),
        text,
        customer_id,
    )
    body = render(
        "{}<h2>Rules in effect</h2>"
        '<p class="hint">The rules file has no version field: its version is the SHA-256 '
        "of its content.</p>{}{}{}"
        "<h2>Try a change</h2>{}",
        warning,
        version,
        triggers,
        cross,
        form,
    )
    if result is not None:
        body = render("<h2>Result</h2>{}{}", result, body)
    return page("Rules", body, csrf=csrf, current="/console/rules")


def _channel_caps(rules: OfferRules) -> dict[str, str]:
    """Per-channel caps and exempt types (issue #14); "a day" is the customer's local day."""
    caps = rules.caps
    shown = {
        f"{channel} cap": ", ".join(
            text
            for limit, text in (
                (limits.per_day, f"{limits.per_day} a day"),
                (limits.per_week, f"{limits.per_week} a week"),
            )
            if limit is not None
        )
        for channel, limits in sorted(caps.channels.items())
    }
    shown["Exempt from the caps"] = ", ".join(sorted(caps.exempt_types)) or "none"
    return shown


def _quiet(rules: OfferRules) -> str:
    quiet = rules.quiet_hours
    if not quiet.channels:
        return "off"
    channels = ", ".join(c.value for c in quiet.channels)
    window = f"{quiet.start:%H:%M} to {quiet.end:%H:%M}"
    return f"{window} the customer's time, else {quiet.timezone} ({channels})"


__all__ = ["check_rules", "rules_page", "validate", "what_if"]
