"""The HTTP server under the sandbox: uvicorn with its h11 protocol, plus what uvicorn lacks.

h11 writes header names as the app spells them (uvicorn's httptools protocol lower-cases them,
which KIS's sample client cannot read). uvicorn bounds how much of a request head h11 buffers
(``h11_max_incomplete_event_size``) and an idle kept-alive connection in time, but not the time a
client takes to send a request (its keep-alive timer starts after a response and stops at the
next byte), nor the number of connections it may hold open (``limit_concurrency`` answers extra
*requests* with a plain-text 503 and keeps their connections). So each request here gets a
deadline for its head and one for its body, and past ``max_connections`` the oldest connection
no request of which is being answered is closed. The app also bounds a body it reads (size, time)
and answers in KIS's envelope.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request as WebSocketRequest

from .app import standard_headers
from .errors import Rejection
from .feed import DROP
from .state import SandboxOptions

HEAD_LIMIT = 16 * 1024  # bytes of a request head h11 buffers before it must be complete
KEEP_ALIVE_SECONDS = 5
BODY_GRACE = 1.0  # past the app's body timeout, so that its SBX01008 goes out before the close


class ConnectionGuard:
    """The open connections of one server, oldest first, and their limits."""

    def __init__(self, limit: int, head_timeout: float, body_timeout: float) -> None:
        self.limit = limit
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout + BODY_GRACE
        self.open: dict[GuardedH11, None] = {}  # insertion order: oldest first

    def admit(self, connection: GuardedH11) -> None:
        self.open[connection] = None
        if len(self.open) > self.limit:
            idle = (other for other in self.open if other is not connection and other.idle())
            next(idle, connection).drop()

    def release(self, connection: GuardedH11) -> None:
        self.open.pop(connection, None)


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request and a share of the guard.

    A request's head must arrive within the head timeout from its first byte (from the connection
    for the first request), and its body within the body timeout from the head, whether or not
    the app reads it (uvicorn re-arms no timer once a client sends after the reply).
    """

    guard: ClassVar[ConnectionGuard]
    deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.guard.admit(self)
        if not self.transport.is_closing():
            self._start_deadline(self.guard.head_timeout)

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and self.conn.their_state is h11.IDLE:
            self._start_deadline(self.guard.head_timeout)  # the next request on a kept-alive connection
        before = self.conn.their_state
        super().data_received(data)
        after = self.conn.their_state
        if after is h11.SEND_BODY and before is h11.IDLE:
            self._start_deadline(self.guard.body_timeout)  # the head is in; now the body
        elif after is not h11.IDLE and after is not h11.SEND_BODY:
            self._stop_deadline()  # the whole request is in

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        self.guard.release(self)
        super().connection_lost(exc)

    def idle(self) -> bool:
        """No app is working on a request of this connection."""
        return self.cycle is None or self.cycle.response_complete

    def drop(self) -> None:
        self._stop_deadline()
        self.guard.release(self)
        self.transport.close()

    def _start_deadline(self, seconds: float) -> None:
        self._stop_deadline()
        self.deadline = self.loop.call_later(seconds, self._too_slow)

    def _stop_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.conn.their_state is h11.IDLE or self.conn.their_state is h11.SEND_BODY:
            self.drop()  # a body the app waits for was answered with SBX01008 first (BODY_GRACE)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        # The connection is the real-time feed's from here: the request deadlines and the
        # connection count are HTTP's (the feed bounds its sessions itself).
        self._stop_deadline()
        self.guard.release(self)
        super().handle_websocket_upgrade(event)

    def send_400_response(self, msg: str) -> None:
        """KIS's envelope instead of uvicorn's plain text, through h11 as uvicorn sends it."""
        detail = f"not an HTTP/1.1 request this sandbox can read: malformed, or its head still incomplete after {HEAD_LIMIT // 1024} KiB"
        body = json.dumps(Rejection("SBX00400", detail).body(oauth=False)).encode("utf-8")
        headers = [*standard_headers(body, time.time()), (b"Connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.drop()


class FeedProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, with a way for the feed to drop a connection as a network
    does: the TCP connection closes once what was written is sent, without a close frame."""

    def handle_connect(self, event: WebSocketRequest) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            extensions: dict[str, Any] = scope.setdefault("extensions", {})
            extensions[DROP] = self.transport.close


def build_server(app: Any, options: SandboxOptions, log_level: str = "warning", access_log: bool = False) -> uvicorn.Server:
    guard = ConnectionGuard(options.max_connections, options.header_timeout, options.body_timeout)
    protocol = type("SandboxH11Protocol", (GuardedH11,), {"guard": guard})
    config = uvicorn.Config(
        app,
        http=protocol,
        ws=FeedProtocol,
        lifespan="off",
        server_header=False,
        date_header=False,  # the app sends Date, capitalised, from the sandbox's clock
        h11_max_incomplete_event_size=HEAD_LIMIT,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        log_level=log_level,
        access_log=access_log,
    )
    return uvicorn.Server(config)
