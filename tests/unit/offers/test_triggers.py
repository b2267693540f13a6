"""Trigger and suppression documents: the output contract of PRODUCT.md."""

from __future__ import annotations

import orjson
import pytest

from models.offers.arbitration import arbitrate
from models.offers.channels import ChannelChoice
from models.offers.decision import Candidate, Signals
from models.offers.decisions import immediate_candidates, on_due, pending_triggers
from models.offers.rules import ContactChannel, SuppressionReason, TriggerType
from models.offers.triggers import suppression_document, trigger_document
from tests.unit.offers.support import (
    AS_USER,
    AS_VISITOR,
    RULES,
    STORE,
    TRIGGER_CONTRACT,
    USER,
    VISITOR,
    store_customer,
)
from tests.unit.test_context_support import at_ms, fold_all, viewed

W2S = TriggerType.WEB_TO_STORE
EVENTS = [*store_customer(), viewed("v1", 0, "p1", **AS_USER), viewed("v2", 5, "p1", **AS_USER)]
CONTEXT = fold_all(EVENTS)
SIGNALS = Signals(stock={(STORE, "p1"): 2})
RULE = RULES.triggers[W2S]
NOW = at_ms(6)


def web_to_store() -> Candidate:
    [candidate] = immediate_candidates(CONTEXT, EVENTS[-2:], USER, RULES, SIGNALS)
    return candidate


def test_the_trigger_document_has_exactly_the_contract_fields() -> None:
    candidate = web_to_store()
    document = trigger_document(candidate, ChannelChoice(ContactChannel.PUSH), CONTEXT, RULE, NOW)
    assert tuple(document) == TRIGGER_CONTRACT
    assert document["trigger_id"] == candidate.trigger_id
    assert document["type"] == "web_to_store"
    assert (document["userId"], document["anonymousId"]) == ("u-1", None)
    assert document["channel"] == "push"
    assert document["offer"] == {
        "offer_id": RULE.offer.offer_id,
        "product_ids": ["p1"],
        "store_id": STORE,
        "incentive": RULE.offer.incentive,
    }
    assert document["score"] == candidate.score
    assert document["reason"] == {"code": "in_stock_nearby", "text": candidate.reason_text}
    assert document["caused_by"] == ["v2"]
    assert document["created_at"] == "2024-06-01T12:05:00Z"
    assert document["expires_at"] == "2024-06-03T12:05:00Z"  # offer valid 2 days
    assert document["context"] == {
        "lifecycle_stage": "repeat_customer",
        "orders_count": 2,
        "total_spent": 40.0,
        "preferred_store": STORE,
    }
    orjson.dumps(document)  # plain JSON types only


def test_send_after_is_added_only_when_held_for_quiet_hours() -> None:
    held = ChannelChoice(ContactChannel.SMS, send_after_ms=at_ms(600), detail="quiet")
    document = trigger_document(web_to_store(), held, CONTEXT, RULE, NOW)
    assert document["send_after"] == "2024-06-01T22:00:00Z"


def test_the_same_decision_gives_the_same_document() -> None:
    push = ChannelChoice(ContactChannel.PUSH)
    one = trigger_document(web_to_store(), push, CONTEXT, RULE, NOW)
    two = trigger_document(web_to_store(), push, CONTEXT, RULE, NOW)
    assert orjson.dumps(one) == orjson.dumps(two)


def test_no_trigger_without_a_channel() -> None:
    with pytest.raises(ValueError):
        trigger_document(web_to_store(), ChannelChoice(None), CONTEXT, RULE, NOW)


def test_an_anonymous_trigger_names_the_visitor() -> None:
    context = fold_all([viewed(f"v{i}", i, "p1", **AS_VISITOR) for i in range(3)])
    [scheduled] = pending_triggers(context, [viewed("v2", 2, "p1", **AS_VISITOR)], VISITOR, RULES)
    candidate = on_due(scheduled, context, RULES, at_ms(70))
    assert isinstance(candidate, Candidate)
    rule = RULES.triggers[TriggerType.BROWSE_ABANDONMENT]
    document = trigger_document(candidate, ChannelChoice(ContactChannel.ADS), context, rule, NOW)
    assert (document["userId"], document["anonymousId"]) == (None, "anon-1")
    assert document["context"]["lifecycle_stage"] == "anonymous"
    assert document["offer"]["store_id"] is None


def test_a_lower_priority_suppression_names_the_winner() -> None:
    winner = web_to_store()
    loser = Candidate(
        TriggerType.CROSS_SELL, USER, "order:o-1", (), None, 1.0, 40.0, ("m9",), "c", "t", NOW
    )
    assert arbitrate([loser, winner]).winner == winner
    reason = SuppressionReason.LOWER_PRIORITY
    document = suppression_document(
        loser, reason, "beaten", NOW, beaten_by=winner, rules_version="0123456789ab"
    )
    assert document == {
        "trigger_id": loser.trigger_id,
        "type": "cross_sell",
        "userId": "u-1",
        "anonymousId": None,
        "reason": {"code": "lower_priority", "text": "beaten"},
        "caused_by": ["m9"],
        "decided_at": "2024-06-01T12:06:00Z",
        "rules_version": "0123456789ab",
        "beaten_by": {"trigger_id": winner.trigger_id, "type": "web_to_store", "score": 80.0},
    }


def test_an_expired_timer_is_reported_under_the_pending_trigger_id() -> None:
    [pending] = pending_triggers(
        fold_all([viewed(f"v{i}", i, "p7", **AS_USER) for i in range(3)]),
        [viewed("v2", 2, "p7", **AS_USER)],
        USER,
        RULES,
    )
    document = suppression_document(pending, SuppressionReason.PURCHASED, "bought", at_ms(24 * 60))
    assert document["trigger_id"] == pending.trigger_id
    assert document["reason"] == {"code": "purchased", "text": "bought"}
    assert "beaten_by" not in document


def test_the_context_snapshot_uses_the_configured_lifecycle_thresholds() -> None:
    from models.context import LifecycleThresholds

    push = ChannelChoice(ContactChannel.PUSH)
    default = trigger_document(web_to_store(), push, CONTEXT, RULE, NOW)
    strict = trigger_document(
        web_to_store(), push, CONTEXT, RULE, NOW, LifecycleThresholds(loyal_orders=1)
    )
    assert default["context"]["lifecycle_stage"] != "loyal"
    assert strict["context"]["lifecycle_stage"] == "loyal"


def test_a_customers_trigger_names_the_visitor_id_of_their_latest_event() -> None:
    who = {"user_id": "u-1", "anonymous_id": "anon-7"}
    events = [*store_customer(), viewed("v1", 0, "p1", **who), viewed("v2", 5, "p1", **who)]
    [candidate] = immediate_candidates(fold_all(events), events[-2:], USER, RULES, SIGNALS)
    assert candidate.visitor_id == "anon-7"
    assert candidate.trigger_id == web_to_store().trigger_id
    document = trigger_document(candidate, ChannelChoice(ContactChannel.PUSH), CONTEXT, RULE, NOW)
    assert (document["userId"], document["anonymousId"]) == ("u-1", "anon-7")
    suppressed = suppression_document(candidate, SuppressionReason.CAPPED, "capped", NOW)
    assert (suppressed["userId"], suppressed["anonymousId"]) == ("u-1", "anon-7")
