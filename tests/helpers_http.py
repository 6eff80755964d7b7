"""A KIS stand-in on 127.0.0.1 for tests: records every request, answers canned JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "token-from-the-test-server"
TOKEN_REPLY = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "expires_in": 86400,
    "access_token_token_expired": "2026-11-26 09:00:00",
}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class Answer:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Recorded], Answer]


@dataclass
class FakeKis:
    url: str
    requests: list[Recorded]
    routes: dict[str, Route]

    def to(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    def answer(self, path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = lambda _request: Answer(body, status, headers or {})


@contextmanager
def fake_kis() -> Iterator[FakeKis]:
    recorded: list[Recorded] = []
    routes: dict[str, Route] = {"/oauth2/tokenP": lambda _request: Answer(TOKEN_REPLY)}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as KIS does

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            request = Recorded(self.command, url.path, parse_qs(url.query, keep_blank_values=True), {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                recorded.append(request)
            route = routes.get(url.path)
            answer = route(request) if route else Answer({"rt_cd": "1", "msg_cd": "TEST404", "msg1": f"no route for {url.path}"}, 404)
            payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
            self.send_response(answer.status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield FakeKis(f"http://127.0.0.1:{server.server_address[1]}", recorded, routes)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
