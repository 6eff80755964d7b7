"""The async client against the sandbox: the same wire, the same typed results."""

from __future__ import annotations

import asyncio
import sys

from kisgen.sandbox import RunningSandbox
from kis_client import AsyncKisClient, Side
from tests.conftest import NO_RETRY, fresh_account, fresh_app_key


def test_async_order_then_balance_pages(mock_sandbox: RunningSandbox) -> None:
    async def scenario() -> list[tuple[str | None, int | None]]:
        async with AsyncKisClient(fresh_app_key(), "async-secret-0123456789", account=fresh_account(), base_url=mock_sandbox.base_url, token_cache=False, rate_limit=0, retry=NO_RETRY) as client:
            await asyncio.gather(*(client.domestic_stock.order_cash(side=Side.BUY, pdno=pdno, ord_dvsn="01", ord_qty="2", ord_unpr="0") for pdno in ("005930", "000660")))
            return [(row.pdno, row.hldg_qty) async for page in client.domestic_stock.inquire_balance_pages() for row in page.holdings]

    assert asyncio.run(scenario()) == [("000660", 2), ("005930", 2)]


class _ImportSearches:
    """A meta-path finder that only records: any name it sees was not already in sys.modules."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.names.append(name)


def test_async_requests_import_nothing_once_warm(mock_sandbox: RunningSandbox) -> None:
    # httpcore imports sniffio on every async lock; were sniffio missing, each request would
    # search sys.path for it again (encode/httpcore#1103), a third of the client's time.
    searches = _ImportSearches()

    async def scenario() -> None:
        async with AsyncKisClient(fresh_app_key(), "async-secret-0123456789", account=fresh_account(), base_url=mock_sandbox.base_url, token_cache=False, rate_limit=0, retry=NO_RETRY) as client:
            await client.domestic_stock.inquire_price(fid_input_iscd="005930")  # first use imports
            sys.meta_path.insert(0, searches)
            try:
                await asyncio.gather(*(client.domestic_stock.inquire_price(fid_input_iscd="005930") for _ in range(8)))
            finally:
                sys.meta_path.remove(searches)

    asyncio.run(scenario())
    assert searches.names == []
