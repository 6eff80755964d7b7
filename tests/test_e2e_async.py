"""The async client against the sandbox: the same wire, the same typed results."""

from __future__ import annotations

import asyncio

from generator.sandbox import RunningSandbox
from kis_client import AsyncKisClient, Side
from tests.conftest import NO_RETRY, fresh_account, fresh_app_key


def test_async_order_then_balance_pages(mock_sandbox: RunningSandbox) -> None:
    async def scenario() -> list[tuple[str | None, int | None]]:
        async with AsyncKisClient(fresh_app_key(), "async-secret-0123456789", account=fresh_account(), base_url=mock_sandbox.base_url, token_cache=False, rate_limit=0, retry=NO_RETRY) as client:
            await asyncio.gather(*(client.domestic_stock.order_cash(side=Side.BUY, pdno=pdno, ord_dvsn="01", ord_qty="2", ord_unpr="0") for pdno in ("005930", "000660")))
            return [(row.pdno, row.hldg_qty) async for page in client.domestic_stock.inquire_balance_pages() for row in page.holdings]

    assert asyncio.run(scenario()) == [("000660", 2), ("005930", 2)]
