"""The output documents: triggers (PRODUCT.md "Trigger contract") and suppressions.

Downstream senders and dashboards read these names, so they are the stable API.
Times are ISO-8601 UTC ending in ``Z`` and derive from the decision's event
time, so a re-emission of the same decision is byte-for-byte the same
document (``context`` aside, which is a snapshot at ``now_ms``).
"""

from __future__ import annotations

from typing import Any

from models.context import lifecycle_stage, preferred_store
from models.context.document import iso
from models.context.state import CustomerContext
from models.offers.candidates import Candidate
from models.offers.channels import ChannelChoice
from models.offers.rules import SuppressionReason, TriggerRule
from models.offers.timers import PendingTrigger


def trigger_document(
    candidate: Candidate,
    channel: ChannelChoice,
    context: CustomerContext,
    rule: TriggerRule,
    now_ms: int,
) -> dict[str, Any]:
    if channel.channel is None:
        # Without a consented channel the decision is a suppression, never a trigger.
        raise ValueError("a trigger needs a channel; report no_consent instead")
    person = candidate.person
    document: dict[str, Any] = {
        "trigger_id": candidate.trigger_id,
        "type": candidate.type.value,
        "userId": person.user_id,
        "anonymousId": person.anonymous_id,
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
            "lifecycle_stage": lifecycle_stage(context, now_ms),
            "orders_count": context.orders_count,
            "total_spent": context.total_spent,
            "preferred_store": preferred_store(context),
        },
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
) -> dict[str, Any]:
    person = candidate.person
    document: dict[str, Any] = {
        "trigger_id": candidate.trigger_id,
        "type": candidate.type.value,
        "userId": person.user_id,
        "anonymousId": person.anonymous_id,
        "reason": {"code": reason.value, "text": detail},
        "caused_by": list(candidate.caused_by),
        "decided_at": iso(now_ms),
    }
    if reason is SuppressionReason.LOWER_PRIORITY and beaten_by is not None:
        document["beaten_by"] = {
            "trigger_id": beaten_by.trigger_id,
            "type": beaten_by.type.value,
            "score": round(beaten_by.score, 4),
        }
    return document
