"""Beyond stocks: investor flows, a volume ranking, an ETF and a futures quote, and an index chart
read page by page, against local KIS sandboxes (no network, no money).

    python examples/markets.py

Most of KIS's market-data APIs are offered on real accounts only (KIS API portal: 모의투자
미지원): a mock client refuses them before sending anything, so this example runs two sandboxes,
a mock one and one that answers as KIS's real servers do, and a client for each. Quotes, charts
and rankings come from the sandbox's deterministic price walk of the symbols it prices; what it
does not model (who bought: the investor quantities) keeps the spec's neutral value.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kisgen.sandbox import running_sandbox
from kis_client import KisClient, UnsupportedEnvironmentError, kis_today

ACCOUNT = "50234567-01"
PRICES = {"005930": Decimal(70000), "000660": Decimal(180000), "069500": Decimal(35000), "101W09": Decimal(350)}
NAMES = {"005930": "삼성전자", "000660": "SK하이닉스", "069500": "KODEX 200"}  # 101W09: a KOSPI200 future


def number(value: Decimal | int | None, places: int = 0) -> str:
    return f"{value or 0:,.{places}f}"


def main() -> None:
    with running_sandbox("mock", prices=PRICES, names=NAMES) as mock, running_sandbox("real", prices=PRICES, names=NAMES) as real:
        print(f"KIS sandboxes: mock at {mock.base_url}, real at {real.base_url}\n")
        with KisClient("demo-app-key-0002", "demo-app-secret-0002", account=ACCOUNT, base_url=mock.base_url, token_cache=False) as client:
            flows = client.domestic_stock.inquire_investor(fid_cond_mrkt_div_code="J", fid_input_iscd="005930").output
            print(f"1. investor flows for 005930, {len(flows)} days, newest first:")
            for day in flows[:3]:
                print(f"   {day.stck_bsop_date}: close {number(day.stck_clpr)}원 ({number(day.prdy_vrss)}), 외국인 순매수 {number(day.frgn_ntby_qty)}주")

            future = client.domestic_futureoption.inquire_price(fid_cond_mrkt_div_code="F", fid_input_iscd="101W09").output1
            assert future is not None
            print(f"2. futures quote 101W09: {number(future.futs_prpr, 2)}, {number(future.futs_prdy_vrss, 2)} on the day (open {number(future.futs_oprc, 2)}, high {number(future.futs_hgpr, 2)}, low {number(future.futs_lwpr, 2)})")

            end = kis_today()
            start = end - timedelta(days=60)
            pages = list(client.domestic_stock.inquire_daily_indexchartprice_pages(
                fid_cond_mrkt_div_code="U", fid_input_iscd="0001", fid_input_date_1=start.strftime("%Y%m%d"), fid_input_date_2=end.strftime("%Y%m%d"), fid_period_div_code="D",
            ))
            rows = [row for page in pages for row in page.output2]
            print(f"3. KOSPI daily chart, paged by tr_cont alone: {len(pages)} pages, {len(rows)} days from {rows[-1].stck_bsop_date} to {rows[0].stck_bsop_date}")

            try:
                client.domestic_stock.volume_rank(
                    fid_cond_mrkt_div_code="J", fid_input_iscd="0000", fid_div_cls_code="0", fid_blng_cls_code="0", fid_trgt_cls_code="111111111",
                    fid_trgt_exls_cls_code="0000000000", fid_input_price_1="", fid_input_price_2="", fid_vol_cnt="", fid_input_date_1="",
                )
            except UnsupportedEnvironmentError as refused:
                print(f"4. {refused.operation} is real-only: the mock client refused it, nothing was sent")

        # env="real" only ever points where you say: here, the sandbox that answers as KIS's real servers do.
        with KisClient("demo-app-key-0003", "demo-app-secret-0003", account=ACCOUNT, env="real", base_url=real.base_url, token_cache=False) as client:
            ranking = client.domestic_stock.volume_rank(
                fid_cond_mrkt_div_code="J", fid_input_iscd="0000", fid_div_cls_code="0", fid_blng_cls_code="0", fid_trgt_cls_code="111111111",
                fid_trgt_exls_cls_code="0000000000", fid_input_price_1="", fid_input_price_2="", fid_vol_cnt="", fid_input_date_1="",
            ).output
            print("5. volume ranking on the real sandbox:")
            for row in ranking:
                print(f"   #{row.data_rank} {row.hts_kor_isnm} ({row.mksc_shrn_iscd}): {number(row.acml_vol)}주 at {number(row.stck_prpr)}원")

            etf = client.etfetn.inquire_price(fid_cond_mrkt_div_code="J", fid_input_iscd="069500").output
            assert etf is not None
            print(f"6. ETF 069500 KODEX 200: {number(etf.stck_prpr)}원, {number(etf.prdy_ctrt, 2)}% on the day (open {number(etf.stck_oprc)}, high {number(etf.stck_hgpr)}, low {number(etf.stck_lwpr)})")


if __name__ == "__main__":
    main()
