"""The worker's HTTP server: faust's aiohttp driver with connection limits, serving
the API's routes and none of faust's pages.

faust runs aiohttp with its defaults: a connection may idle for an hour and take as
long as it likes to send its headers, any number may be open, and faust's own pages
(``/router``, ``/table``, statistics, graph, its ``/`` index) answer on the API port
without the token. Here no faust blueprint is applied; idle keep-alive connections are
closed by aiohttp after ``WEB_KEEPALIVE_TIMEOUT_S`` (its timer, which partial data does
not reset, so a next request's head must also be complete by then); and the listening
socket is a :class:`GuardedSite`: header timeout and connection cap.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web import BaseSite
from faust.types import AppT
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from config import Settings
from streams.web.guarded_site import ConnectionLimits, GuardedSite

log = logging.getLogger(__name__)

# Files the worker needs besides its HTTP connections: Kafka and Redis sockets, the
# event loop, logs (13 at rest, measured).
OTHER_FILES = 64


@dataclass(frozen=True)
class ServerLimits:
    keepalive_timeout_s: float
    connections: ConnectionLimits

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerLimits:
        return cls(
            keepalive_timeout_s=settings.web_keepalive_timeout_s,
            connections=ConnectionLimits(
                header_timeout_s=settings.web_header_timeout_s,
                max_connections=within_file_limit(settings.web_max_connections),
            ),
        )


def within_file_limit(wanted: int) -> int:
    """The connection cap, lowered when the process's open-file limit cannot hold it."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted + OTHER_FILES <= soft:
        return wanted
    usable = max(1, soft - OTHER_FILES)
    log.warning(
        "WEB_MAX_CONNECTIONS=%d does not fit the open-file limit of %d: %d connections at most",
        wanted,
        soft,
        usable,
    )
    return usable


class LimitedWeb(AiohttpWeb):
    """faust's aiohttp web driver with :class:`ServerLimits` and no faust page."""

    default_blueprints = ()
    production_blueprints = ()
    debug_blueprints = ()
    optional_blueprints = ()

    def __init__(self, app: AppT, limits: ServerLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        if app.conf.web_ssl_context is not None:
            raise ValueError("the worker's web server does not serve TLS")
        self.limits = limits
        # No access log, as faust's own runner: a request line holds the customer id.
        self._runner = web.AppRunner(
            self.web_app, access_log=None, keepalive_timeout=limits.keepalive_timeout_s
        )

    def _new_transport_tcp(self) -> BaseSite:
        conf = self.app.conf
        return GuardedSite(self._runner, conf.web_bind, conf.web_port, self.limits.connections)
