"""A small KIS stand-in on 127.0.0.1 for the wave-2 tests: it records every request and answers
from a handler the test gives it. Not the sandbox: it knows nothing of the spec."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from kis_client import KisClient
from kis_client._calls import CallContext
from kis_client._secrets import Credentials

FIXTURES = Path(__file__).parent / "fixtures" / "wave2"
APP_KEY = "PSwave2testappkey0000"
APP_SECRET = "wave2-test-app-secret-value"
TOKEN = "wave2-test-token"


def fixture(name: str) -> Any:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def context(env: str) -> CallContext:
    return CallContext(env, "12345678", "01", Credentials(APP_KEY, APP_SECRET), lambda: TOKEN)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


Answer = tuple[dict[str, Any], dict[str, str]]  # body, extra response headers
Handler = Callable[[Recorded], Answer]

OK = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."}


def ok(**outputs: Any) -> Answer:
    return {**OK, **outputs}, {}


@dataclass
class Server:
    url: str
    requests: list[Recorded] = field(default_factory=list)

    @property
    def api_requests(self) -> list[Recorded]:
        """Everything but token issuance."""
        return [r for r in self.requests if r.path != "/oauth2/tokenP"]


@contextmanager
def serve(handler: Handler) -> Iterator[Server]:
    server_state = Server("")

    class Handle(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            # keep_blank_values: the continuation keys must come back exactly, spaces and all
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            recorded = Recorded(method, parts.path, query, headers, body)
            server_state.requests.append(recorded)
            if parts.path == "/oauth2/tokenP":
                answer: Answer = (
                    {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400, "access_token_token_expired": "2099-01-01 00:00:00"},
                    {},
                )
            else:
                answer = handler(recorded)
            payload = json.dumps(answer[0], ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            for name, value in answer[1].items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def client(server: Server, env: str) -> KisClient:
    return KisClient(APP_KEY, APP_SECRET, account="12345678-01", env=env, base_url=server.url, token_cache=False, rate_limit=0)
