"""Quotations without state logic of their own (generator/sandbox/quotes.py): answered from the
sandbox's quotes of the symbol they name, through the generated client, and paged by tr_cont
alone where KIS pages them so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kisgen.sandbox.quotes import CHART_ROWS, NOT_PRICES, plan
from tests.conftest import PINNED_NOW, ClientFactory, pinned_clock

ETF, FUTURE = "069500", "101W09"
PRICES = {ETF: Decimal(35000), FUTURE: Decimal(350)}


@pytest.fixture(scope="module")
def quoting(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, clock=pinned_clock(), prices=PRICES) as sandbox:
        yield sandbox


def weekdays_back(start: date, count: int) -> list[date]:
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def test_every_quote_plan_names_a_symbol_and_a_price(spec: Spec) -> None:
    plans = {op.qualname: quote for op in spec.operations if (quote := plan(op)) is not None}
    assert len(plans) > 100  # most of KIS's quotation APIs
    for qualname, quote in plans.items():
        op = spec.operation(qualname)
        assert op.kind == "read" and (quote.symbol in {field.wire for field in op.fields} or set(quote.fields) <= quote.rankings), qualname
        assert all(any(meaning not in NOT_PRICES for _, meaning in fields) for fields in quote.fields.values()), qualname
    assert "domestic_stock.volume_rank" in plans and "overseas_stock.trade_vol" in plans  # rankings
    assert plan(spec.operation("domestic_stock.order_cash")) is None  # an order is never a quote


def test_a_daily_chart_is_the_symbols_bars_newest_first(quoting: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(quoting)
    rows = client.domestic_stock.inquire_daily_price(fid_cond_mrkt_div_code="J", fid_input_iscd=ETF, fid_period_div_code="D", fid_org_adj_prc="1").output
    assert [row.stck_bsop_date for row in rows] == weekdays_back(PINNED_NOW.date(), CHART_ROWS)
    assert rows[0].stck_clpr == PRICES[ETF]  # the walk ends today at the symbol's price
    for row, older in zip(rows, rows[1:]):
        assert row.stck_lwpr is not None and row.stck_hgpr is not None and row.stck_clpr is not None and older.stck_clpr is not None
        assert row.stck_lwpr <= row.stck_clpr <= row.stck_hgpr
        assert row.prdy_vrss == row.stck_clpr - older.stck_clpr
        assert row.prdy_vrss_sign == ("2" if row.prdy_vrss > 0 else "5" if row.prdy_vrss < 0 else "3")


def test_an_object_quote_is_todays_bar(quoting: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(quoting)
    quote = client.domestic_futureoption.inquire_price(fid_cond_mrkt_div_code="F", fid_input_iscd=FUTURE).output1
    assert quote is not None
    assert quote.futs_prpr == PRICES[FUTURE]
    assert quote.futs_prdy_clpr is not None and quote.futs_prdy_vrss == quote.futs_prpr - quote.futs_prdy_clpr
    assert quote.futs_lwpr is not None and quote.futs_hgpr is not None and quote.futs_lwpr <= quote.futs_prpr <= quote.futs_hgpr


def test_a_chart_paged_by_tr_cont_alone_reads_on_to_the_last_page(quoting: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(quoting)
    asked = {"fid_cond_mrkt_div_code": "U", "fid_input_iscd": "0001", "fid_input_date_1": "20260901", "fid_input_date_2": "20261207", "fid_period_div_code": "D"}
    pages = list(client.domestic_stock.inquire_daily_indexchartprice_pages(**asked))
    assert [len(page.output2) for page in pages] == [20, CHART_ROWS - 20]  # the sandbox's page without a page size in the spec
    assert [page.continuation.tr_cont if page.continuation else None for page in pages] == ["F", "D"]
    days = [row.stck_bsop_date for page in pages for row in page.output2]
    assert days == weekdays_back(PINNED_NOW.date(), CHART_ROWS)  # no row twice, none left out
    assert list(client.domestic_stock.inquire_daily_indexchartprice_output2(**asked)) == [row for page in pages for row in page.output2]


def test_a_ranking_ranks_the_symbols_the_sandbox_prices(spec: Spec, make_client: ClientFactory) -> None:
    prices = {**PRICES, "005930": Decimal(70000), "000660": Decimal(180000)}
    with running_sandbox("real", spec=spec, rate_limit_per_second=0, clock=pinned_clock(), prices=prices, names={ETF: "KODEX 200"}) as real:
        client = make_client(real)
        rows = client.domestic_stock.volume_rank(
            fid_cond_mrkt_div_code="J", fid_input_iscd="0000", fid_div_cls_code="0", fid_blng_cls_code="0", fid_trgt_cls_code="111111111",
            fid_trgt_exls_cls_code="0000000000", fid_input_price_1="", fid_input_price_2="", fid_vol_cnt="", fid_input_date_1="",
        ).output
        today = PINNED_NOW.date()
        volumes = {symbol: real.state.quotes.today(symbol, False, today).volume for symbol in prices if symbol.isdigit()}
        assert [row.mksc_shrn_iscd for row in rows] == sorted(volumes, key=lambda symbol: -volumes[symbol])
        assert [row.data_rank for row in rows] == [str(rank) for rank in range(1, len(volumes) + 1)]
        assert {row.mksc_shrn_iscd: (row.hts_kor_isnm, row.acml_vol) for row in rows}[ETF] == ("KODEX 200", volumes[ETF])


def test_tr_cont_n_without_a_read_under_way_is_refused(quoting: RunningSandbox) -> None:
    app_key, secret = "quotes-raw-app-key", "quotes-raw-app-secret-0123456789"
    issued = httpx.post(quoting.base_url + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": app_key, "appsecret": secret}, timeout=5)
    headers = {"authorization": f"Bearer {issued.json()['access_token']}", "appkey": app_key, "appsecret": secret, "tr_id": "FHKUP03500100", "custtype": "P"}
    query = {"FID_COND_MRKT_DIV_CODE": "U", "FID_INPUT_ISCD": "0002", "FID_INPUT_DATE_1": "20260901", "FID_INPUT_DATE_2": "20261207", "FID_PERIOD_DIV_CODE": "D"}
    url = quoting.base_url + "/uapi/domestic-stock/v1/quotations/inquire-daily-indexchartprice"
    refused = httpx.get(url, params=query, headers={**headers, "tr_cont": "N"}, timeout=5)
    assert refused.json()["msg_cd"] == "SBX02004"
    first = httpx.get(url, params=query, headers=headers, timeout=5)
    assert first.headers["tr_cont"] == "F"
    second = httpx.get(url, params=query, headers={**headers, "tr_cont": "N"}, timeout=5)
    assert (second.headers["tr_cont"], len(second.json()["output2"])) == ("D", CHART_ROWS - 20)
    again = httpx.get(url, params=query, headers={**headers, "tr_cont": "N"}, timeout=5)
    assert again.json()["msg_cd"] == "SBX02004"  # the read is over: tr_cont N starts nothing
