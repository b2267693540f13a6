"""The listening socket of the worker's HTTP server, with its own accept loop.

aiohttp's sites listen through ``loop.create_server``, whose accept loop takes up to
128 connections at once, logs every failed accept with a traceback and, once out of
files, schedules one retry per failure: under a 256-file limit, 300 idle connections
left ``/health`` unanswered and Redis without a socket, and wrote 77 MB of log in 25 s.
Accepting here, one connection at a time, each one is admitted or closed before the
next is taken, so the open files never exceed the cap by more than one:

* a connection that has sent no complete request line and headers
  ``header_timeout_s`` after it was accepted is closed (slow-loris);
* with ``max_connections`` open, a new connection closes the longest-open idle one (no
  request in progress: slow-loris and idle keep-alive connections are idle), or is
  closed itself when every connection is busy, so a probe's ``/health`` gets through a
  flood of idle connections;
* accept errors (no file left) are logged once per interval, with a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from streams.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

LISTEN_BACKLOG = 128
# After an accept failed for want of a file: retry soon, a closing connection frees one.
ACCEPT_RETRY_S = 0.1


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_s: float
    max_connections: int


@dataclass
class _Connection:
    head_received: bool = False
    requests_in_progress: int = 0


@dataclass
class _Connections:
    """The open connections, oldest first, and what each is doing."""

    limits: ConnectionLimits
    open: dict[RequestHandler, _Connection] = field(default_factory=dict)

    def forget_closed(self) -> None:
        for handler in [h for h in self.open if h.transport is None]:
            del self.open[handler]

    def longest_open_idle(self) -> RequestHandler | None:
        idle = (h for h, c in self.open.items() if c.requests_in_progress == 0)
        return next(idle, None)


class GuardedSite(web.BaseSite):
    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, limits: ConnectionLimits
    ) -> None:
        super().__init__(runner, backlog=LISTEN_BACKLOG)
        self._host, self._port = host, port
        self._connections = _Connections(limits)
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._application: Handler | None = None
        self._accept_errors = ThrottledLog()
        self._cap_reached = ThrottledLog()

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()  # registers the site with its runner
        server = self._runner.server
        assert server is not None  # BaseSite refuses a runner that is not set up
        # Every connection's RequestHandler takes the server's handler when it is made.
        self._application = server.request_handler
        server.request_handler = self._serve
        family, _kind, _proto, _name, address = socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.create_server(address, family=family, backlog=LISTEN_BACKLOG)
        listener.setblocking(False)
        self._listener = listener
        self._accepting = asyncio.create_task(self._accept_forever(listener))

    async def stop(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
        if self._listener is not None:
            self._listener.close()
        await super().stop()

    async def _serve(self, request: web.BaseRequest) -> web.StreamResponse:
        """The application's handler, with the connection marked busy meanwhile."""
        assert self._application is not None
        connection = self._connections.open.get(request.protocol)
        if connection is None:  # closed already
            return await self._application(request)
        connection.head_received = True
        connection.requests_in_progress += 1
        try:
            return await self._application(request)
        finally:
            connection.requests_in_progress -= 1

    async def _accept_forever(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                accepted, _peer = await loop.sock_accept(listener)
            except OSError as error:  # EMFILE, ENFILE, ENOBUFS: no file for it now
                self._accept_errors.warning(log, "cannot accept a connection: %s", error)
                await asyncio.sleep(ACCEPT_RETRY_S)
                continue
            try:
                if self._make_room():
                    await self._admit(accepted)
                else:
                    accepted.close()
            except Exception as error:  # one connection must not end the accepting
                accepted.close()
                self._accept_errors.warning(log, "could not take a connection: %r", error)

    def _make_room(self) -> bool:
        """Whether one more connection fits, after closing the longest-open idle one."""
        connections = self._connections
        connections.forget_closed()
        if len(connections.open) < connections.limits.max_connections:
            return True
        victim = connections.longest_open_idle()
        self._cap_reached.warning(
            log,
            "connection cap reached (%d open): closed %s",
            connections.limits.max_connections,
            "the longest-open idle connection" if victim else "a new one, all are busy",
        )
        if victim is None:
            return False
        del connections.open[victim]
        victim.force_close()
        return True

    async def _admit(self, accepted: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._new_handler, accepted)
        except OSError:  # the peer went away already
            accepted.close()

    def _new_handler(self) -> RequestHandler:
        """aiohttp's protocol for one connection, known here before it reads a byte."""
        server = self._runner.server
        assert server is not None
        handler = server()
        self._connections.open[handler] = _Connection()
        asyncio.get_running_loop().call_later(
            self._connections.limits.header_timeout_s, self._head_due, handler
        )
        return handler

    def _head_due(self, handler: RequestHandler) -> None:
        connection = self._connections.open.get(handler)
        if connection is not None and not connection.head_received:
            del self._connections.open[handler]
            handler.force_close()
