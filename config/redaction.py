"""Connection URLs as they may be shown: passwords replaced by ``***``.

``REDIS_URL`` commonly carries the Redis password (``redis://:secret@host:6379/0``,
or ``?password=secret``), and a broker list may carry SASL credentials. Settings and
start-up messages get logged, copied into tickets and pasted in chats, so whatever
shows a URL shows it through :func:`redact_url`.
"""

from __future__ import annotations

import re

MASK = "***"

# redis-py also takes the password as a query parameter.
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&#]*")
_MASKED_QUERY_PASSWORD = r"\g<1>" + MASK


def redact_url(url: str) -> str:
    """``url`` with the password of its user info, and any ``password=``, masked.

    A user name stays: it names an account and is no secret.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    # The user info ends at the last "@": a password holding an unencoded "/", "?", "#",
    # "," or "@" is then masked whole. (An "@" in a query masks a little too much.)
    user_info, at, location = rest.rpartition("@")
    user, colon, password = user_info.partition(":")
    if at and colon and password:
        rest = f"{user}:{MASK}@{location}"
    return scheme + separator + _QUERY_PASSWORD.sub(_MASKED_QUERY_PASSWORD, rest)


def redact_url_list(urls: str) -> str:
    """A comma-separated list of URLs (``KAFKA_BROKER``), each through :func:`redact_url`."""
    return ",".join(redact_url(url) for url in urls.split(","))
