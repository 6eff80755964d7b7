"""Reads under injected faults: retried with backoff, and a clear error when retries run out."""

from __future__ import annotations

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
