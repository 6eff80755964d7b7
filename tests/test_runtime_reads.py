"""Reads under injected faults: retried with backoff, and a clear error when retries run out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.fault_server import BALANCE_PATH, RATE_LIMIT, Fault, FaultServer, client_options, fault_server

from kis_client import KisClient, RateLimitError, RetryPolicy, TransportError

__all__ = ["fault_server"]


@pytest.mark.parametrize(
    "fault",
    [Fault.slow(1.0), Fault.reset(), Fault.drop(), Fault.http500(), Fault.malformed(), RATE_LIMIT],
    ids=["read-timeout", "reset", "dropped", "http-500", "malformed-json", "egw00201"],
)
def test_a_read_is_retried_after_a_fault(fault_server: FaultServer, tmp_path: Path, fault: Fault) -> None:
    fault_server.script(BALANCE_PATH, fault, fault)
    with KisClient(**client_options(fault_server, tmp_path, timeout=0.3)) as client:
        balance = client.domestic_stock.inquire_balance()
    assert [row.pdno for row in balance.holdings] == ["005930"]
    assert fault_server.requests[BALANCE_PATH] == 3


@pytest.mark.parametrize(
    ("fault", "message"),
    [(Fault.slow(1.0), "ReadTimeout after 3 attempts"), (Fault.http500(), "HTTP 500) after 3 attempts"), (Fault.malformed(), "not JSON (HTTP 200) after 3 attempts")],
    ids=["read-timeout", "http-500", "malformed-json"],
)
def test_a_read_gives_up_after_the_configured_attempts(fault_server: FaultServer, tmp_path: Path, fault: Fault, message: str) -> None:
    fault_server.script(BALANCE_PATH, *[fault] * 5)
    with KisClient(**client_options(fault_server, tmp_path, timeout=0.3, retry=RetryPolicy(attempts=3, backoff=0.01))) as client:
        with pytest.raises(TransportError, match="domestic_stock.inquire_balance") as caught:
            client.domestic_stock.inquire_balance()
    assert message in str(caught.value)
    assert fault_server.requests[BALANCE_PATH] == 3


def test_an_egw00201_storm_ends_in_rate_limit_error(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(BALANCE_PATH, *[RATE_LIMIT] * 9)
    with KisClient(**client_options(fault_server, tmp_path, retry=RetryPolicy(attempts=2, backoff=0.01))) as client:
        with pytest.raises(RateLimitError):
            client.domestic_stock.inquire_balance()
    assert fault_server.requests[BALANCE_PATH] == 2


def test_the_timeout_is_applied_to_every_call(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path, timeout=7.5, connect_timeout=1.5)) as client:
        timeout = client._core.http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1.5, 7.5, 7.5, 1.5)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(attempts=6, backoff=0.1, max_backoff=0.5)
    for attempt, ceiling in enumerate([0.1, 0.2, 0.4, 0.5, 0.5]):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered, so clients that failed together do not retry together


# -- replies that cannot be read, and the call's deadline (issue 15: 2, 7, 8) -------------------

GOOD_BALANCE = {"rt_cd": "0", "msg_cd": "KIOK0000", "msg1": "", "ctx_area_fk100": "", "ctx_area_nk100": "", "output1": [{"pdno": "005930"}], "output2": []}


@pytest.mark.parametrize(
    "reply",
    [
        Fault.answer(b'{"rt_cd": "0", "output1": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
        Fault.answer({"msg_cd": "KIOK0000", "output1": []}),
        Fault.answer({"rt_cd": "OK", "output1": []}),
        Fault.answer({**GOOD_BALANCE, "msg1": "x" * 9_000_000}),
        Fault.answer(GOOD_BALANCE, status=409),
    ],
    ids=["nested-too-deep", "no-rt_cd", "odd-rt_cd", "over-the-size-cap", "kis-success-under-http-409"],
)
def test_a_reply_that_cannot_be_read_is_retried(fault_server: FaultServer, tmp_path: Path, reply: Fault) -> None:
    fault_server.script(BALANCE_PATH, reply)
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        balance = client.domestic_stock.inquire_balance()
    assert [row.pdno for row in balance.holdings] == ["005930"]
    assert fault_server.requests[BALANCE_PATH] == 2


@pytest.mark.parametrize(
    "reply",
    [Fault.trickle(0.05), Fault.trickle_head(0.05), Fault.endless_gzip(0.01)],
    ids=["body-trickling", "headers-trickling", "gzip-decoding-to-nothing"],
)
def test_a_read_still_coming_at_the_deadline_ends_there(fault_server: FaultServer, tmp_path: Path, reply: Fault) -> None:
    from kis_client import DeadlineExceededError

    fault_server.script(BALANCE_PATH, reply)  # would keep it up for a minute
    with KisClient(**client_options(fault_server, tmp_path, timeout=1.0, deadline=1.0)) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="^domestic_stock.inquire_balance: no complete reply by the call's 1 s deadline$"):
            client.domestic_stock.inquire_balance()
        assert time.monotonic() - started < 10
        assert fault_server.requests[BALANCE_PATH] == 1  # no attempt after the deadline
        balance = client.domestic_stock.inquire_balance()  # the connection cut short is not reused
    assert [row.pdno for row in balance.holdings] == ["005930"]
    assert fault_server.trickles_finished == 0


def test_an_http_error_without_kis_envelope_is_an_http_status_error_not_retried(fault_server: FaultServer, tmp_path: Path) -> None:
    from kis_client import HttpStatusError, KisApiError

    fault_server.script(BALANCE_PATH, Fault.answer(b"<html><body>Forbidden</body></html>", status=403))
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        with pytest.raises(HttpStatusError) as caught:
            client.domestic_stock.inquire_balance()
    error = caught.value
    assert not isinstance(error, KisApiError)  # no rt_cd or msg_cd made up
    assert (error.status_code, error.reason, error.tr_id) == (403, "Forbidden", "VTTC8434R")
    assert str(error) == "domestic_stock.inquire_balance: HTTP 403 Forbidden without KIS's rt_cd and msg_cd"
    assert fault_server.requests[BALANCE_PATH] == 1


def test_no_retry_starts_that_the_deadline_cannot_wait_for(fault_server: FaultServer, tmp_path: Path) -> None:
    from kis_client import DeadlineExceededError

    fault_server.script(BALANCE_PATH, *[Fault.http500()] * 4)
    slow_backoff = RetryPolicy(attempts=4, backoff=30.0, max_backoff=30.0)
    with KisClient(**client_options(fault_server, tmp_path, retry=slow_backoff, deadline=2.0)) as client:
        with pytest.raises(DeadlineExceededError, match=r"HTTP 500\) after 1 attempt; the call.s 2 s deadline leaves no time for another"):
            client.domestic_stock.inquire_balance()
    assert fault_server.requests[BALANCE_PATH] == 1


def test_the_deadline_defaults_to_every_attempt_running_into_its_timeouts() -> None:
    def deadline(**options: object) -> float:
        with KisClient("k" * 36, "s" * 180, token_cache=False, **options) as client:  # type: ignore[arg-type]
            return client._core.settings.deadline

    assert deadline() == 4 * (5.0 + 10.0)
    assert deadline(timeout=1, connect_timeout=0.5, retry=RetryPolicy(attempts=2)) == 3.0
    assert deadline(deadline=7) == 7.0
    for bad in (0, -1, float("inf"), float("nan"), "5", True):
        with pytest.raises(ValueError, match="deadline must be a positive number of seconds"):
            deadline(deadline=bad)
    for name in ("timeout", "connect_timeout"):
        with pytest.raises(ValueError, match=f"^{name} must be a positive number of seconds"):
            deadline(**{name: 0})


def test_the_size_cap_is_configurable_and_checked() -> None:
    with KisClient("k" * 36, "s" * 180, token_cache=False) as client:
        assert client._core.settings.max_reply_bytes == 8 << 20
    for bad in (0, -5, 1.5, None, "1000"):
        with pytest.raises(ValueError, match="max_reply_bytes must be a whole number"):
            KisClient("k" * 36, "s" * 180, token_cache=False, max_reply_bytes=bad)  # type: ignore[arg-type]


def test_the_deadline_holds_through_a_proxy_named_in_the_environment(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx makes its own transport for such a proxy; its reads end at the deadline too.
    from kis_client import DeadlineExceededError

    for name in ("NO_PROXY", "ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", fault_server.url)  # it answers as KIS would through a proxy
    fault_server.script(BALANCE_PATH, Fault.trickle_head(0.05))
    with KisClient(**client_options(fault_server, tmp_path, base_url="http://kis.invalid", timeout=1.0, deadline=1.0)) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="no complete reply by the call's 1 s deadline"):
            client.domestic_stock.inquire_balance()
        assert time.monotonic() - started < 10
    assert {seen.headers["host"] for seen in fault_server.seen} == {"kis.invalid"}  # all through the proxy
