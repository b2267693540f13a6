"""Console sessions and their CSRF tokens: signed, expiring, never the API token.

Logging in with the API token gives a session: a random id and an expiry, signed with
an HMAC key derived from the token. The cookie holds ``id.expiry.signature``: neither
the token nor anything from which it can be recovered. Every worker sharing the token
accepts the session (a load balancer may send each request to another worker), and
changing the token ends every session. Logging out revokes the id on the worker that
served it, until it expires, and deletes the cookie.

The CSRF token of a session is another HMAC of its id: forms carry it in a hidden
field, and every state-changing POST must present it (checked in constant time).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "omni_console"
COOKIE_PATH = "/console"
SESSION_TTL_S = 8 * 3600
# Revoked ids remembered until they expire; beyond this many the oldest are forgotten
# (they expire within SESSION_TTL_S anyway), so memory stays bounded.
MAX_REVOKED = 10_000
_KEY_LABEL = b"omni-console-session-v1"


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    expires_s: int


class Sessions:
    """Issues and checks console sessions for one API token (empty: nobody logs in)."""

    def __init__(
        self,
        token: str,
        ttl_s: int = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = token.encode("utf-8", "surrogateescape")
        self._key = hmac.new(self._token, _KEY_LABEL, hashlib.sha256).digest()
        self._ttl_s = ttl_s
        self._clock = clock
        self._revoked: OrderedDict[str, int] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return bool(self._token)

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is the API token (constant time; never true without one)."""
        encoded = given.encode("utf-8", "surrogateescape")
        return self.enabled and hmac.compare_digest(encoded, self._token)

    def issue(self) -> tuple[Session, str]:
        """A new session and the cookie value that carries it."""
        session = Session(secrets.token_hex(16), int(self._clock()) + self._ttl_s)
        payload = f"{session.session_id}.{session.expires_s}"
        return session, f"{payload}.{self._sign(payload)}"

    def verify(self, cookie: str | None) -> Session | None:
        """The session a cookie value carries, or None: forged, expired, revoked, malformed."""
        if not cookie or not self.enabled:
            return None
        parts = cookie.split(".")
        if len(parts) != 3:
            return None
        session_id, expires, signature = parts
        if not _same(signature, self._sign(f"{session_id}.{expires}")):
            return None
        try:
            expires_s = int(expires)
        except ValueError:
            return None
        if expires_s <= self._clock() or session_id in self._revoked:
            return None
        return Session(session_id, expires_s)

    def revoke(self, session: Session) -> None:
        now = self._clock()
        for old, expires_s in list(self._revoked.items()):
            if expires_s > now and len(self._revoked) < MAX_REVOKED:
                break
            del self._revoked[old]
        self._revoked[session.session_id] = session.expires_s

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf.{session.session_id}")

    def csrf_valid(self, session: Session, given: str) -> bool:
        return _same(given, self.csrf_token(session))

    @property
    def ttl_s(self) -> int:
        return self._ttl_s

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of any text (compare_digest refuses non-ASCII ``str``)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
