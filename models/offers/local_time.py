"""Whose clock a decision reads: the customer's own zone when known, else the rules'.

Quiet hours and the daily cap follow the customer's local day. The rules' zone
(``quiet_hours.timezone``) stands in for a customer whose devices never sent a
valid ``context.timezone``.
"""

from __future__ import annotations

from dataclasses import replace

from models.context.state import CustomerContext
from models.offers.rules import QuietHours


def customer_zone(context: CustomerContext, quiet: QuietHours) -> str:
    return context.timezone.zone if context.timezone is not None else quiet.timezone


def customer_quiet_hours(context: CustomerContext, quiet: QuietHours) -> QuietHours:
    """The rules' quiet window, on the customer's clock."""
    zone = customer_zone(context, quiet)
    return quiet if zone == quiet.timezone else replace(quiet, timezone=zone)
