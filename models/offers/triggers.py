"""The output documents: triggers (PRODUCT.md "Trigger contract") and suppressions.

Downstream senders and dashboards read these names, so they are the stable API.
Times are ISO-8601 UTC ending in ``Z`` and derive from the decision's event
time, so a re-emission of the same decision is byte-for-byte the same
document (``context`` aside, which is a snapshot at ``now_ms``).
"""

from __future__ import annotations

from typing import Any

from models.context import (
    DEFAULT_THRESHOLDS,
    LifecycleThresholds,
    lifecycle_stage,
    preferred_store,
)
from models.context.document import iso
from models.context.state import CustomerContext
from models.offers.channels import ChannelChoice
from models.offers.decision import Candidate, PendingTrigger
from models.offers.rules import SuppressionReason, TriggerRule


def trigger_document(
    candidate: Candidate,
    channel: ChannelChoice,
    context: CustomerContext,
    rule: TriggerRule,
    now_ms: int,
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    rules_version: str = "",
) -> dict[str, Any]:
    """The trigger record; ``rules_version`` names the rules file that decided it."""
    if channel.channel is None:
        # Without a consented channel the decision is a suppression, never a trigger.
        raise ValueError("a trigger needs a channel; report no_consent instead")
    document: dict[str, Any] = {
        **_about(candidate),
        "channel": channel.channel.value,
        "offer": {
            "offer_id": rule.offer.offer_id,
            "product_ids": list(candidate.product_ids),
            "store_id": candidate.store_id,
            "incentive": rule.offer.incentive,
        },
        "score": round(candidate.score, 4),
        "reason": {"code": candidate.reason_code, "text": candidate.reason_text},
        "caused_by": list(candidate.caused_by),
        "created_at": iso(candidate.decided_ms),
        "expires_at": iso(candidate.decided_ms + rule.offer.expires_after_ms),
        "context": {
            "lifecycle_stage": lifecycle_stage(context, now_ms, thresholds),
            "orders_count": context.orders_count,
            "total_spent": context.total_spent,
            "preferred_store": preferred_store(context),
        },
        "rules_version": rules_version,
    }
    if channel.send_after_ms is not None:
        document["send_after"] = iso(channel.send_after_ms)
    return document


def suppression_document(
    candidate: Candidate | PendingTrigger,
    reason: SuppressionReason,
    detail: str,
    now_ms: int,
    beaten_by: Candidate | None = None,
    rules_version: str = "",
) -> dict[str, Any]:
    document: dict[str, Any] = {
        **_about(candidate),
        "reason": {"code": reason.value, "text": detail},
        "caused_by": list(candidate.caused_by),
        "decided_at": iso(now_ms),
        "rules_version": rules_version,
    }
    if reason is SuppressionReason.LOWER_PRIORITY and beaten_by is not None:
        document["beaten_by"] = {
            "trigger_id": beaten_by.trigger_id,
            "type": beaten_by.type.value,
            "score": round(beaten_by.score, 4),
        }
    return document


def _about(decision: Candidate | PendingTrigger) -> dict[str, Any]:
    """What every trigger and suppression record starts with: which decision, for whom."""
    return {
        "trigger_id": decision.trigger_id,
        "type": decision.type.value,
        "userId": decision.person.user_id,
        "anonymousId": decision.anonymous_id,
    }
