"""Orders under injected faults: retried only where KIS executed nothing, never run twice."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fault_server import (
    HASHKEY_PATH,
    ORDER_PATH,
    RATE_LIMIT,
    REJECTED,
    TOKEN_EXPIRED,
    TOKEN_PATH,
    TOKEN_UNKNOWN,
    Fault,
    FaultServer,
    client_options,
    fault_server,
)

from kis_client import KisApiError, KisClient, OrderStateUnknownError, RateLimitError, RetryPolicy, Side, TransportError

__all__ = ["fault_server"]

ORDER = {"side": Side.BUY, "pdno": "005930", "ord_dvsn": "00", "ord_qty": "3", "ord_unpr": "70000"}
SENT = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "3", "ORD_UNPR": "70000", "SLL_TYPE": "", "EXCG_ID_DVSN_CD": "KRX", "CNDT_PRIC": ""}


def order(server: FaultServer, tmp_path: Path, **options: Any) -> Any:
    with KisClient(**client_options(server, tmp_path, **options)) as client:
        return client.domestic_stock.order_cash(**ORDER)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault.slow(1.0), "ReadTimeout"),
        (Fault.reset(), "ReadError"),
        (Fault.drop(), "RemoteProtocolError"),
        (Fault.http500(executes=True), "HTTP 500"),
        (Fault.http500(executes=False), "HTTP 500"),
        (Fault.malformed(), "not JSON"),
    ],
    ids=["read-timeout", "reset", "dropped", "500-executed", "500-not-executed", "malformed-json"],
)
def test_an_ambiguous_fault_raises_state_unknown_and_never_resends(fault_server: FaultServer, tmp_path: Path, fault: Fault, cause: str) -> None:
    fault_server.script(ORDER_PATH, fault)
    with pytest.raises(OrderStateUnknownError) as caught:
        order(fault_server, tmp_path, timeout=0.3)
    error = caught.value
    assert fault_server.requests[ORDER_PATH] == 1  # sent once, never again
    assert fault_server.executions[ORDER_PATH] == (1 if fault.executes else 0)
    assert error.sent == SENT  # what was sent, for reconciling
    assert error.tr_id == "VTTC0012U"
    assert error.operation == "domestic_stock.order_cash"
    assert cause in error.cause
    assert "not resent" in str(error) or "was not resent" in str(error)


def test_a_reply_without_rt_cd_is_state_unknown(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = fault_server._execute

    def empty(seen: Any) -> Any:
        status, body, headers = original(seen)
        return (status, {}, headers) if seen.path == ORDER_PATH else (status, body, headers)

    monkeypatch.setattr(fault_server, "_execute", empty)
    with pytest.raises(OrderStateUnknownError, match="without rt_cd"):
        order(fault_server, tmp_path)
    assert fault_server.requests[ORDER_PATH] == 1


def test_egw00201_bursts_are_retried_and_the_order_runs_once(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, RATE_LIMIT, RATE_LIMIT, RATE_LIMIT)
    result = order(fault_server, tmp_path)
    assert result.order.odno == "0000000001"
    assert fault_server.requests[ORDER_PATH] == 4
    assert fault_server.executions[ORDER_PATH] == 1


def test_egw00201_beyond_the_attempts_is_a_rate_limit_error(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, *[RATE_LIMIT] * 5)
    with pytest.raises(RateLimitError) as caught:
        order(fault_server, tmp_path, retry=RetryPolicy(attempts=3, backoff=0.01))
    assert caught.value.msg_cd == "EGW00201"
    assert fault_server.requests[ORDER_PATH] == 3
    assert fault_server.executions[ORDER_PATH] == 0


class FailingConnects(httpx.HTTPTransport):
    """The first ``failures`` connections are refused: the request never left the machine."""

    def __init__(self, failures: int, error: type[httpx.TransportError]) -> None:
        super().__init__()
        self.failures = failures
        self.error = error
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise self.error("connection refused")
        return super().handle_request(request)


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_connection_that_never_opened_is_retried(fault_server: FaultServer, tmp_path: Path, error: type[httpx.TransportError]) -> None:
    transport = FailingConnects(2, error)
    result = order(fault_server, tmp_path, transport=transport)
    assert result.order.odno == "0000000001"
    assert fault_server.executions[ORDER_PATH] == 1
    assert fault_server.requests[ORDER_PATH] == 1


def test_a_server_that_never_answers_connections_gives_up_without_state_unknown(tmp_path: Path) -> None:
    server = FaultServer().start()
    url = server.url
    server.stop()  # nothing listens there any more: every connection is refused
    with pytest.raises(TransportError) as caught:
        with KisClient(**client_options(server, tmp_path, base_url=url)) as client:
            client._core.settings.token_cache.store(client._core.settings.token_slot, _long_lived("t" * 40))
            client.domestic_stock.order_cash(**ORDER)
    assert not isinstance(caught.value, OrderStateUnknownError)
    assert "ConnectError after 4 attempts" in str(caught.value)


def _long_lived(value: str) -> Any:
    import time

    from kis_client._tokens import Token

    return Token(value, time.time() + 86400)


def test_an_expired_token_is_renewed_once_and_the_order_repeated_once(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.order_cash(**ORDER)
        fault_server.expire_tokens()
        result = client.domestic_stock.order_cash(**ORDER)
    assert result.order.odno == "0000000002"
    assert fault_server.tokens_issued() == 2
    assert fault_server.requests[ORDER_PATH] == 3  # one refused as expired, then repeated once
    assert fault_server.executions[ORDER_PATH] == 2
    tokens = [seen.headers["authorization"] for seen in fault_server.seen_at(ORDER_PATH)]
    assert tokens[0] == tokens[1] != tokens[2]


@pytest.mark.parametrize(("dead", "code"), [(TOKEN_EXPIRED, "EGW00123"), (TOKEN_UNKNOWN, "EGW00121")], ids=["expired", "unknown"])
def test_a_token_refused_twice_is_not_renewed_again(fault_server: FaultServer, tmp_path: Path, dead: Fault, code: str) -> None:
    fault_server.script(ORDER_PATH, dead, dead)
    with pytest.raises(KisApiError) as caught:
        order(fault_server, tmp_path)
    assert caught.value.msg_cd == code
    assert fault_server.requests[ORDER_PATH] == 2
    assert fault_server.tokens_issued() == 2
    assert fault_server.executions[ORDER_PATH] == 0


def test_a_kis_rejection_is_final_even_with_http_500(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, REJECTED)
    with pytest.raises(KisApiError) as caught:
        order(fault_server, tmp_path)
    assert not isinstance(caught.value, (RateLimitError, TransportError))
    assert (caught.value.msg_cd, caught.value.status_code, caught.value.tr_id) == ("APBK0952", 500, "VTTC0012U")
    assert fault_server.requests[ORDER_PATH] == 1


def test_no_hashkey_by_default(fault_server: FaultServer, tmp_path: Path) -> None:
    order(fault_server, tmp_path)
    assert fault_server.requests[HASHKEY_PATH] == 0
    assert "hashkey" not in fault_server.seen_at(ORDER_PATH)[0].headers


def test_hashkey_flag_sends_kis_hash_of_the_exact_body(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, RATE_LIMIT)
    order(fault_server, tmp_path, hashkey=True)
    (hash_request,) = fault_server.seen_at(HASHKEY_PATH)
    assert hash_request.json() == SENT
    assert hash_request.headers["appkey"] and hash_request.headers["appsecret"]
    orders = fault_server.seen_at(ORDER_PATH)
    assert len(orders) == 2  # rate limited once, repeated with the same hash
    import hashlib
    import json

    expected = hashlib.sha256(json.dumps(SENT).encode()).hexdigest()
    assert [seen.headers["hashkey"] for seen in orders] == [expected, expected]
    assert orders[1].json() == SENT


def test_a_failed_hashkey_call_sends_no_order(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(HASHKEY_PATH, *[Fault.http500()] * 4)
    with pytest.raises(TransportError) as caught:
        order(fault_server, tmp_path, hashkey=True)
    assert not isinstance(caught.value, OrderStateUnknownError)
    assert fault_server.requests[ORDER_PATH] == 0
    assert fault_server.requests[HASHKEY_PATH] == 4


def test_a_pooled_connection_the_server_closed_is_not_mistaken_for_a_lost_order(fault_server: FaultServer, tmp_path: Path) -> None:
    # Each connection is closed after one reply, as KIS's idle timeout would close it between
    # orders; the pool must notice instead of sending the order into a dead connection (which
    # would be reported as state unknown).
    fault_server.close_idle = True
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.inquire_balance()
        fault_server.wait_closed(2)  # the token's connection and the balance's
        first = client.domestic_stock.order_cash(**ORDER)
        fault_server.wait_closed(3)
        second = client.domestic_stock.order_cash(**ORDER)
    assert (first.order.odno, second.order.odno) == ("0000000001", "0000000002")
    assert fault_server.requests[ORDER_PATH] == 2


# -- replies whose outcome cannot be read (issue 15: 1, 2, 7, 8) --------------------------------

ACCEPTED_WITHOUT_RT_CD = {"msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": {"KRX_FWDG_ORD_ORGNO": "91252", "ODNO": "0000000001", "ORD_TMD": "121052"}}
DEEP = b'{"rt_cd": "0", "output": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


def gzip_bomb(size: int) -> bytes:
    import gzip

    return gzip.compress(b"\0" * size, compresslevel=9)


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Fault.answer(ACCEPTED_WITHOUT_RT_CD), "without rt_cd"),
        (Fault.answer({**ACCEPTED_WITHOUT_RT_CD, "rt_cd": "X"}), "neither"),
        (Fault.answer({**ACCEPTED_WITHOUT_RT_CD, "rt_cd": 0}), "neither"),
        (Fault.answer({**ACCEPTED_WITHOUT_RT_CD, "rt_cd": ""}), "neither"),
        (Fault.answer({**ACCEPTED_WITHOUT_RT_CD, "rt_cd": None}), "without rt_cd"),
        (Fault.answer([ACCEPTED_WITHOUT_RT_CD]), "without rt_cd"),
        (Fault.answer({"error_code": "EGW00133", "error_description": "..."}), "without rt_cd"),
        (Fault.answer(DEEP), "not JSON"),
        (Fault.answer(gzip_bomb(16 << 20), headers=(("content-encoding", "gzip"),)), "over 8388608 bytes"),
    ],
    ids=["no-rt_cd", "rt_cd-letter", "rt_cd-number", "rt_cd-empty", "rt_cd-null", "a-list", "oauth-shape", "nested-too-deep", "gzip-bomb"],
)
def test_a_reply_whose_outcome_cannot_be_read_is_state_unknown(fault_server: FaultServer, tmp_path: Path, reply: Fault, cause: str) -> None:
    fault_server.script(ORDER_PATH, reply)
    with pytest.raises(OrderStateUnknownError) as caught:
        order(fault_server, tmp_path)
    assert cause in caught.value.cause
    assert caught.value.sent == SENT
    assert fault_server.requests[ORDER_PATH] == 1


def test_a_reply_over_the_configured_size_is_state_unknown(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, Fault.answer({"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "x" * 5000}))
    with pytest.raises(OrderStateUnknownError, match="over 4096 bytes"):
        order(fault_server, tmp_path, max_reply_bytes=4096)
    order(fault_server, tmp_path, max_reply_bytes=4096)  # KIS's real replies fit easily
    assert fault_server.requests[ORDER_PATH] == 2


def test_a_kis_failure_code_other_than_1_is_still_final(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, Fault.answer({"rt_cd": "7", "msg_cd": "APBK0919", "msg1": "장운영시간이 아닙니다"}, executes=False))
    with pytest.raises(KisApiError) as caught:
        order(fault_server, tmp_path)
    assert not isinstance(caught.value, TransportError)
    assert (caught.value.rt_cd, caught.value.msg_cd) == ("7", "APBK0919")


@pytest.mark.parametrize(
    "reply",
    [Fault.trickle(0.05), Fault.trickle_head(0.05), Fault.endless_gzip(0.01)],
    ids=["body-trickling", "headers-trickling", "gzip-decoding-to-nothing"],
)
def test_a_reply_still_coming_at_the_deadline_is_state_unknown(fault_server: FaultServer, tmp_path: Path, reply: Fault) -> None:
    # Every byte comes well within the read timeout, the whole reply never within the deadline
    # (the server would keep it up for a minute).
    fault_server.script(ORDER_PATH, reply)
    started = time.monotonic()
    with pytest.raises(OrderStateUnknownError) as caught:
        order(fault_server, tmp_path, timeout=1.0, deadline=1.0)
    assert time.monotonic() - started < 10
    assert caught.value.cause == "no complete reply by the call's 1 s deadline"
    assert fault_server.trickles_finished == 0  # the client hung up; it did not wait for the rest
    assert fault_server.requests[ORDER_PATH] == 1


ACCEPTED = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": {"KRX_FWDG_ORD_ORGNO": "91252", "ODNO": "0000000001", "ORD_TMD": "121052"}}


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Fault.answer(ACCEPTED, status=409), 'HTTP 409 with KIS\'s success rt_cd "0"'),
        (Fault.answer(ACCEPTED, status=503), 'HTTP 503 with KIS\'s success rt_cd "0"'),
        (Fault.answer(b"<html><body>Not Found</body></html>", status=404), "HTTP 404 Not Found without KIS's rt_cd and msg_cd"),
        (Fault.answer({"message": "forbidden"}, status=403), "HTTP 403 Forbidden without KIS's rt_cd and msg_cd"),
        (Fault.answer(ACCEPTED_WITHOUT_RT_CD, status=400), "HTTP 400 Bad Request without KIS's rt_cd and msg_cd"),
    ],
    ids=["409-kis-success", "503-kis-success", "404-html", "403-json", "400-no-rt_cd"],
)
def test_an_http_error_without_kis_failure_is_state_unknown_and_invents_no_code(fault_server: FaultServer, tmp_path: Path, reply: Fault, cause: str) -> None:
    fault_server.script(ORDER_PATH, reply)
    with pytest.raises(OrderStateUnknownError) as caught:
        order(fault_server, tmp_path)
    assert caught.value.cause == cause
    assert caught.value.sent == SENT
    assert fault_server.requests[ORDER_PATH] == 1


def test_kis_failure_under_an_http_error_is_final_with_kis_codes(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ORDER_PATH, Fault.answer({"rt_cd": "1", "msg_cd": "EGW00002", "msg1": "서버 에러가 발생했습니다"}, status=403, executes=False))
    with pytest.raises(KisApiError) as caught:
        order(fault_server, tmp_path)
    assert (caught.value.rt_cd, caught.value.msg_cd, caught.value.status_code) == ("1", "EGW00002", 403)
    assert fault_server.requests[ORDER_PATH] == 1


def test_an_order_that_waited_out_its_deadline_before_sending_is_not_state_unknown(fault_server: FaultServer, tmp_path: Path) -> None:
    from kis_client import DeadlineExceededError, RateLimiter

    limiter = RateLimiter(0.05)  # one call per 20 s
    with KisClient(**client_options(fault_server, tmp_path, rate_limit=limiter, deadline=1.0)) as client:
        client.domestic_stock.order_cash(**ORDER)
        with pytest.raises(DeadlineExceededError, match="waiting for the rate limit; nothing was sent") as caught:
            client.domestic_stock.order_cash(**ORDER)
    assert not isinstance(caught.value, OrderStateUnknownError)
    assert fault_server.requests[ORDER_PATH] == 1
    assert limiter.reserve() is not None  # the refused call booked no slot: the next waits no longer


@pytest.mark.parametrize("kill", ["expire_tokens", "restart"], ids=["expired-EGW00123", "unknown-EGW00121"])
def test_a_refused_token_whose_renewal_outlasts_the_deadline_leaves_no_order_in_doubt(fault_server: FaultServer, tmp_path: Path, kill: str) -> None:
    from kis_client import DeadlineExceededError

    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.order_cash(**ORDER)
    getattr(fault_server, kill)()
    fault_server.script(TOKEN_PATH, Fault.trickle_head(0.05))
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as caught:
        order(fault_server, tmp_path, timeout=1.0, deadline=1.0)  # reads the dead token from disk
    assert time.monotonic() - started < 10
    assert not isinstance(caught.value, OrderStateUnknownError)  # KIS refused it; it was not sent again
    assert fault_server.requests[ORDER_PATH] == 2
    assert fault_server.executions[ORDER_PATH] == 1


def test_an_unknown_token_is_replaced_once_and_the_order_repeated_once(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        client.domestic_stock.order_cash(**ORDER)
    fault_server.restart()  # a sandbox restart, a key reissue, a token revoked elsewhere
    with KisClient(**client_options(fault_server, tmp_path)) as client:  # reads the dead token from disk
        result = client.domestic_stock.order_cash(**ORDER)
    assert result.order.odno == "0000000002"
    assert fault_server.tokens_issued() == 2
    assert fault_server.requests[ORDER_PATH] == 3  # one refused with EGW00121, then repeated once
    assert fault_server.executions[ORDER_PATH] == 2
