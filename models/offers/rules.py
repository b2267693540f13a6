"""Offer rules as typed values. The marketer edits ``config/offers.toml``;
:mod:`models.offers.rules_file` validates it into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum

from models.identity_trust import TRUST_ALL, IdentityTrust
from models.offers.holdout import Holdout

# Trends are live ("trending now"), and every minute of the window is one bucket that
# is read, cached and kept in Redis: a day is the longest window.
MAX_TREND_WINDOW_MS = 86_400_000


class TriggerType(StrEnum):
    ABANDONED_BASKET = "abandoned_basket"
    BROWSE_ABANDONMENT = "browse_abandonment"
    WEB_TO_STORE = "web_to_store"
    CROSS_SELL = "cross_sell"
    REACTIVATION = "reactivation"
    BACK_IN_STOCK = "back_in_stock"


# Types added after the first release: a rules file without their table leaves them off.
OPTIONAL_TRIGGER_TYPES = frozenset({TriggerType.BACK_IN_STOCK})


class ContactChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    ADS = "ads"


class SuppressionReason(StrEnum):
    """Why a decision was not sent. Stable codes: dashboards count them."""

    CAPPED = "capped"
    COOLDOWN = "cooldown"
    NO_CONSENT = "no_consent"
    PURCHASED = "purchased"  # bought meanwhile, in any channel
    LOWER_PRIORITY = "lower_priority"
    NO_LONGER_VALID = "no_longer_valid"  # e.g. the basket was emptied, the product added
    CHANNEL_CAPPED = "channel_capped"  # every consented channel is at its own cap
    # Would have been sent, but the person is in the type's holdout group (lift measurement).
    HOLDOUT = "holdout"


@dataclass(frozen=True, slots=True)
class OfferTemplate:
    offer_id: str
    incentive: str
    expires_after_ms: int


@dataclass(frozen=True, slots=True)
class TriggerRule:
    type: TriggerType
    enabled: bool
    priority: float
    # Delay between the condition holding and the trigger (timers); 0 = immediate.
    delay_ms: int
    cooldown_ms: int
    channels: tuple[ContactChannel, ...]
    offer: OfferTemplate
    # Thresholds; each type reads only those it needs.
    min_views: int = 0
    window_ms: int = 0
    lapse_ms: int = 0
    # How recent qualifying views must be for a restock to re-evaluate the viewer, and
    # the most viewers one restock re-evaluates (0: restocks re-evaluate nobody).
    restock_window_ms: int = 0
    restock_max_people: int = 0
    # A service message: neither stopped by nor counted against the global caps.
    exempt_from_caps: bool = False
    # Who is held out of this type to measure its lift (none by default).
    holdout: Holdout = field(default_factory=Holdout)


@dataclass(frozen=True, slots=True)
class ChannelCaps:
    """One channel's own caps, on top of the global ones; None: that window is uncapped."""

    per_day: int | None = None
    per_week: int | None = None


@dataclass(frozen=True, slots=True)
class ContactCaps:
    # per_day counts the customer's local calendar day; per_week a rolling 7 days.
    per_day: int = 1
    per_week: int = 3
    # Channel name -> its own caps; a channel not listed has none.
    channels: dict[str, ChannelCaps] = field(default_factory=dict)
    # Types whose contacts the global caps do not count: those exempt_from_caps.
    exempt_types: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local-time window in which ``channels`` are not sent; the trigger carries
    ``send_after`` (the end of the window) instead."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    timezone: str = "Europe/Paris"
    channels: tuple[ContactChannel, ...] = (ContactChannel.SMS, ContactChannel.PUSH)


@dataclass(frozen=True, slots=True)
class OfferRules:
    triggers: dict[TriggerType, TriggerRule]
    caps: ContactCaps = field(default_factory=ContactCaps)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # category -> complementary categories offered after a purchase in it
    cross_sell: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # At most MAX_TREND_WINDOW_MS.
    trend_window_ms: int = 3_600_000
    # Who may link a visitor to a customer ([identity]; absent: every source).
    identity: IdentityTrust = TRUST_ALL
    # Which rules file decided: see models.offers.rules_file.rules_version. Not part of
    # equality, so the same rules read from two copies of a file compare equal.
    version: str = field(default="", compare=False)

    def rule(self, trigger_type: TriggerType) -> TriggerRule | None:
        """The rule for a type, or None when it is absent or disabled."""
        rule = self.triggers.get(trigger_type)
        return rule if rule is not None and rule.enabled else None
