"""The traps of issue 10, one test each: real-only operations on mock, quotation TR_IDs on mock,
cancel-only markets, a blank object for an empty list, continuation keys with trailing spaces,
one Exchange enum for both code vocabularies, and chart walks that stop."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from datetime import time as dtime
from typing import Any

import pytest

from kis_client import AsyncKisClient, Exchange, UnsupportedEnvironmentError, ValidationError
from kis_client._calls import Reply, walk_back
from kis_client.domestic_stock.inquire_asking_price_exp_ccn import prepare_domestic_stock_inquire_asking_price_exp_ccn
from kis_client.domestic_stock.inquire_daily_ccld import prepare_domestic_stock_inquire_daily_ccld
from kis_client.domestic_stock.inquire_daily_itemchartprice import prepare_domestic_stock_inquire_daily_itemchartprice
from kis_client.domestic_stock.inquire_price import prepare_domestic_stock_inquire_price
from kis_client.domestic_stock.inquire_time_itemchartprice import prepare_domestic_stock_inquire_time_itemchartprice
from kis_client.enums import QuoteExchange
from kis_client.overseas_price.dailyprice import prepare_overseas_price_dailyprice
from kis_client.overseas_price.price import prepare_overseas_price_price
from kis_client.overseas_stock.inquire_ccnl import parse_overseas_stock_inquire_ccnl, prepare_overseas_stock_inquire_ccnl
from kis_client.overseas_stock.inquire_nccs import parse_overseas_stock_inquire_nccs, prepare_overseas_stock_inquire_nccs
from kis_client.overseas_stock.order_rvsecncl import prepare_overseas_stock_order_rvsecncl
from tests.wave2_support import APP_KEY, APP_SECRET, Answer, Recorded, client, context, fixture, ok, serve

# -- real-only operations on a mock account ---------------------------------------------------

REAL_ONLY = [
    ("domestic_stock", "inquire_psbl_rvsecncl", {}),
    ("domestic_stock", "inquire_psbl_sell", {"pdno": "000660"}),
    ("overseas_stock", "inquire_nccs", {"ovrs_excg_cd": Exchange.NASD}),
]


def nothing(request: Recorded) -> Answer:
    raise AssertionError(f"nothing should be sent, got {request.method} {request.path}")


@pytest.mark.parametrize(("area", "name", "args"), REAL_ONLY)
def test_real_only_operation_refused_on_mock_before_sending(area: str, name: str, args: dict[str, Any]) -> None:
    with serve(nothing) as server:
        with client(server, "mock") as kis:
            with pytest.raises(UnsupportedEnvironmentError) as raised:
                getattr(getattr(kis, area), name)(**args)
        assert server.requests == []  # not even a token
    message = str(raised.value)
    assert f"{area}.{name}" in message and "mock" in message
    assert raised.value.env == "mock" and raised.value.supported == ("real",)


def test_real_only_pages_refused_on_mock_before_sending() -> None:
    with serve(nothing) as server:
        with client(server, "mock") as kis:
            with pytest.raises(UnsupportedEnvironmentError):
                next(iter(kis.overseas_stock.inquire_nccs_pages(ovrs_excg_cd=Exchange.NYSE)))
        assert server.requests == []


# -- quotation TR_IDs are the same on mock -----------------------------------------------------

QUOTATIONS = [
    (prepare_domestic_stock_inquire_price, {"fid_input_iscd": "005930"}, "FHKST01010100"),
    (prepare_domestic_stock_inquire_asking_price_exp_ccn, {"fid_input_iscd": "005930"}, "FHKST01010200"),
    (prepare_domestic_stock_inquire_daily_itemchartprice, {"fid_input_iscd": "005930", "fid_input_date_1": "20220411", "fid_input_date_2": "20220509", "fid_period_div_code": "D", "fid_org_adj_prc": "0"}, "FHKST03010100"),
    (prepare_domestic_stock_inquire_time_itemchartprice, {"fid_input_iscd": "005930", "fid_input_hour_1": "100000"}, "FHKST03010200"),
    (prepare_overseas_price_price, {"excd": Exchange.NASD, "symb": "AAPL"}, "HHDFS00000300"),
    (prepare_overseas_price_dailyprice, {"excd": Exchange.NASD, "symb": "AAPL", "gubn": "0", "modp": "1"}, "HHDFS76240000"),
]


@pytest.mark.parametrize(("prepare", "args", "tr_id"), QUOTATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_quotation_tr_id_unchanged_on_mock(prepare: Any, args: dict[str, Any], tr_id: str) -> None:
    assert prepare(context("real"), **args).tr_id == tr_id
    assert prepare(context("mock"), **args).tr_id == tr_id


# -- per-period TR_IDs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "period", "tr_id"), [("real", "within_3_months", "TTTC0081R"), ("real", "before_3_months", "CTSC9215R"), ("mock", "within_3_months", "VTTC0081R"), ("mock", "before_3_months", "VTSC9215R")])
def test_period_picks_the_tr_id(env: str, period: Any, tr_id: str) -> None:
    call = prepare_domestic_stock_inquire_daily_ccld(context(env), period=period, inqr_strt_dt="20220810", inqr_end_dt="20220810")
    assert call.tr_id == tr_id


def test_unknown_period_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_domestic_stock_inquire_daily_ccld(context("real"), period="inner", inqr_strt_dt="20220810", inqr_end_dt="20220810")  # type: ignore[arg-type]
    assert raised.value.fields == ("period",)


# -- cancel-only markets -------------------------------------------------------------------------

CANCEL_ONLY = [Exchange.SHAA, Exchange.SZAA, Exchange.HASE, Exchange.VNSE]


@pytest.mark.parametrize("exchange", CANCEL_ONLY)
def test_cancel_only_market_refuses_modify_before_sending(exchange: Exchange) -> None:
    with serve(nothing) as server:
        with client(server, "real") as kis:
            with pytest.raises(ValidationError) as raised:
                kis.overseas_stock.order_rvsecncl(ovrs_excg_cd=exchange, pdno="600000", orgn_odno="1234", rvse_cncl_dvsn_cd="01", ord_qty="1", ovrs_ord_unpr="10.5")
        assert server.requests == []
    assert raised.value.fields == ("RVSE_CNCL_DVSN_CD",)
    assert "cancel_only_markets" in str(raised.value)


@pytest.mark.parametrize(("exchange", "tr_id"), [(Exchange.SHAA, "TTTS0302U"), (Exchange.SZAA, "TTTS0306U"), (Exchange.HASE, "TTTS0312U"), (Exchange.VNSE, "TTTS0312U")])
def test_cancel_only_market_accepts_cancel(exchange: Exchange, tr_id: str) -> None:
    call = prepare_overseas_stock_order_rvsecncl(context("real"), ovrs_excg_cd=exchange, pdno="600000", orgn_odno="1234", rvse_cncl_dvsn_cd="02", ord_qty="1", ovrs_ord_unpr="0")
    assert call.tr_id == tr_id


@pytest.mark.parametrize("exchange", [Exchange.NASD, Exchange.SEHK, Exchange.TKSE])
def test_other_markets_accept_modify(exchange: Exchange) -> None:
    call = prepare_overseas_stock_order_rvsecncl(context("mock"), ovrs_excg_cd=exchange, pdno="BA", orgn_odno="1234", rvse_cncl_dvsn_cd="01", ord_qty="1", ovrs_ord_unpr="226.00")
    assert call.params["RVSE_CNCL_DVSN_CD"] == "01"


# -- one blank object where a list is documented ----------------------------------------------

BLANK_CCNL = {
    "ctx_area_fk200": "12345678^01^^20211027^20211027^00^00^%^^".ljust(200),
    "ctx_area_nk200": "".ljust(200),
    "output": {"ord_dt": "", "ord_gno_brno": "", "odno": "", "orgn_odno": "", "sll_buy_dvsn_cd": "", "ft_ord_qty": "", "ft_ccld_unpr3": "", "ord_tmd": "", "nccs_qty": ""},
    "rt_cd": "0",
    "msg_cd": "KIOK0560",
    "msg1": "조회할 내용이 없습니다                                                          ",
}


def test_blank_object_is_an_empty_list() -> None:
    call = prepare_overseas_stock_inquire_ccnl(context("real"), pdno="%", ord_strt_dt="20211027", ord_end_dt="20211027", ovrs_excg_cd="%")
    response = parse_overseas_stock_inquire_ccnl(call, Reply(200, {"tr_cont": "D"}, BLANK_CCNL))
    assert response.orders.as_records() == []
    assert response.orders == ()


def test_blank_object_is_an_empty_list_for_open_orders() -> None:
    call = prepare_overseas_stock_inquire_nccs(context("real"), ovrs_excg_cd=Exchange.NASD)
    body = {**BLANK_CCNL, "output": {"odno": "", "nccs_qty": "", "ord_dt": ""}}
    assert parse_overseas_stock_inquire_nccs(call, Reply(200, {"tr_cont": "D"}, body)).orders == ()


# -- continuation keys come back verbatim, spaces included ------------------------------------

FK100 = "12345678^01^20220103^20220103^ ^00^00^".ljust(100)
NK100 = "0000012345^".ljust(100)
FK200 = "12345678^01^^20211027^20211027^00^00^NASD^^".ljust(200)
NK200 = "20211027^0000001234^".ljust(200)


def two_pages(fk_key: str, nk_key: str, fk: str, nk: str, row: dict[str, str]) -> Any:
    def handler(request: Recorded) -> Answer:
        first = request.headers.get("tr_cont", "") == ""
        body, _ = ok(**{fk_key: fk if first else "".ljust(len(fk)), nk_key: nk if first else "".ljust(len(nk))})
        body["output" if "200" in fk_key else "output1"] = [row]
        body["output2"] = {}
        return body, {"tr_cont": "M" if first else "D"}

    return handler


def test_continuation_key_100_sent_back_verbatim() -> None:
    handler = two_pages("ctx_area_fk100", "ctx_area_nk100", FK100, NK100, {"odno": "0000002101", "ord_dt": "20220103"})
    with serve(handler) as server:
        with client(server, "mock") as kis:
            pages = list(kis.domestic_stock.inquire_daily_ccld_pages(period="within_3_months", inqr_strt_dt="20220103", inqr_end_dt="20220103"))
        sent = server.api_requests
    assert len(pages) == 2 and len(sent) == 2
    assert (sent[0].query["CTX_AREA_FK100"], sent[0].headers["tr_cont"]) == ("", "")
    assert sent[1].query["CTX_AREA_FK100"] == FK100
    assert sent[1].query["CTX_AREA_NK100"] == NK100
    assert sent[1].headers["tr_cont"] == "N"
    assert pages[0].continuation is not None and pages[0].continuation.fk == FK100


def test_continuation_key_200_sent_back_verbatim() -> None:
    handler = two_pages("ctx_area_fk200", "ctx_area_nk200", FK200, NK200, {"odno": "0000001234", "ord_dt": "20211027"})
    with serve(handler) as server:
        with client(server, "real") as kis:
            pages = list(kis.overseas_stock.inquire_ccnl_pages(pdno="%", ord_strt_dt="20211027", ord_end_dt="20211027", ovrs_excg_cd=Exchange.NASD))
        sent = server.api_requests
    assert len(pages) == 2
    assert sent[1].query["CTX_AREA_FK200"] == FK200
    assert sent[1].query["CTX_AREA_NK200"] == NK200
    assert sent[1].headers["tr_cont"] == "N"


# -- one Exchange enum, two vocabularies ------------------------------------------------------


@pytest.mark.parametrize(("given", "wire"), [
    (Exchange.NASD, "NAS"), (Exchange.NYSE, "NYS"), (Exchange.AMEX, "AMS"), (Exchange.SEHK, "HKS"),
    (Exchange.SHAA, "SHS"), (Exchange.SZAA, "SZS"), (Exchange.TKSE, "TSE"), (Exchange.HASE, "HNX"), (Exchange.VNSE, "HSX"),
    ("NASD", "NAS"), ("NYS", "NYS"), (QuoteExchange.BAQ, "BAQ"), ("BAY", "BAY"), (QuoteExchange.BAA, "BAA"),
])
def test_exchange_encoded_as_quote_code(given: Any, wire: str) -> None:
    assert prepare_overseas_price_price(context("mock"), excd=given, symb="AAPL").params["EXCD"] == wire


def test_exchange_encoded_on_the_wire() -> None:
    with serve(lambda request: ok(output={})) as server:
        with client(server, "mock") as kis:
            kis.overseas_price.price(excd=Exchange.NYSE, symb="IBM")
        (sent,) = server.api_requests
    assert sent.query["EXCD"] == "NYS"


@pytest.mark.parametrize("given", ["XXX", "nas", ""])
def test_unknown_exchange_code_rejected(given: str) -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_overseas_price_price(context("real"), excd=given, symb="AAPL")
    assert raised.value.fields == ("EXCD",)


def test_day_session_code_not_documented_for_daily_bars() -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_overseas_price_dailyprice(context("real"), excd=QuoteExchange.BAQ, symb="AAPL", gubn="0", modp="1")
    assert "regular_session_codes" in str(raised.value)


def test_trading_operations_keep_trading_codes() -> None:
    call = prepare_overseas_stock_order_rvsecncl(context("real"), ovrs_excg_cd=Exchange.NASD, pdno="AAPL", orgn_odno="1", rvse_cncl_dvsn_cd="02", ord_qty="1", ovrs_ord_unpr="0")
    assert call.params["OVRS_EXCG_CD"] == "NASD"


# -- chart walks stop ------------------------------------------------------------------------

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2024, 8, 31)


def daily_bars(request: Recorded) -> Answer:
    """Up to 100 calendar-day bars ending at FID_INPUT_DATE_2, none before FIRST_DAY."""
    end = min(LAST_DAY, date(int(request.query["FID_INPUT_DATE_2"][:4]), int(request.query["FID_INPUT_DATE_2"][4:6]), int(request.query["FID_INPUT_DATE_2"][6:])))
    start = max(FIRST_DAY, end - timedelta(days=99))
    days = [end - timedelta(days=n) for n in range((end - start).days + 1)]
    return ok(output1={"stck_prpr": "70000"}, output2=[{"stck_bsop_date": d.strftime("%Y%m%d"), "stck_clpr": "70000"} for d in days])


def test_daily_walk_stops_when_no_older_bars() -> None:
    with serve(daily_bars) as server:
        with client(server, "mock") as kis:
            responses = list(kis.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_iscd="005930", fid_input_date_1="20000101", fid_input_date_2="20240831", fid_period_div_code="D", fid_org_adj_prc="0"))
        ends = [request.query["FID_INPUT_DATE_2"] for request in server.api_requests]
    assert ends == ["20240831", "20240523", "20240213", "20231231"]
    assert [len(response.bars) for response in responses] == [100, 100, 44, 0]
    assert min(bar.stck_bsop_date for response in responses for bar in response.bars if bar.stck_bsop_date) == FIRST_DAY


def test_daily_walk_stops_at_the_start_date() -> None:
    with serve(daily_bars) as server:
        with client(server, "real") as kis:
            responses = list(kis.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_iscd="005930", fid_input_date_1="20240601", fid_input_date_2="20240831", fid_period_div_code="D", fid_org_adj_prc="0"))
    assert len(responses) == 1


def test_walk_stops_when_kis_ignores_the_bound() -> None:
    same = ok(output1={}, output2=[{"stck_bsop_date": "20240105"}, {"stck_bsop_date": "20240104"}])
    with serve(lambda request: same) as server:
        with client(server, "mock") as kis:
            responses = list(kis.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_iscd="005930", fid_input_date_1="20000101", fid_input_date_2="20240105", fid_period_div_code="D", fid_org_adj_prc="0"))
        assert len(server.api_requests) == 2
    assert len(responses) == 2


def minute_bars(request: Recorded) -> Answer:
    """Up to 30 one-minute bars at or before FID_INPUT_HOUR_1, from 09:00:00 on."""
    hour = request.query["FID_INPUT_HOUR_1"]
    upto = int(hour[:2]) * 60 + int(hour[2:4])
    minutes = [m for m in range(upto, 9 * 60 - 1, -1)][:30]
    return ok(output1={}, output2=[{"stck_bsop_date": "20241125", "stck_cntg_hour": f"{m // 60:02d}{m % 60:02d}00"} for m in minutes])


def test_minute_walk_goes_back_by_time_and_stops() -> None:
    with serve(minute_bars) as server:
        with client(server, "real") as kis:
            responses = list(kis.domestic_stock.inquire_time_itemchartprice_walk(fid_input_iscd="005930", fid_input_hour_1="100000"))
        hours = [request.query["FID_INPUT_HOUR_1"] for request in server.api_requests]
    assert hours == ["100000", "093059", "090059", "085959"]
    assert [len(response.bars) for response in responses] == [30, 30, 1, 0]


def test_overseas_daily_walk_moves_bymd() -> None:
    def handler(request: Recorded) -> Answer:
        bymd = request.query["BYMD"]
        if bymd == "":
            return ok(output1={"nrec": "2"}, output2=[{"xymd": "20241122"}, {"xymd": "20241121"}])
        if bymd == "20241120":
            return ok(output1={"nrec": "1"}, output2=[{"xymd": "20241120"}])
        return ok(output1={"nrec": "0"}, output2=[])

    with serve(handler) as server:
        with client(server, "mock") as kis:
            responses = list(kis.overseas_price.dailyprice_walk(excd=Exchange.NASD, symb="TSLA", gubn="0", modp="1"))
        assert [request.query["BYMD"] for request in server.api_requests] == ["", "20241120", "20241119"]
        assert {request.query["EXCD"] for request in server.api_requests} == {"NAS"}
    assert [len(response.bars) for response in responses] == [2, 1, 0]


def test_async_walk_stops() -> None:
    async def walk(url: str) -> list[int]:
        async with AsyncKisClient(APP_KEY, APP_SECRET, account="12345678-01", env="mock", base_url=url, token_cache=False, rate_limit=0) as kis:
            return [len(response.bars) async for response in kis.domestic_stock.inquire_time_itemchartprice_walk(fid_input_iscd="005930", fid_input_hour_1="091000")]

    with serve(minute_bars) as server:
        counts = asyncio.run(walk(server.url))
    assert counts == [11, 0]


def test_walk_respects_max_calls() -> None:
    with serve(daily_bars) as server:
        with client(server, "mock") as kis:
            responses = list(kis.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_iscd="005930", fid_input_date_1="20000101", fid_input_date_2="20240831", fid_period_div_code="D", fid_org_adj_prc="0", max_calls=2))
    assert len(responses) == 2


def test_walk_back_rules() -> None:
    call = prepare_domestic_stock_inquire_time_itemchartprice(context("real"), fid_input_iscd="005930", fid_input_hour_1="090100")
    assert walk_back(call, "FID_INPUT_HOUR_1", "time", [], None) is None
    assert walk_back(call, "FID_INPUT_HOUR_1", "time", [dtime(0, 0, 0)], None) is None
    step = walk_back(call, "FID_INPUT_HOUR_1", "time", [dtime(9, 1), dtime(9, 0), None], None)
    assert step is not None and step.params["FID_INPUT_HOUR_1"] == "085959"
    assert call.params["FID_INPUT_HOUR_1"] == "090100"  # the call itself is left alone


@pytest.mark.parametrize(
    ("start", "oldest", "next_end"),
    [
        ("20251101", date(2025, 11, 3), None),  # start Saturday, oldest bar Monday: only a weekend is left
        ("20251102", date(2025, 11, 3), None),  # start Sunday
        ("20251031", date(2025, 11, 3), "20251102"),  # start Friday: asked for (the bound is not moved)
        ("20251103", date(2025, 11, 4), "20251103"),
        ("20251104", date(2025, 11, 4), None),
    ],
)
def test_a_daily_walk_never_asks_for_a_weekend_alone(start: str, oldest: date, next_end: str | None) -> None:
    call = prepare_domestic_stock_inquire_daily_itemchartprice(context("real"), fid_input_iscd="005930", fid_input_date_1=start, fid_input_date_2="20251130", fid_period_div_code="D", fid_org_adj_prc="0")
    step = walk_back(call, "FID_INPUT_DATE_2", "date", [oldest + timedelta(days=7), oldest], "FID_INPUT_DATE_1")
    assert (step.params["FID_INPUT_DATE_2"] if step is not None else None) == next_end


EXCD_CODES: dict[str, list[str]] = fixture("requests.yaml")["excd_codes"]
EXCD_CASES = [(name, code, code in codes) for name, codes in EXCD_CODES.items() for code in EXCD_CODES["overseas_price.price"]]


@pytest.mark.parametrize(("name", "code", "documented"), EXCD_CASES)
def test_documented_quote_codes_pass_unchanged_and_only_those(name: str, code: str, documented: bool) -> None:
    args: dict[str, Any] = {"excd": code, "symb": "600000"}
    if name == "overseas_price.dailyprice":
        args.update(gubn="0", modp="1")
    prepare = prepare_overseas_price_price if name == "overseas_price.price" else prepare_overseas_price_dailyprice
    if documented:
        assert prepare(context("mock"), **args).params["EXCD"] == code
    else:
        with pytest.raises(ValidationError):
            prepare(context("mock"), **args)
