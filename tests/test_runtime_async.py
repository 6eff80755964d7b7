"""AsyncKisClient: the same typed methods and the same fault behaviour, without blocking the loop."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from tests.fault_server import BALANCE_PATH, ORDER_PATH, RATE_LIMIT, TOKEN_PATH, TOKEN_TOO_SOON, Fault, FaultServer, Page, client_options, fault_server

from kis_client import AsyncKisClient, KisClient, OrderStateUnknownError, Side, TokenCache, TransportError
from kis_client.domestic_stock.inquire_balance import DomesticStockInquireBalanceResponse

__all__ = ["fault_server"]

T = TypeVar("T")
ORDER = {"side": Side.BUY, "pdno": "005930", "ord_dvsn": "00", "ord_qty": "3", "ord_unpr": "70000"}


def run(server: FaultServer, tmp_path: Path, work: Callable[[AsyncKisClient], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with AsyncKisClient(**client_options(server, tmp_path, **options)) as client:
            return await work(client)

    return asyncio.run(main())


def no_blocking_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """time.sleep inside the event loop would stall every other task: make it fail loudly."""

    def forbidden(seconds: float) -> None:
        raise AssertionError(f"time.sleep({seconds}) called from async code")

    monkeypatch.setattr(time, "sleep", forbidden)


def test_the_async_client_has_the_sync_clients_methods_and_request_building() -> None:
    sync_client = KisClient("k" * 36, "s" * 180, account="12345678-01", token_cache=False)
    async_client = AsyncKisClient("k" * 36, "s" * 180, account="12345678-01", token_cache=False)
    for area in ("auth", "domestic_stock", "overseas_stock"):
        sync_api, async_api = getattr(sync_client, area), getattr(async_client, area)
        names = {name for name in dir(sync_api) if not name.startswith("_")}
        assert names == {name for name in dir(async_api) if not name.startswith("_")}
        for name in names:
            sync_method, async_method = getattr(sync_api, name), getattr(async_api, name)
            sync_signature, async_signature = inspect.signature(sync_method), inspect.signature(async_method)
            assert sync_signature.parameters == async_signature.parameters, name
            assert str(sync_signature.return_annotation).removeprefix("Iterator") == str(async_signature.return_annotation).removeprefix("AsyncIterator"), name
            assert inspect.iscoroutinefunction(async_method) or inspect.isasyncgenfunction(async_method), name
    sync_client.close()
    asyncio.run(async_client.close())


def test_sync_and_async_send_the_same_bytes(fault_server: FaultServer, tmp_path: Path) -> None:
    with KisClient(**client_options(fault_server, tmp_path, hashkey=True)) as client:
        client.domestic_stock.order_cash(**ORDER)
        client.domestic_stock.inquire_balance(inqr_dvsn="01")

    async def work(client: AsyncKisClient) -> None:
        await client.domestic_stock.order_cash(**ORDER)
        await client.domestic_stock.inquire_balance(inqr_dvsn="01")

    run(fault_server, tmp_path, work, hashkey=True)
    for path in (ORDER_PATH, BALANCE_PATH, "/uapi/hashkey"):
        sync_seen, async_seen = fault_server.seen_at(path)
        assert (sync_seen.method, sync_seen.query, sync_seen.body) == (async_seen.method, async_seen.query, async_seen.body)
        ignore = {"user-agent", "content-length", "host", "connection", "accept-encoding", "accept"}
        assert {k: v for k, v in sync_seen.headers.items() if k not in ignore} == {k: v for k, v in async_seen.headers.items() if k not in ignore}
    assert fault_server.tokens_issued() == 1  # the async client found the sync client's token on disk


def test_async_reads_retry_and_page_like_sync(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_blocking_sleep(monkeypatch)
    fault_server.pages = [Page([{"pdno": "000001"}], "F", "A".ljust(100), "B".ljust(100)), Page([{"pdno": "000002"}], "D")]
    fault_server.script(BALANCE_PATH, Fault.http500(), RATE_LIMIT, Fault.slow(1.0), Fault.malformed())

    async def work(client: AsyncKisClient) -> list[DomesticStockInquireBalanceResponse]:
        return [page async for page in client.domestic_stock.inquire_balance_pages()]

    pages = run(fault_server, tmp_path, work, timeout=0.3, retry=__import__("kis_client").RetryPolicy(attempts=5, backoff=0.01))
    assert [row.pdno for page in pages for row in page.holdings] == ["000001", "000002"]
    assert fault_server.requests[BALANCE_PATH] == 6
    assert fault_server.seen_at(BALANCE_PATH)[-1].params["CTX_AREA_NK100"] == "B".ljust(100)


@pytest.mark.parametrize("fault", [Fault.slow(1.0), Fault.reset(), Fault.http500(executes=True), Fault.malformed()], ids=["timeout", "reset", "500", "malformed"])
def test_async_orders_are_never_resent_after_an_ambiguous_fault(fault_server: FaultServer, tmp_path: Path, fault: Fault) -> None:
    fault_server.script(ORDER_PATH, fault)

    async def work(client: AsyncKisClient) -> Any:
        return await client.domestic_stock.order_cash(**ORDER)

    with pytest.raises(OrderStateUnknownError) as caught:
        run(fault_server, tmp_path, work, timeout=0.3)
    assert caught.value.sent["ORD_QTY"] == "3"
    assert fault_server.requests[ORDER_PATH] == 1
    assert fault_server.executions[ORDER_PATH] == 1


def test_async_orders_retry_egw00201_and_a_refused_connection(fault_server: FaultServer, tmp_path: Path) -> None:
    class Refusing(httpx.AsyncHTTPTransport):
        failures = 1

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if self.failures and request.url.path == ORDER_PATH:
                self.failures -= 1
                raise httpx.ConnectError("connection refused")
            return await super().handle_async_request(request)

    fault_server.script(ORDER_PATH, RATE_LIMIT, RATE_LIMIT)

    async def work(client: AsyncKisClient) -> Any:
        return await client.domestic_stock.order_cash(**ORDER)

    result = run(fault_server, tmp_path, work, transport=Refusing())
    assert result.order.odno == "0000000001"
    assert fault_server.executions[ORDER_PATH] == 1


@pytest.mark.parametrize("kill", ["expire_tokens", "restart"], ids=["expired-EGW00123", "unknown-EGW00121"])
def test_async_dead_token_is_renewed_once(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill: str) -> None:
    no_blocking_sleep(monkeypatch)

    async def work(client: AsyncKisClient) -> Any:
        await client.domestic_stock.inquire_balance()
        getattr(fault_server, kill)()
        return await client.domestic_stock.order_cash(**ORDER)

    result = run(fault_server, tmp_path, work)
    assert result.order.odno == "0000000001"
    assert fault_server.tokens_issued() == 2
    assert fault_server.requests[ORDER_PATH] == 2


def test_async_tasks_share_one_token_and_wait_out_egw00133_without_blocking(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_blocking_sleep(monkeypatch)
    fault_server.token_delay = 0.05
    fault_server.script(TOKEN_PATH, TOKEN_TOO_SOON, TOKEN_TOO_SOON)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def work(client: AsyncKisClient) -> int:
        beat = asyncio.create_task(ticker())
        await asyncio.gather(*(client.domestic_stock.inquire_balance() for _ in range(6)))
        beat.cancel()
        return ticks

    assert run(fault_server, tmp_path, work, rate_limit=1000) > 0
    assert fault_server.requests[TOKEN_PATH] == 3
    assert fault_server.tokens_issued() == 1
    assert fault_server.requests[BALANCE_PATH] == 6


def test_async_clients_in_one_loop_share_the_disk_lock(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_blocking_sleep(monkeypatch)
    fault_server.token_delay = 0.2

    async def main() -> None:
        clients = [AsyncKisClient(**client_options(fault_server, tmp_path, token_cache=TokenCache(tmp_path))) for _ in range(4)]
        await asyncio.gather(*(client.domestic_stock.inquire_balance() for client in clients))
        for client in clients:
            await client.close()

    asyncio.run(main())
    assert fault_server.tokens_issued() == 1


def test_async_gives_up_with_transport_error(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(BALANCE_PATH, *[Fault.http500()] * 4)

    async def work(client: AsyncKisClient) -> Any:
        return await client.domestic_stock.inquire_balance()

    with pytest.raises(TransportError, match="after 4 attempts"):
        run(fault_server, tmp_path, work)


def test_async_revoke_forgets_the_token(fault_server: FaultServer, tmp_path: Path) -> None:
    async def work(client: AsyncKisClient) -> None:
        await client.auth.revoke()  # gets a token first, then revokes it
        await client.domestic_stock.inquire_balance()

    run(fault_server, tmp_path, work)
    (revoke,) = fault_server.seen_at("/oauth2/revokeP")
    assert revoke.json()["token"].startswith("test-access-token-0001")
    assert fault_server.seen_at(BALANCE_PATH)[0].headers["authorization"].startswith("Bearer test-access-token-0002")


# -- issue 15 faults, async -------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Fault.answer(b'{"rt_cd": "0", "output": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
        Fault.answer({"msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": {"ODNO": "0000000001"}}),
        Fault.answer({"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": {"ODNO": "0000000001"}}, status=409),
        Fault.trickle(0.05),
        Fault.trickle_head(0.05),
        Fault.endless_gzip(0.01),
    ],
    ids=["nested-too-deep", "no-rt_cd", "kis-success-under-http-409", "trickling-past-the-deadline", "headers-trickling", "gzip-decoding-to-nothing"],
)
def test_async_orders_whose_reply_cannot_be_read_are_state_unknown(fault_server: FaultServer, tmp_path: Path, reply: Fault) -> None:
    fault_server.script(ORDER_PATH, reply)

    async def work(client: AsyncKisClient) -> Any:
        return await client.domestic_stock.order_cash(**ORDER)

    started = time.monotonic()
    with pytest.raises(OrderStateUnknownError):
        run(fault_server, tmp_path, work, timeout=1.0, deadline=1.0)
    assert time.monotonic() - started < 10  # the endless replies would last a minute
    assert fault_server.requests[ORDER_PATH] == 1
    assert fault_server.trickles_finished == 0


@pytest.mark.parametrize(
    "reply",
    [Fault.trickle(0.05), Fault.trickle_head(0.05), Fault.endless_gzip(0.01)],
    ids=["body-trickling", "headers-trickling", "gzip-decoding-to-nothing"],
)
def test_async_reads_end_at_the_deadline(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: Fault) -> None:
    from kis_client import DeadlineExceededError

    no_blocking_sleep(monkeypatch)
    fault_server.script(BALANCE_PATH, reply)

    async def work(client: AsyncKisClient) -> Any:
        with pytest.raises(DeadlineExceededError, match="no complete reply by the call's 1 s deadline"):
            await client.domestic_stock.inquire_balance()
        return await client.domestic_stock.inquire_balance()  # the connection cut short is not reused

    started = time.monotonic()
    balance = run(fault_server, tmp_path, work, timeout=1.0, deadline=1.0)
    assert time.monotonic() - started < 10
    assert [row.pdno for row in balance.holdings] == ["005930"]
    assert fault_server.trickles_finished == 0


def test_async_egw00133_wait_ends_at_the_deadline(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_blocking_sleep(monkeypatch)
    fault_server.script(TOKEN_PATH, *[TOKEN_TOO_SOON] * 1000)
    started = time.monotonic()

    async def work(client: AsyncKisClient) -> Any:
        return await asyncio.gather(*(client.domestic_stock.inquire_balance() for _ in range(3)), return_exceptions=True)

    results = run(fault_server, tmp_path, work, token_cache=TokenCache(tmp_path, poll_seconds=0.1, wait_seconds=65.0), deadline=0.6)
    assert time.monotonic() - started < 30
    # One task waits out EGW00133 (TokenError); the others wait for it, each within its own
    # deadline (DeadlineExceededError, or TokenError if the lock came free just before it).
    names = sorted(type(result).__name__ for result in results)
    assert "TokenError" in names and set(names) <= {"TokenError", "DeadlineExceededError"}, results
    assert fault_server.requests[BALANCE_PATH] == 0
