"""Where and when orders trade in the sandbox: overseas orders dated by the exchange's local date,
and, with market_hours="kis", orders outside their exchange's session refused as KIS refuses them.
Every test here pins the sandbox's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, SandboxOptions, SandboxState, running_sandbox
from kisgen.sandbox.market import SESSIONS, exchange_zones
from kisgen.sandbox.state import KST
from kis_client import Exchange, KisApiError, KisClient
from tests.conftest import ClientFactory

SAMSUNG, APPLE = "005930", "AAPL"


def seoul(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of 2026-11-23 (Monday) in Seoul."""
    return datetime(2026, 11, day, hour, minute, tzinfo=KST)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> float:
        return self.moment.timestamp()


@contextmanager
def sandbox_at(spec: Spec, env: str, moment: datetime, **options: object) -> Iterator[tuple[RunningSandbox, Clock]]:
    clock = Clock(moment)
    with running_sandbox(env, spec=spec, rate_limit_per_second=0, clock=clock, token_lifetime_seconds=10**7, **options) as sandbox:
        yield sandbox, clock


def test_every_exchange_has_its_sessions_and_its_market_s_zone_from_the_spec(spec: Spec) -> None:
    assert {exchange.code for exchange in spec.exchanges} <= set(SESSIONS)
    markets = {market.code: market.timezone for market in spec.markets}
    expected = {**{exchange.code: markets[exchange.market] for exchange in spec.exchanges}, "KRX": spec.timezone}
    assert {code: zone.key for code, zone in exchange_zones(spec).items()} == expected


def test_the_sandbox_keeps_no_time_zone_of_its_own(spec: Spec) -> None:
    # Put the US market on Seoul's clock in the spec, and US orders are dated by Seoul's date.
    moved = replace(spec, markets=tuple(replace(market, timezone="Asia/Seoul") if market.code == "US" else market for market in spec.markets))
    wednesday_morning = seoul(25, 10)  # Tuesday evening in New York
    assert SandboxState(spec, SandboxOptions()).local_time("NASD", wednesday_morning).date() == date(2026, 11, 24)
    assert SandboxState(moved, SandboxOptions()).local_time("NASD", wednesday_morning).date() == date(2026, 11, 25)


# -- dates -----------------------------------------------------------------------------------


def test_us_orders_are_filed_under_new_york_s_date(spec: Spec, make_client: ClientFactory) -> None:
    # Wednesday 10:00 in Seoul is Tuesday 20:00 in New York.
    with sandbox_at(spec, "mock", seoul(25, 10)) as (sandbox, _):
        client = make_client(sandbox)
        us = client.overseas_stock.order(side="buy", ovrs_excg_cd=Exchange.NASD, pdno=APPLE, ord_qty="1", ovrs_ord_unpr="150.00", ord_dvsn="00").order
        assert us is not None and us.ord_tmd == time(10, 0)  # KIS's own clock

        def listed(day: str) -> list[tuple[str | None, date | None, time | None, date | None, time | None]]:
            rows = client.overseas_stock.inquire_ccnl(pdno="", ord_strt_dt=day, ord_end_dt=day, ovrs_excg_cd="").orders
            return [(row.odno, row.ord_dt, row.ord_tmd, row.dmst_ord_dt, row.thco_ord_tmd) for row in rows]

        assert listed("20261124") == [(us.odno, date(2026, 11, 24), time(20, 0), date(2026, 11, 25), time(10, 0))]
        assert listed("20261125") == []
        domestic = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="1", ord_unpr="60000").order
        assert domestic is not None
        rows = client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt="20261125", inqr_end_dt="20261125").orders
        assert [(row.odno, row.ord_dt) for row in rows] == [(domestic.odno, date(2026, 11, 25))]


def test_overseas_bars_end_on_the_exchange_s_date(spec: Spec, make_client: ClientFactory) -> None:
    # Tuesday 09:00 in Seoul is still Monday in New York: Monday's bar is New York's latest.
    with sandbox_at(spec, "mock", seoul(24, 9)) as (sandbox, _):
        bars = make_client(sandbox).overseas_price.dailyprice(excd=Exchange.NASD, symb=APPLE, gubn="0", modp="1").bars
        assert bars[0].xymd == date(2026, 11, 23) and bars[0].clos == Decimal("190.0000")


# -- market hours ----------------------------------------------------------------------------


def refusal(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(KisApiError) as caught:
        call()
    assert caught.value.rt_cd == "1"
    return caught.value.msg_cd or "", caught.value.msg1 or ""


def domestic_buy(client: KisClient, ord_dvsn: str = "00") -> Callable[[], object]:
    return lambda: client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn=ord_dvsn, ord_qty="1", ord_unpr="60000")


def us_buy(client: KisClient) -> Callable[[], object]:
    return lambda: client.overseas_stock.order(side="buy", ovrs_excg_cd=Exchange.NASD, pdno=APPLE, ord_qty="1", ovrs_ord_unpr="150.00", ord_dvsn="00")


BEFORE_OPEN = ("40570000", "모의투자 장시작전 입니다.")
CLOSED = ("40580000", "모의투자 장종료 입니다.")


def test_mock_refuses_orders_outside_the_session_in_kis_words(spec: Spec, make_client: ClientFactory) -> None:
    with sandbox_at(spec, "mock", seoul(25, 10), market_hours="kis") as (sandbox, clock):
        client = make_client(sandbox)
        resting = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="1", ord_unpr="60000").order
        assert resting is not None and resting.odno
        assert refusal(us_buy(client)) == CLOSED  # 20:00 in New York
        clock.moment = seoul(25, 8, 59)
        assert refusal(domestic_buy(client)) == BEFORE_OPEN
        clock.moment = seoul(25, 15, 30)
        assert refusal(domestic_buy(client)) == CLOSED
        cancel = lambda: client.domestic_stock.order_rvsecncl(  # noqa: E731
            krx_fwdg_ord_orgno="06010", orgn_odno=resting.odno, ord_dvsn="00", rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y"
        )
        assert refusal(cancel) == CLOSED  # modifications and cancellations too
        clock.moment = seoul(26, 0, 30)  # Tuesday 10:30 in New York
        assert us_buy(client)() is not None
        clock.moment = seoul(25, 22)  # Tuesday 08:00 in New York
        assert refusal(us_buy(client)) == BEFORE_OPEN
        clock.moment = seoul(28, 11)  # Saturday
        assert refusal(domestic_buy(client)) == CLOSED
        hong_kong = lambda: client.overseas_stock.order(side="buy", ovrs_excg_cd=Exchange.SEHK, pdno="00700", ord_qty="100", ovrs_ord_unpr="300", ord_dvsn="00")  # noqa: E731
        clock.moment = seoul(25, 13, 30)  # 12:30 in Hong Kong: the midday break
        assert refusal(hong_kong) == CLOSED
        clock.moment = seoul(25, 14, 30)
        assert hong_kong() is not None


def test_real_takes_after_hours_order_types_in_their_windows(spec: Spec, make_client: ClientFactory) -> None:
    with sandbox_at(spec, "real", seoul(25, 15, 45), market_hours="kis") as (sandbox, clock):
        client = make_client(sandbox)
        assert domestic_buy(client, "06")() is not None  # 장후 시간외, 15:40-16:00
        msg_cd, msg1 = refusal(domestic_buy(client, "00"))
        assert msg_cd == "SBX03004" and "09:00-15:30 Asia/Seoul" in msg1 and "Wed 15:45" in msg1
        clock.moment = seoul(25, 17)
        assert domestic_buy(client, "07")() is not None  # 시간외 단일가, 16:00-18:00


def test_always_open_by_default(spec: Spec, make_client: ClientFactory) -> None:
    with sandbox_at(spec, "mock", seoul(29, 3)) as (sandbox, _):  # Sunday, 03:00
        client = make_client(sandbox)
        assert domestic_buy(client)() is not None and us_buy(client)() is not None
