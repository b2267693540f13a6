"""Who something is about: a known customer or an anonymous visitor.

The one identity type of the code base. A context is stored under it, a
decision is taken for it, a trigger addresses it. A known customer is their
``userId`` (account or loyalty card); a visitor is their ``anonymousId``
(cookie or device) until ``identify`` links them to a customer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class IdentityKind(StrEnum):
    USER = "user"
    ANONYMOUS = "anon"


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentityKind
    value: str
    # A stable pseudonym, for every place where the id itself must not appear
    # (Redis key names, logs). Derived once: the hot path reads it many times.
    pseudonym: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        digest = hashlib.blake2b(str(self).encode(), digest_size=12).hexdigest()
        object.__setattr__(self, "pseudonym", digest)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"

    @classmethod
    def user(cls, user_id: str) -> Identity:
        return cls(IdentityKind.USER, user_id)

    @classmethod
    def anonymous(cls, anonymous_id: str) -> Identity:
        return cls(IdentityKind.ANONYMOUS, anonymous_id)

    @classmethod
    def of(cls, user_id: str | None, anonymous_id: str | None) -> Identity | None:
        """The userId when known, else the anonymousId, else nobody."""
        if user_id is not None:
            return cls.user(user_id)
        if anonymous_id is not None:
            return cls.anonymous(anonymous_id)
        return None

    @property
    def key(self) -> str:
        """``user:<id>`` or ``anon:<id>``: what trigger ids hash."""
        return str(self)

    @property
    def is_anonymous(self) -> bool:
        return self.kind is IdentityKind.ANONYMOUS

    @property
    def user_id(self) -> str | None:
        return self.value if self.kind is IdentityKind.USER else None

    @property
    def anonymous_id(self) -> str | None:
        return self.value if self.kind is IdentityKind.ANONYMOUS else None
