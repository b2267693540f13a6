"""Console sessions and CSRF tokens: signed, expiring, revocable, never the token."""

from __future__ import annotations

from streams.web.console.session import Sessions

TOKEN = "s3cret-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_cookie_carries_its_session_and_never_the_token() -> None:
    sessions = Sessions(TOKEN)
    session, cookie = sessions.issue()
    assert sessions.verify(cookie) == session
    assert TOKEN not in cookie
    assert Sessions(TOKEN).verify(cookie) == session  # any worker with the same token


def test_forged_tampered_malformed_and_other_tokens_cookies_are_refused() -> None:
    sessions = Sessions(TOKEN)
    _session, cookie = sessions.issue()
    session_id, expires, signature = cookie.split(".")
    later = int(expires) + 10**6
    for bad in (
        None,
        "",
        "nonsense",
        f"{session_id}.{later}.{signature}",  # a longer life, same signature
        f"{session_id}.{expires}.{'0' * 64}",
        f"{session_id}.{expires}.{signature}é",  # non-ASCII: refused, never raises
        f"{session_id}.{expires}",
        cookie + ".x",
    ):
        assert sessions.verify(bad) is None, bad
    assert Sessions("another-token").verify(cookie) is None  # a rotated token ends sessions


def test_sessions_expire_and_logout_revokes() -> None:
    clock = Clock()
    sessions = Sessions(TOKEN, ttl_s=60, clock=clock)
    session, cookie = sessions.issue()
    clock.now += 59
    assert sessions.verify(cookie) == session
    clock.now += 1
    assert sessions.verify(cookie) is None
    session, cookie = sessions.issue()
    sessions.revoke(session)
    assert sessions.verify(cookie) is None


def test_without_a_token_nobody_logs_in() -> None:
    sessions = Sessions("")
    assert not sessions.enabled
    assert not sessions.token_matches("")
    _session, cookie = sessions.issue()
    assert sessions.verify(cookie) is None


def test_the_token_is_compared_exactly() -> None:
    sessions = Sessions(TOKEN)
    assert sessions.token_matches(TOKEN)
    for wrong in ("", TOKEN[:-1], TOKEN + " ", TOKEN.upper(), "s3cret-tokén", "\udcff"):
        assert not sessions.token_matches(wrong)


def test_the_csrf_token_belongs_to_one_session() -> None:
    sessions = Sessions(TOKEN)
    first, _ = sessions.issue()
    second, _ = sessions.issue()
    token = sessions.csrf_token(first)
    assert sessions.csrf_valid(first, token)
    assert not sessions.csrf_valid(second, token)
    for wrong in ("", "forged", token[:-1], token + "0", "é" * 64):
        assert not sessions.csrf_valid(first, wrong)
