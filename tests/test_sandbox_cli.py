"""`kisgen sandbox` serves in the foreground until stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from generator.cli import build_parser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_token(server: subprocess.Popen[str], port: int, app_key: str, app_secret: str) -> httpx.Response:
    """The first token from a sandbox started as a process, once it serves."""
    deadline = time.monotonic() + 20
    while True:
        assert server.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
        try:
            return httpx.post(f"http://127.0.0.1:{port}/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": app_key, "appsecret": app_secret})
        except httpx.ConnectError:
            time.sleep(0.05)


def test_the_sandbox_command_takes_port_and_env() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "9999", "--env", "real"])
    assert (args.port, args.env) == (9999, "real")
    assert build_parser().parse_args(["sandbox"]).env == "mock"


def test_kisgen_sandbox_serves_until_stopped() -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "generator", "sandbox", "--port", str(port), "--env", "real"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        reply = wait_for_token(server, port, "cli-key", "cli-secret")
        assert reply.status_code == 200 and reply.json()["token_type"] == "Bearer"
        token = reply.json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": "cli-key", "appsecret": "cli-secret", "tr_id": "TTTC8434R", "custtype": "P"}
        balance = httpx.get(f"http://127.0.0.1:{port}/uapi/domestic-stock/v1/trading/inquire-balance", params={"CANO": "12345678", "ACNT_PRDT_CD": "01"}, headers=headers)
        assert balance.json()["rt_cd"] == "0"  # a real TR_ID: this sandbox is --env real
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "KIS sandbox (real)" in output
    assert "cli-secret" not in output and token not in output


def test_the_rate_limit_can_be_lifted_for_load_tests() -> None:
    port = free_port()
    command = [sys.executable, "-m", "generator", "sandbox", "--port", str(port), "--env", "mock", "--rate-limit", "0", "--log-level", "warning"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        reply = wait_for_token(server, port, "load-key", "load-secret")
        headers = {"authorization": f"Bearer {reply.json()['access_token']}", "appkey": "load-key", "appsecret": "load-secret", "tr_id": "VTTC8434R", "custtype": "P"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            codes = [client.get("/uapi/domestic-stock/v1/trading/inquire-balance", params={"CANO": "12345678", "ACNT_PRDT_CD": "01"}).json()["rt_cd"] for _ in range(10)]
        assert codes == ["0"] * 10  # the spec's mock limit (2 a second) would refuse most of these
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "GET /uapi" not in output  # --log-level warning: no access log
