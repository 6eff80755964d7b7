"""A scriptable stand-in for KIS on 127.0.0.1, for fault-injection tests of the runtime.

It answers the token, hashkey, order and balance endpoints the way KIS does, counts every
request and every *execution* per path (an order that ran), and can be told, per path, to
misbehave for the next requests: reply after the client's timeout, HTTP 500, malformed JSON,
any body at all, a reply (or its headers) trickled a byte at a time, gzip that never decodes,
drop the connection without a reply, EGW00201 / EGW00121 / EGW00123 / EGW00133. Whether a fault happens before or after the order
"ran" is part of the script, so tests can prove no order ran twice.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from time import sleep as _sleep  # immune to tests that forbid time.sleep in the client
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers_http import Recorded

TOKEN_PATH = "/oauth2/tokenP"
HASHKEY_PATH = "/uapi/hashkey"
REVOKE_PATH = "/oauth2/revokeP"
ORDER_PATH = "/uapi/domestic-stock/v1/trading/order-cash"
BALANCE_PATH = "/uapi/domestic-stock/v1/trading/inquire-balance"

RATE_LIMITED = {"rt_cd": "1", "msg_cd": "EGW00201", "msg1": "초당 거래건수를 초과하였습니다."}
EXPIRED = {"rt_cd": "1", "msg_cd": "EGW00123", "msg1": "기간이 만료된 token 입니다."}
UNKNOWN_TOKEN = {"rt_cd": "1", "msg_cd": "EGW00121", "msg1": "유효하지 않은 token 입니다."}
TOO_SOON = {"error_code": "EGW00133", "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"}


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour. ``executes``: the order (or read) ran before it happened."""

    kind: str  # slow | http500 | malformed | reset | drop | rate_limited | expired | rejected | too_soon | answer | trickle | trickle_head | endless_gzip
    executes: bool = False
    delay: float = 0.0
    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def slow(delay: float, executes: bool = True) -> Fault:
        return Fault("slow", executes, delay)

    @staticmethod
    def http500(executes: bool = False) -> Fault:
        return Fault("http500", executes)

    @staticmethod
    def malformed(executes: bool = True) -> Fault:
        return Fault("malformed", executes)

    @staticmethod
    def reset(executes: bool = True) -> Fault:
        """Connection reset (RST) instead of a reply."""
        return Fault("reset", executes)

    @staticmethod
    def drop(executes: bool = True) -> Fault:
        """Connection closed politely (FIN) without a reply."""
        return Fault("drop", executes)

    @staticmethod
    def answer(body: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = (), executes: bool = True) -> Fault:
        """This reply instead of the real one: JSON of ``body``, or ``body`` itself if bytes."""
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        return Fault("answer", executes, body=data, status=status, headers=headers)

    @staticmethod
    def trickle(interval: float) -> Fault:
        """The order (or read) runs; its reply's body comes one byte every ``interval`` seconds."""
        return Fault("trickle", True, delay=interval)

    @staticmethod
    def trickle_head(interval: float) -> Fault:
        """The order (or read) runs; its reply's status line comes, then a header one byte every
        ``interval`` seconds, never ending (for a minute at most)."""
        return Fault("trickle_head", True, delay=interval)

    @staticmethod
    def endless_gzip(interval: float) -> Fault:
        """The order (or read) runs; its reply is gzip whose header's file name never ends, sent
        a chunk every ``interval`` seconds: bytes keep coming, none ever decodes (for a minute at most)."""
        return Fault("endless_gzip", True, delay=interval)


RATE_LIMIT = Fault("rate_limited")
TOKEN_EXPIRED = Fault("expired")
TOKEN_UNKNOWN = Fault("unknown_token")  # EGW00121: the server does not know the token
REJECTED = Fault("rejected")  # KIS refused the order: HTTP 500 with its error envelope
TOKEN_TOO_SOON = Fault("too_soon")


@dataclass
class Page:
    rows: list[dict[str, str]]
    tr_cont: str
    fk: str = ""
    nk: str = ""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    closed = 0  # connections this server has closed
    closing = threading.Condition()

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.closing:
            self.closed += 1
            self.closing.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A slow reply written after the client gave up is the point of the test, not a bug.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass
class FaultServer:
    """Scripted KIS. Use ``script(path, *faults)``; read ``requests``, ``executions``, ``seen``."""

    token_delay: float = 0.0
    expires_in: int = 86400
    requests: Counter[str] = field(default_factory=Counter)
    executions: Counter[str] = field(default_factory=Counter)
    seen: list[Recorded] = field(default_factory=list)
    pages: list[Page] = field(default_factory=lambda: [Page([{"pdno": "005930", "hldg_qty": "1"}], "D")])
    on_token_request: Callable[[], None] | None = None
    close_idle: bool = False  # close every connection after its reply, as an idle timeout would
    same_token: bool = False  # as KIS: a live token is handed out again, with what is left of its life
    token_value: str | None = None  # the access_token to hand out instead of a fresh one
    trickles_finished: int = 0  # trickled replies written to their last byte
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _valid_tokens: set[str] = field(default_factory=set)
    _expired_tokens: set[str] = field(default_factory=set)
    _live: tuple[str, float] | None = None  # the token handed out again when same_token, its expiry
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _QuietServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str, *faults: Fault) -> None:
        with self._lock:
            self._faults.setdefault(path, []).extend(faults)

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (KIS answers EGW00123)."""
        with self._lock:
            self._expired_tokens |= self._valid_tokens
            self._valid_tokens.clear()
            self._live = None

    def restart(self) -> None:
        """The server forgets every token, as after a restart or a key reissue (EGW00121)."""
        with self._lock:
            self._valid_tokens.clear()
            self._live = None

    def live_token(self, value: str, expires_at: float) -> None:
        """A token this server issued earlier that expires at ``expires_at`` (epoch seconds)."""
        with self._lock:
            self._valid_tokens.add(value)
            self._live = (value, expires_at)

    def wait_closed(self, count: int) -> None:
        """Block until the server has closed ``count`` connections (their FIN is on its way)."""
        assert self._server is not None
        server = self._server
        with server.closing:
            assert server.closing.wait_for(lambda: server.closed >= count, timeout=10)

    def tokens_issued(self) -> int:
        return self.executions[TOKEN_PATH]

    def seen_at(self, path: str) -> list[Recorded]:
        return [item for item in self.seen if item.path == path]

    # -- behaviour

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.pop(0) if queue else None

    def _execute(self, seen: Recorded) -> tuple[int, Any, dict[str, str]]:
        """The normal answer to a request; counts it as executed."""
        with self._lock:
            self.executions[seen.path] += 1
            count = self.executions[seen.path]
        if seen.path == TOKEN_PATH:
            if self.token_delay:
                _sleep(self.token_delay)
            with self._lock:
                if self.same_token and self._live is not None and self._live[1] > time.time():
                    self.executions[seen.path] -= 1  # nothing new was issued
                    token, left = self._live[0], int(self._live[1] - time.time())
                else:
                    token, left = self.token_value or f"test-access-token-{count:04d}-" + "x" * 40, self.expires_in
                    self._live = (token, time.time() + left)
                self._valid_tokens.add(token)
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": left, "access_token_token_expired": "2099-01-01 00:00:00"}, {}
        if seen.path == REVOKE_PATH:
            with self._lock:
                self._valid_tokens.discard(seen.json().get("token"))
            return 200, {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}, {}
        if seen.path == HASHKEY_PATH:
            return 200, {"BODY": seen.json(), "HASH": hashlib.sha256(json.dumps(seen.json()).encode()).hexdigest()}, {}
        if seen.path == ORDER_PATH:
            odno = f"{count:010d}"
            return 200, {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": {"KRX_FWDG_ORD_ORGNO": "91252", "ODNO": odno, "ORD_TMD": "121052"}}, {}
        if seen.path == BALANCE_PATH:
            return self._page(seen)
        return 404, {"rt_cd": "1", "msg_cd": "NOTFOUND", "msg1": "no such path"}, {}

    def _page(self, seen: Recorded) -> tuple[int, Any, dict[str, str]]:
        fk, nk = seen.params.get("CTX_AREA_FK100", ""), seen.params.get("CTX_AREA_NK100", "")
        index = 0
        if fk or nk:
            # The keys must come back verbatim (space padding included) with tr_cont N.
            matches = [i + 1 for i, page in enumerate(self.pages[:-1]) if (page.fk, page.nk) == (fk, nk)]
            if not matches or seen.headers.get("tr_cont") != "N":
                return 200, {"rt_cd": "1", "msg_cd": "BADKEY", "msg1": "continuation keys not as sent"}, {}
            index = matches[0]
        page = self.pages[index]
        body = {"rt_cd": "0", "msg_cd": "KIOK0000", "msg1": "조회가 완료되었습니다", "ctx_area_fk100": page.fk, "ctx_area_nk100": page.nk, "output1": page.rows, "output2": [{"dnca_tot_amt": "1000"}]}
        return 200, body, {"tr_cont": page.tr_cont}

    def _unauthorized(self, seen: Recorded) -> Fault | None:
        """EGW00123 for a token this server let expire, EGW00121 for one it does not know."""
        value = seen.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            if value in self._valid_tokens:
                return None
            return TOKEN_EXPIRED if value in self._expired_tokens else TOKEN_UNKNOWN

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        seen = Recorded(method, parts.path, parse_qs(parts.query, keep_blank_values=True), {k.lower(): v for k, v in handler.headers.items()}, raw)
        with self._lock:
            self.requests[parts.path] += 1
            self.seen.append(seen)
        if parts.path == TOKEN_PATH and self.on_token_request is not None:
            self.on_token_request()
        fault = self._next_fault(parts.path)
        if fault is None and parts.path not in (TOKEN_PATH, HASHKEY_PATH, REVOKE_PATH):
            fault = self._unauthorized(seen)
        if fault is None:
            self._reply(handler, *self._execute(seen))
            handler.close_connection = handler.close_connection or self.close_idle
            return
        if fault.kind == "trickle":
            self._trickle(handler, fault.delay, self._execute(seen))
            return
        if fault.kind in ("trickle_head", "endless_gzip"):
            self._execute(seen)
            self._endless(handler, fault)
            return
        if fault.executes:
            self._execute(seen)
        if fault.kind == "slow":
            _sleep(fault.delay)
            self._reply(handler, 200, {"rt_cd": "0", "msg_cd": "LATE", "msg1": "too late"}, {})
        elif fault.kind == "http500":
            self._reply_raw(handler, 500, b"<html><body>Internal Server Error</body></html>", "text/html")
        elif fault.kind == "malformed":
            self._reply_raw(handler, 200, b'{"rt_cd": "0", "msg_cd": "APBK0013", "outp', "application/json")
        elif fault.kind == "reset":
            handler.close_connection = True
            # SO_LINGER 0: the peer sees a reset, not a polite close.
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()
        elif fault.kind == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif fault.kind == "rate_limited":
            self._reply(handler, 500, RATE_LIMITED, {})
        elif fault.kind == "expired":
            self._reply(handler, 500, EXPIRED, {})
        elif fault.kind == "unknown_token":
            self._reply(handler, 500, UNKNOWN_TOKEN, {})
        elif fault.kind == "answer":
            self._reply_raw(handler, fault.status, fault.body, "application/json; charset=utf-8", dict(fault.headers))
        elif fault.kind == "rejected":
            self._reply(handler, 500, {"rt_cd": "1", "msg_cd": "APBK0952", "msg1": "주문가능금액을 초과 했습니다"}, {})
        elif fault.kind == "too_soon":
            self._reply(handler, 403, TOO_SOON, {})
        else:  # pragma: no cover - a typo in a test
            raise ValueError(fault.kind)

    @staticmethod
    def _head(handler: BaseHTTPRequestHandler, status: int, length: int, content_type: str, headers: dict[str, str]) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(length))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()

    @classmethod
    def _reply(cls, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        cls._reply_raw(handler, status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8", headers)

    @classmethod
    def _reply_raw(cls, handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        cls._head(handler, status, len(data), content_type, headers or {})
        handler.wfile.write(data)

    def _trickle(self, handler: BaseHTTPRequestHandler, interval: float, reply: tuple[int, Any, dict[str, str]]) -> None:
        status, body, headers = reply
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._head(handler, status, len(data), "application/json; charset=utf-8", headers)
        handler.wfile.flush()
        for index in range(len(data)):
            handler.wfile.write(data[index : index + 1])
            handler.wfile.flush()
            _sleep(interval)
        with self._lock:
            self.trickles_finished += 1

    def _endless(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        """A reply that never completes; it ends when the client hangs up (or after a minute)."""
        handler.close_connection = True
        out = handler.wfile
        if fault.kind == "trickle_head":
            out.write(b"HTTP/1.1 200 OK\r\nx-padding: ")
            piece = b"a"
        else:
            out.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n")
            gzip_header = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03"  # FNAME set: a file name follows, up to a NUL
            out.write(b"%x\r\n%s\r\n" % (len(gzip_header), gzip_header))
            piece = b"10\r\n" + b"n" * 16 + b"\r\n"
        out.flush()
        ends = time.monotonic() + 60
        while time.monotonic() < ends:
            out.write(piece)
            out.flush()
            _sleep(fault.delay)
        with self._lock:
            self.trickles_finished += 1

    # -- lifecycle

    def start(self) -> FaultServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one segment: no Nagle/delayed-ACK stalls

            def do_GET(self) -> None:
                server.handle(self, "GET")

            def do_POST(self) -> None:
                server.handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()


APP_KEY = "PSkEyTeStAppKey0123456789abcdefghij"
APP_SECRET = "SeCrEtTeStAppSecret/0123456789+abcdefghijklmnopqrstuvwxyzABCDEFGH="
ACCOUNT = "12345678-01"


def client_options(server: FaultServer, cache_dir: Any, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for KisClient / AsyncKisClient against ``server``: fast and isolated."""
    from kis_client import RetryPolicy, TokenCache

    options: dict[str, Any] = {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "account": ACCOUNT,
        "env": "mock",
        "base_url": server.url,
        "timeout": 0.5,
        "connect_timeout": 0.5,
        "rate_limit": 0,
        "retry": RetryPolicy(attempts=4, backoff=0.01),
        "token_cache": TokenCache(cache_dir, poll_seconds=0.01, wait_seconds=5.0),
    }
    options.update(overrides)
    return options
