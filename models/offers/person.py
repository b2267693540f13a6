"""Who a decision is about, and the deterministic trigger id derived from it.

The trigger id hashes the person's key, the type and the cause, never a time or
a counter: the same decision taken again after a crash or in a replay gets the
same id, which is how downstream consumers and the pressure check recognise a
re-emission.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from models.context.state import CustomerContext
from models.offers.rules import TriggerType


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str | None
    anonymous_id: str | None

    def __post_init__(self) -> None:
        if self.user_id is None and self.anonymous_id is None:
            raise ValueError("a person needs a userId or an anonymousId")

    @property
    def key(self) -> str:
        # Same spelling as models.events.Identity, so logs and Redis keys line up.
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"anon:{self.anonymous_id}"

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @classmethod
    def from_context(cls, context: CustomerContext) -> Person:
        """The context's owner; its latest linked visitor id rides along for downstream."""
        anonymous_id = context.anonymous_ids[-1] if context.anonymous_ids else None
        return cls(context.user_id, anonymous_id)


def trigger_id(person: Person, trigger_type: TriggerType, cause: str) -> str:
    digest = hashlib.sha256(f"{person.key}|{trigger_type.value}|{cause}".encode())
    return digest.hexdigest()[:32]
