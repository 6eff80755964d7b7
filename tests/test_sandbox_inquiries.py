"""The sandbox's quotations and order inquiries through the generated client: deterministic
prices and bars that walk back and stop, orders and fills that reflect what was placed, open
orders, buying power from cash, sellable quantity from holdings, overseas modify and cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kis_client import Exchange, KisApiError
from tests.conftest import KST, ClientFactory, pinned_clock

SAMSUNG = "005930"  # the sandbox's default price: 70,000 won
APPLE = "AAPL"  # 190 dollars


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [day for day in days if day.weekday() < 5]


def today_of(sandbox: RunningSandbox, zone: str = "Asia/Seoul") -> date:
    """Today on the sandbox's clock, in Korea or on an exchange's clock (overseas orders and bars)."""
    return sandbox.state.kst_now().astimezone(ZoneInfo(zone)).date()


NEW_YORK = "America/New_York"
# Wednesday 2026-11-25, 10:00 in Seoul: still Tuesday evening in New York.
SEOUL_WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=KST).timestamp()


@pytest.fixture(scope="module")
def wednesday(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("real", spec=spec, rate_limit_per_second=0, clock=lambda: SEOUL_WEDNESDAY_MORNING) as sandbox:
        yield sandbox


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


# -- prices and bars -------------------------------------------------------------------------


def test_the_current_price_is_the_configured_price_and_the_bars_end_there(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    quote = client.domestic_stock.inquire_price(fid_input_iscd=SAMSUNG).price
    assert quote is not None and quote.stck_prpr == 70_000
    today = today_of(mock_sandbox)
    chart = client.domestic_stock.inquire_daily_itemchartprice(
        fid_input_iscd=SAMSUNG, fid_input_date_1=ymd(today - timedelta(days=30)), fid_input_date_2=ymd(today), fid_period_div_code="D", fid_org_adj_prc="0"
    )
    newest = chart.bars[0]
    assert newest.stck_clpr == 70_000 and newest.stck_bsop_date == max(weekdays(today - timedelta(days=6), today))
    assert quote.stck_sdpr == chart.bars[1].stck_clpr and quote.prdy_vrss == 70_000 - chart.bars[1].stck_clpr
    for bar in chart.bars:
        assert bar.stck_lwpr is not None and bar.stck_hgpr is not None and bar.stck_oprc is not None and bar.stck_clpr is not None
        assert bar.stck_lwpr <= min(bar.stck_oprc, bar.stck_clpr) and bar.stck_hgpr >= max(bar.stck_oprc, bar.stck_clpr)
    book = client.domestic_stock.inquire_asking_price_exp_ccn(fid_input_iscd=SAMSUNG).order_book
    assert book is not None and book.askp1 == 70_000 and book.bidp1 == 70_000 - 100  # KRX tick at 70,000 won


def test_bars_are_deterministic_by_seed_and_configurable(spec: Spec) -> None:
    def closes(**options: object) -> list[str]:
        with running_sandbox("mock", spec=spec, rate_limit_per_second=0, **options) as sandbox:
            state = sandbox.state
            return [str(bar.close) for bar in state.quotes.bars(APPLE, True, date(2026, 11, 25), date(2026, 11, 25), None, "D", 5)]

    first, again, other = closes(price_seed=7), closes(price_seed=7), closes(price_seed=8)
    assert first == again and first != other
    assert first[0] == "190.0000" == other[0]  # every walk ends at the symbol's price
    assert closes(prices={APPLE: Decimal("10.5000")})[0] == "10.5000"


# Today in Korea, and so the start date 400 days back: a Monday (start on a Sunday, the case the
# walk once spent a call on), a Sunday (start on a Saturday; no bar today) and a Tuesday (start
# on a Monday).
WALK_DAYS = [datetime(2026, 12, 7, 10, tzinfo=KST), datetime(2026, 12, 6, 10, tzinfo=KST), datetime(2026, 12, 8, 10, tzinfo=KST)]


@pytest.mark.parametrize("now", WALK_DAYS, ids=lambda now: now.strftime("%a-%Y%m%d"))
def test_the_daily_chart_walk_goes_back_to_the_start_date_and_stops(now: datetime, spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, clock=pinned_clock(now)) as sandbox:
        client = make_client(sandbox)
        today = now.date()
        start = today - timedelta(days=400)
        client.domestic_stock.inquire_price(fid_input_iscd=SAMSUNG)  # the token first: count chart calls only
        executed = sandbox.state.executed
        pages = list(
            client.domestic_stock.inquire_daily_itemchartprice_walk(
                fid_input_iscd=SAMSUNG, fid_input_date_1=ymd(start), fid_input_date_2=ymd(today), fid_period_div_code="D", fid_org_adj_prc="0"
            )
        )
        calls = sandbox.state.executed - executed
    days = [bar.stck_bsop_date for page in pages for bar in page.bars]
    assert days == sorted(weekdays(start, today), reverse=True)  # every weekday once, newest first
    assert len(pages) == calls == -(-len(weekdays(start, today)) // 100)  # 100 bars a call, no call for a weekend


def test_the_overseas_walk_stops_where_the_sandbox_history_starts(spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, history_start=date(2026, 1, 5), clock=pinned_clock()) as sandbox:
        client = make_client(sandbox)
        pages = list(client.overseas_price.dailyprice_walk(excd=Exchange.NASD, symb=APPLE, gubn="0", modp="1"))
        days = [bar.xymd for page in pages for bar in page.bars]
        assert days == sorted(weekdays(date(2026, 1, 5), today_of(sandbox, NEW_YORK)), reverse=True)
        assert pages[0].summary is not None and pages[0].summary.rsym == "DNASAAPL" and pages[0].summary.nrec == 100
        assert pages[0].bars[0].clos == Decimal("190.0000")
        price = client.overseas_price.price(excd=Exchange.NASD, symb=APPLE).price
        assert price is not None and price.last == Decimal("190.0000") and price.base == pages[0].bars[1].clos


def test_the_minute_chart_walk_covers_the_session_and_stops(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    pages = list(client.domestic_stock.inquire_time_itemchartprice_walk(fid_input_iscd=SAMSUNG, fid_input_hour_1="153000"))
    times = [bar.stck_cntg_hour for page in pages for bar in page.bars]
    assert len(times) == len(set(times)) == 6 * 60 + 31  # 09:00 to 15:30, one bar a minute
    assert times == sorted(times, reverse=True) and times[-1] is not None and times[-1].strftime("%H%M") == "0900"
    assert all(len(page.bars) <= 30 for page in pages)
    assert pages[0].bars[0].stck_prpr == 70_000


# -- orders and fills ------------------------------------------------------------------------


def test_daily_orders_and_fills_reflect_the_orders_placed(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    today = ymd(today_of(mock_sandbox))
    filled = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="2", ord_unpr="0").order
    resting = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="5", ord_unpr="60000").order
    assert filled is not None and resting is not None and resting.krx_fwdg_ord_orgno and resting.odno

    def listed(ccld_dvsn: str) -> list[tuple[str | None, int | None, int | None]]:
        reply = client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today, ccld_dvsn=ccld_dvsn)
        return [(row.odno, row.tot_ccld_qty, row.rmn_qty) for row in reply.orders]

    assert listed("00") == [(resting.odno, 0, 5), (filled.odno, 2, 0)]  # newest first
    assert listed("01") == [(filled.odno, 2, 0)]
    assert listed("02") == [(resting.odno, 0, 5)]
    everything = client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today)
    assert everything.totals is not None and everything.totals.tot_ccld_qty == 2 and everything.totals.tot_ccld_amt == 140_000
    cancel = client.domestic_stock.order_rvsecncl(
        krx_fwdg_ord_orgno=resting.krx_fwdg_ord_orgno, orgn_odno=resting.odno, ord_dvsn="00", rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y"
    ).order
    assert cancel is not None
    assert listed("02") == []
    rows = client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today).orders
    assert [(row.odno, row.orgn_odno, row.cncl_yn, row.cncl_cfrm_qty) for row in rows][0] == (cancel.odno, resting.odno, True, 5)
    # Nothing placed more than three months ago on this account.
    old = client.domestic_stock.inquire_daily_ccld(period="before_3_months", inqr_strt_dt=ymd(today_of(mock_sandbox) - timedelta(days=365)), inqr_end_dt=today)
    assert old.orders == ()


def test_buying_power_is_cash_less_resting_buys(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)

    def power() -> tuple[int | None, int | None]:
        reply = client.domestic_stock.inquire_psbl_order(pdno=SAMSUNG, ord_unpr="", ord_dvsn="01", cma_evlu_amt_icld_yn="N", ovrs_icld_yn="N").buying_power
        assert reply is not None
        return reply.ord_psbl_cash, reply.nrcvb_buy_qty

    assert power() == (10_000_000, 142)  # 10,000,000 // 70,000
    client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="10", ord_unpr="0")
    client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="10", ord_unpr="60000")
    assert power() == (10_000_000 - 700_000 - 600_000, 124)
    overseas = client.overseas_stock.inquire_psamount(ovrs_excg_cd="NASD", ovrs_ord_unpr="200.00", item_cd=APPLE).buying_power
    assert overseas is not None and overseas.tr_crcy_cd == "USD" and overseas.ovrs_ord_psbl_amt == Decimal("10000.00") and overseas.max_ord_psbl_qty == 50


def test_real_only_inquiries_list_open_orders_and_sellable_quantity(real_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(real_sandbox)
    client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="4", ord_unpr="0")
    resting = client.domestic_stock.order_cash(side="sell", pdno=SAMSUNG, ord_dvsn="00", ord_qty="3", ord_unpr="90000").order
    assert resting is not None
    open_orders = client.domestic_stock.inquire_psbl_rvsecncl().orders
    assert [(row.odno, row.psbl_qty, row.sll_buy_dvsn_cd) for row in open_orders] == [(resting.odno, 3, "01")]
    sellable = client.domestic_stock.inquire_psbl_sell(pdno=SAMSUNG).sellable
    assert sellable is not None and (sellable.cblc_qty, sellable.ord_psbl_qty, sellable.buy_qty) == (4, 1, 4)
    assert sellable.pchs_avg_pric == Decimal("70000")


def test_overseas_open_orders_modify_cancel_and_fills(real_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(real_sandbox)
    first = client.overseas_stock.order(side="buy", ovrs_excg_cd=Exchange.NASD, pdno=APPLE, ord_qty="3", ovrs_ord_unpr="150.00", ord_dvsn="00").order
    second = client.overseas_stock.order(side="buy", ovrs_excg_cd=Exchange.NYSE, pdno="BA", ord_qty="2", ovrs_ord_unpr="50.00", ord_dvsn="00").order
    assert first is not None and first.odno and second is not None and second.odno
    # NASD asks for every US exchange.
    assert [row.odno for row in client.overseas_stock.inquire_nccs(ovrs_excg_cd=Exchange.NASD, sort_sqn="DS").orders] == [first.odno, second.odno]
    modified = client.overseas_stock.order_rvsecncl(
        ovrs_excg_cd=Exchange.NASD, pdno=APPLE, orgn_odno=first.odno, rvse_cncl_dvsn_cd="01", ord_qty="3", ovrs_ord_unpr="195.00"
    ).order
    assert modified is not None  # 195 crosses the sandbox's 190: it fills at 190
    client.overseas_stock.order_rvsecncl(ovrs_excg_cd=Exchange.NYSE, pdno="BA", orgn_odno=second.odno, rvse_cncl_dvsn_cd="02", ord_qty="2", ovrs_ord_unpr="0")
    assert client.overseas_stock.inquire_nccs(ovrs_excg_cd=Exchange.NASD).orders == ()
    with pytest.raises(KisApiError) as again:
        client.overseas_stock.order_rvsecncl(ovrs_excg_cd=Exchange.NYSE, pdno="BA", orgn_odno=second.odno, rvse_cncl_dvsn_cd="02", ord_qty="2", ovrs_ord_unpr="0")
    assert again.value.msg_cd == "SBX03003"
    today = ymd(today_of(real_sandbox, NEW_YORK))  # KIS files overseas orders under the exchange's date
    fills = client.overseas_stock.inquire_ccnl(pdno="%", ord_strt_dt=today, ord_end_dt=today, ovrs_excg_cd="%", ccld_nccs_dvsn="01").orders
    assert [(row.odno, row.orgn_odno, row.ft_ccld_qty, row.ft_ccld_unpr3) for row in fills] == [(modified.odno, first.odno, 3, Decimal(190))]


def test_no_orders_reads_as_an_empty_list(real_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    """KIS sends one blank object when there is nothing; the client reads an empty list."""
    client = make_client(real_sandbox)
    today = ymd(today_of(real_sandbox))
    assert client.overseas_stock.inquire_ccnl(pdno="%", ord_strt_dt=today, ord_end_dt=today, ovrs_excg_cd="%").orders == ()
    assert client.overseas_stock.inquire_nccs(ovrs_excg_cd=Exchange.NASD).orders == ()


def test_daily_orders_page_at_the_mock_page_size(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    assert client.account is not None
    state = mock_sandbox.state
    book = state.account(*client.account.split("-"))
    placed = [state.place(book, "buy", SAMSUNG, None, 1, None, "01").odno for _ in range(17)]
    today = ymd(today_of(mock_sandbox))
    pages = list(client.domestic_stock.inquire_daily_ccld_pages(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today, inqr_dvsn="01"))
    assert [len(page.orders) for page in pages] == [15, 2]  # the spec's mock page size
    assert [row.odno for page in pages for row in page.orders] == placed
