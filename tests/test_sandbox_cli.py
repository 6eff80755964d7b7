"""`kisgen sandbox` serves in the foreground until stopped."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from kisgen.cli import build_parser, main
from kisgen.project import ProjectNotFoundError
from kisgen.sandbox import running_sandbox


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
    server = subprocess.Popen([sys.executable, "-m", "kisgen", "sandbox", "--port", str(port), "--env", "real"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    command = [sys.executable, "-m", "kisgen", "sandbox", "--port", str(port), "--env", "mock", "--rate-limit", "0", "--log-level", "warning"]
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


def test_the_sandbox_command_offers_the_in_process_options(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"cli-key": "cli-secret"}), encoding="utf-8")
    argv = ["sandbox", "--page-size", "2", "--cash", "KRW=5000000,USD=100", "--prices", "005930=60000", "--prices", "AAPL=100.5", "--market-hours", "kis", "--app-keys", str(keys)]
    args = build_parser().parse_args(argv)
    assert args.page_size == 2 and args.market_hours == "kis" and args.app_keys == {"cli-key": "cli-secret"}
    assert args.cash == [{"KRW": Decimal(5000000), "USD": Decimal(100)}] and args.prices == [{"005930": Decimal(60000)}, {"AAPL": Decimal("100.5")}]
    defaults = build_parser().parse_args(["sandbox"])
    assert (defaults.page_size, defaults.cash, defaults.prices, defaults.market_hours, defaults.app_keys) == (None, None, None, "always", None)
    # --spec before or after the command
    assert build_parser().parse_args(["sandbox", "--spec", "here"]).spec == "here" == build_parser().parse_args(["--spec", "here", "sandbox"]).spec


BAD_OPTIONS = [
    (["sandbox", "--page-size", "0"], "is not a whole number above 0"),
    (["sandbox", "--cash", "KRW=-1"], "an amount must be zero or more"),
    (["sandbox", "--cash", "KRW=1e400"], "an amount must have at most 19 digits before the point and 4 after"),
    (["sandbox", "--prices", "AAPL=0"], "a price must be more than zero"),
    (["sandbox", "--prices", "AAPL=190.12345"], "a price must have at most 19 digits before the point and 4 after"),
    (["sandbox", "--cash", "KRW"], "is not NAME=AMOUNT"),
    (["sandbox", "--port", "99999"], "is not a port: a whole number from 0 to 65535"),
    (["sandbox", "--port", "-1"], "is not a port"),
    (["sandbox", "--rate-limit", "-1"], "is not calls a second: a number of 0 or more"),
    (["sandbox", "--rate-limit", "nan"], "is not calls a second"),
    (["sandbox", "--rate-limit", "inf"], "is not calls a second"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_OPTIONS, ids=[" ".join(argv[1:]) for argv, _ in BAD_OPTIONS])
def test_bad_sandbox_options_are_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and f"argument {argv[1]}: " in err and message in err and "internal error" not in err


def test_an_app_keys_file_that_is_not_keys_is_named_and_its_secrets_are_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"cli-key": ["not-a-secret-string"]}), encoding="utf-8")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--app-keys", str(keys)])
    err = capsys.readouterr().err
    assert str(keys) in err and "not-a-secret-string" not in err


def test_the_banner_comes_once_the_port_listens_and_the_options_apply(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"cli-key": "cli-secret"}), encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "kisgen", "sandbox", "--port", str(port), "--log-level", "warning", "--rate-limit", "0"]
    command += ["--page-size", "1", "--cash", "KRW=1000000", "--prices", "005930=60000", "--app-keys", str(keys)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert "KIS sandbox (mock)" in server.stdout.readline()  # the project line goes to stderr
        base = f"http://127.0.0.1:{port}"
        # No retry: the banner means the port already listens.
        refused = httpx.post(base + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": "other-key", "appsecret": "x"})
        assert refused.status_code == 403 and refused.json()["error_code"] == "EGW00103"
        token = httpx.post(base + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": "cli-key", "appsecret": "cli-secret"}).json()["access_token"]
        headers = {"authorization": f"Bearer {token}", "appkey": "cli-key", "appsecret": "cli-secret", "custtype": "P"}
        for pdno in ("005930", "035720"):  # 035720 at the default 10,000
            order = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": pdno, "ORD_DVSN": "01", "ORD_QTY": "1", "ORD_UNPR": "0"}
            assert httpx.post(base + "/uapi/domestic-stock/v1/trading/order-cash", json=order, headers={**headers, "tr_id": "VTTC0012U"}).json()["rt_cd"] == "0"
        balance = httpx.get(base + "/uapi/domestic-stock/v1/trading/inquire-balance", params={"CANO": "12345678", "ACNT_PRDT_CD": "01"}, headers={**headers, "tr_id": "VTTC8434R"})
        assert balance.headers["tr_cont"] == "F" and len(balance.json()["output1"]) == 1  # --page-size 1
        assert balance.json()["output1"][0]["pchs_avg_pric"] == "60000.0000"  # --prices
        assert balance.json()["output2"][0]["prvs_rcdl_excc_amt"] == str(1_000_000 - 60_000 - 10_000)  # --cash
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=10)
    assert "cli-secret" not in output + errors


def test_a_taken_port_is_said_before_any_banner(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert "KIS sandbox" not in out and f"cannot listen on 127.0.0.1:{port}" in err


def test_without_a_spec_the_sandbox_says_how_to_point_it_at_one(tmp_path: Path) -> None:
    # A process, so that a sandbox that serves anyway is stopped by the timeout, not left running.
    missing = tmp_path / "no-spec-here"
    finished = subprocess.run([sys.executable, "-m", "kisgen", "--spec", str(missing), "sandbox", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2 and str(missing) in finished.stderr and "--spec DIR" in finished.stderr
    assert "KIS sandbox" not in finished.stdout and "Traceback" not in finished.stderr


def test_outside_a_project_the_sandbox_says_to_pass_a_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sandbox", "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert "KIS sandbox" not in out and f"no kisgen project in {tmp_path}" in err and "--spec DIR" in err


def test_a_python_caller_without_a_project_is_told_the_parameter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectNotFoundError) as raised:
        with running_sandbox("mock"):
            pass
    assert "spec=load_spec(Path(" in str(raised.value) and "--" not in str(raised.value)


def test_without_the_sandbox_extra_the_command_names_it() -> None:
    blocked = "import sys; sys.modules['starlette'] = None; from kisgen.cli import main; sys.exit(main(['sandbox']))"
    finished = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2
    assert "pip install 'kisgen[sandbox]'" in finished.stderr and "internal error" not in finished.stderr
