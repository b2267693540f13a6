"""Every value a console page shows is escaped: a hostile id, product, category, reason
text or rules file is displayed as text, never run as markup."""

from __future__ import annotations

from typing import Any

import pytest

from models.context import CustomerContext, to_document
from models.identity import Identity
from models.offers.best_offer import best_offer_now
from models.offers.decision import Signals
from models.offers.pressure import Contact
from models.offers.rules_file import DEFAULT_RULES_PATH, load_rules
from streams.web.console.customer import render_360
from streams.web.console.deadletters import DeadLetterSample
from streams.web.console.html import Safe, esc, page, render, table
from streams.web.console.live import render_live
from streams.web.console.lookup import customer_path, find_form
from streams.web.console.rules import _error, check_rules
from streams.web.console.trace import render_trace

HOSTILE = '<script>alert("x")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
NOW = 1_700_000_000_000


def assert_inert(html: str) -> None:
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html


def test_esc_escapes_markup_and_quotes_but_not_safe_html() -> None:
    assert esc(HOSTILE) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert esc(ATTRIBUTE).startswith("&quot;&gt;&lt;img")
    assert esc("it's") == "it&#x27;s"
    assert esc(Safe("<b>kept</b>")) == "<b>kept</b>"
    assert render("<p>{}</p>", HOSTILE) == f"<p>{esc(HOSTILE)}</p>"


def test_tables_are_semantic_and_escape_cells_and_captions() -> None:
    html = table(HOSTILE, ("Col", ATTRIBUTE), [(HOSTILE, ATTRIBUTE)])
    assert '<th scope="col">Col</th>' in html
    assert html.count('<th scope="row">') == 1
    assert_inert(html)


def hostile_document() -> dict[str, Any]:
    doc = to_document(CustomerContext(user_id=HOSTILE, anonymous_ids=(ATTRIBUTE,)), NOW)
    doc["preferred_store"] = HOSTILE
    doc["basket"]["items"] = [
        {"product_id": HOSTILE, "quantity": 1, "price": 9.5, "added_at": None}
    ]
    doc["recent_products"] = [
        {"product_id": ATTRIBUTE, "category": HOSTILE, "last_viewed_at": None, "views": 3}
    ]
    doc["category_affinity"] = {HOSTILE: 1.5}
    doc["purchases_by_store"] = {HOSTILE: {"orders": 2, "last_order_at": None}}
    doc["recent_orders"] = [
        {
            "order_id": HOSTILE,
            "channel": "store",
            "store_id": ATTRIBUTE,
            "total": 9.5,
            "at": None,
            "product_ids": [HOSTILE],
        }
    ]
    return doc


def test_the_360_escapes_every_value() -> None:
    html = render_360(HOSTILE, hostile_document(), [ATTRIBUTE, HOSTILE], NOW)
    assert_inert(html)
    assert html.count(esc(HOSTILE)) >= 7


def test_the_trace_escapes_history_timers_and_reason_texts() -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    person = Identity.user(HOSTILE)
    history = [
        {
            "trigger_id": HOSTILE,
            "type": HOSTILE,
            "outcome": "suppressed",
            "reason": {"code": HOSTILE, "text": ATTRIBUTE},
            "channel": HOSTILE,
            "at": "2023-11-14T22:13:20Z",
        }
    ]
    pending = [
        {
            "type": HOSTILE,
            "due_ms": NOW + 1000,
            "scheduled_ms": NOW,
            "product_ids": [HOSTILE],
            "held": {"reason_text": HOSTILE, "reason_code": ATTRIBUTE},
        }
    ]
    contacts = [Contact(HOSTILE, HOSTILE, NOW - 1000, HOSTILE)]
    result = best_offer_now(CustomerContext(user_id=HOSTILE), person, rules, Signals(), [], NOW)
    html = render_trace(history, pending, contacts, result, rules, NOW)
    assert_inert(html)


@pytest.mark.parametrize("value", [HOSTILE, ATTRIBUTE])
def test_the_find_form_keeps_a_hostile_value_inside_its_attribute(value: str) -> None:
    html = find_form("csrf-token", value, value)
    assert_inert(html)
    assert 'name="csrf" value="csrf-token"' in html


def test_a_hostile_rules_file_error_is_shown_as_text() -> None:
    text = DEFAULT_RULES_PATH.read_text().replace("max_per_day = 1", f"max_per_day = '{HOSTILE}'")
    checked = check_rules(text)
    assert checked.rules is None and checked.field == "contact_pressure.max_per_day"
    assert_inert(_error(checked))


def test_the_live_page_escapes_samples_and_labels() -> None:
    scraped = {
        "omni_deadletters_total": [({"reason": HOSTILE}, 1.0)],
        "omni_triggers_suppressed_total": [({"type": HOSTILE, "reason": ATTRIBUTE}, 2.0)],
    }
    sample = DeadLetterSample(HOSTILE, HOSTILE, HOSTILE, 0, 1, HOSTILE, HOSTILE)
    trends = [{"product_id": HOSTILE, "views": 1, "adds": 0, "purchases": 0, "score": 1}]
    html = render_live(scraped, None, 0.0, {HOSTILE: [sample]}, trends, 60)
    assert_inert(html)


def test_page_titles_are_escaped_and_ids_are_quoted_in_paths() -> None:
    assert_inert(page(HOSTILE, Safe(""), csrf="t"))
    assert customer_path("a/b?c=<d>") == "/console/customers/a%2Fb%3Fc%3D%3Cd%3E"
