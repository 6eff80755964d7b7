"""The sandbox under clients that do not finish their requests: bounded connections, deadlines for
request heads and bodies, bounded sizes, and well-behaved clients served throughout.

The limits are lowered here so that a few dozen sockets and fractions of a second show them.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import h11
import httpx
import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox

TOKEN_PATH = "/oauth2/tokenP"
PARTIAL_HEAD = b"POST /oauth2/tokenP HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"  # no blank line


def address(sandbox: RunningSandbox) -> tuple[str, int]:
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    return host, int(port)


def token(sandbox: RunningSandbox, app_key: str) -> httpx.Response:
    body = {"grant_type": "client_credentials", "appkey": app_key, "appsecret": "server-secret"}
    return httpx.post(sandbox.base_url + TOKEN_PATH, json=body, timeout=5)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` within ``within`` seconds (anything it sends is read)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def reply_on(sock: socket.socket) -> tuple[int, dict[str, str]]:
    """The one response the server sends on ``sock``, read by h11."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="POST", target=TOKEN_PATH, headers=[("Host", "sandbox"), ("Content-Length", "1")]))
    status, content = 0, b""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            content += event.data
        elif isinstance(event, h11.EndOfMessage):
            return status, json.loads(content)


@pytest.fixture
def crowded(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, max_connections=8, header_timeout=60) as sandbox:
        yield sandbox


@pytest.fixture
def impatient(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, header_timeout=0.3, body_timeout=0.3, max_body_bytes=1000) as sandbox:
        yield sandbox


def test_a_client_is_served_while_many_requests_hang_half_sent(crowded: RunningSandbox) -> None:
    hanging = [socket.create_connection(address(crowded), timeout=10) for _ in range(30)]
    try:
        for sock in hanging:
            sock.sendall(PARTIAL_HEAD)
        reply = token(crowded, "patient-key")  # no timeout has passed: the bound on connections made room
        assert reply.status_code == 200 and reply.json()["token_type"] == "Bearer"
        still_open = [sock for sock in hanging if not closed_by_server(sock, 0.05)]
        assert len(still_open) < 8  # the oldest half-sent requests were closed to stay within the bound
        assert token(crowded, "second-key").status_code == 200
    finally:
        for sock in hanging:
            sock.close()


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(impatient: RunningSandbox) -> None:
    with socket.create_connection(address(impatient), timeout=10) as sock:
        started = time.monotonic()
        try:
            for byte in PARTIAL_HEAD:
                sock.sendall(bytes([byte]))  # every byte is fresh data: the deadline still holds
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert closed_by_server(sock, 5)
        assert time.monotonic() - started < 5
    assert token(impatient, "after-slow-head").status_code == 200


def test_a_silent_connection_is_closed(impatient: RunningSandbox) -> None:
    with socket.create_connection(address(impatient), timeout=10) as sock:
        assert closed_by_server(sock, 5)


def test_a_body_that_stops_coming_gets_kis_envelope(impatient: RunningSandbox) -> None:
    with socket.create_connection(address(impatient), timeout=10) as sock:
        sock.sendall(b"POST /oauth2/tokenP HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"grant")
        status, body = reply_on(sock)
    assert (status, body["error_code"]) == (403, "SBX01008")  # an OAuth endpoint: KIS's OAuth envelope
    assert "0.3 s" in body["error_description"]


def test_a_body_nobody_reads_cannot_hold_the_connection(impatient: RunningSandbox) -> None:
    # A GET's body is not read: the reply goes out at once, and the body, sent a byte at a time
    # after it, must still end within the body timeout.
    with socket.create_connection(address(impatient), timeout=10) as sock:
        sock.sendall(b"GET /uapi/nothing HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 1000\r\n\r\n{")
        started, closed = time.monotonic(), False
        while not closed and time.monotonic() - started < 5:
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            closed = closed_by_server(sock, 0.1)
        assert time.monotonic() - started < 5


def test_a_body_over_the_limit_is_refused(impatient: RunningSandbox) -> None:
    reply = httpx.post(impatient.base_url + "/uapi/hashkey", content=b"{" + b" " * 5000 + b"}", headers={"appkey": "big", "appsecret": "body"})
    assert reply.status_code == 403 and reply.json()["error_code"] == "SBX01007"  # hashkey: KIS's OAuth envelope


def test_a_client_leaving_mid_body_leaves_no_error(impatient: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR), socket.create_connection(address(impatient), timeout=10) as sock:
        sock.sendall(b"POST /oauth2/tokenP HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 100\r\n\r\n{\"gr")
    assert token(impatient, "after-disconnect").status_code == 200
    assert not [record for record in caplog.records if record.name.startswith("kisgen")]


# Not HTTP; a head still incomplete after 16 KiB (h11's bound on what it buffers).
@pytest.mark.parametrize("head", [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000])
def test_a_request_that_is_not_http_gets_kis_envelope(impatient: RunningSandbox, head: bytes) -> None:
    with socket.create_connection(address(impatient), timeout=10) as sock:
        sock.sendall(head)
        status, body = reply_on(sock)
    assert (status, body["rt_cd"], body["msg_cd"]) == (400, "1", "SBX00400")
