"""A KIS stand-in for tests the network is not the point of: an ``httpx.MockTransport`` that
records every request the client would send and answers canned JSON, in-process.

Tests about the network itself (timeouts, dropped connections, the sandbox) use real sockets on
127.0.0.1: tests/fault_server.py and kisgen.sandbox.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from kis_client import AsyncKisClient, KisClient

BASE_URL = "https://kis.test"  # never resolved: the transport answers in-process
APP_KEY, APP_SECRET = "PSappkeyfortests0001", "appsecret-for-tests-0001"
ACCOUNT = "12345678-01"
TOKEN = "token-from-the-test-server"
TOKEN_PATH = "/oauth2/tokenP"
TOKEN_REPLY = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "expires_in": 86400,
    "access_token_token_expired": "2026-11-26 09:00:00",
}
OK = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."}


@dataclass(frozen=True)
class Recorded:
    """One request as it would go on the wire."""

    method: str
    path: str
    query: dict[str, list[str]]  # blank values kept: continuation keys come back exactly
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def params(self) -> dict[str, str]:
        """The query, each name sent once (asserted)."""
        assert all(len(values) == 1 for values in self.query.values()), self.query
        return {name: values[0] for name, values in self.query.items()}


@dataclass(frozen=True)
class Answer:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Recorded], Answer]


def not_found(request: Recorded) -> Answer:
    return Answer({"rt_cd": "1", "msg_cd": "TEST404", "msg1": f"no route for {request.path}"}, 404)


class FakeKis:
    """Records every request; answers the token path, then ``routes`` by path, else ``fallback``."""

    def __init__(self, fallback: Route = not_found) -> None:
        self.requests: list[Recorded] = []
        self.routes: dict[str, Route] = {TOKEN_PATH: lambda _request: Answer(TOKEN_REPLY)}
        self.fallback = fallback
        self.transport = httpx.MockTransport(self._handle)
        self._lock = threading.Lock()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        recorded = Recorded(
            request.method,
            request.url.path,
            parse_qs(request.url.query.decode("ascii"), keep_blank_values=True),
            {name.lower(): value for name, value in request.headers.items()},
            request.content,
        )
        with self._lock:
            self.requests.append(recorded)
        answer = self.routes.get(recorded.path, self.fallback)(recorded)
        payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        headers = {"content-type": "application/json; charset=utf-8", **answer.headers}
        return httpx.Response(answer.status, headers=headers, content=payload)

    def to(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    @property
    def api_requests(self) -> list[Recorded]:
        """Everything but token issuance."""
        return [request for request in self.requests if request.path != TOKEN_PATH]

    def answer(self, path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = lambda _request: Answer(body, status, headers or {})

    def options(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for KisClient / AsyncKisClient over this transport: no token cache,
        no client-side rate limit."""
        return {"app_key": APP_KEY, "app_secret": APP_SECRET, "account": ACCOUNT, "base_url": BASE_URL, "token_cache": False, "rate_limit": 0, "transport": self.transport, **overrides}

    def client(self, **overrides: Any) -> KisClient:
        return KisClient(**self.options(**overrides))

    def async_client(self, **overrides: Any) -> AsyncKisClient:
        return AsyncKisClient(**self.options(**overrides))
