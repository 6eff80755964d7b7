"""Quick start: the generated client against a local KIS sandbox (no network, no money).

    python examples/quickstart.py

Starts the sandbox in this process (mock environment, 모의투자), then with kis_client: a token, a
quote, buying power, a domestic buy of 005930, the domestic balance, a resting limit order listed,
modified then cancelled, today's fills, an overseas limit buy of AAPL on NASD, the overseas
balance and the present balance.

Open orders on a mock account: KIS's modifiable-orders inquiry (inquire_psbl_rvsecncl) is
real-only, and the client refuses it on mock before sending anything. KIS's advice for mock is the
daily orders inquiry filtered to unfilled orders (inquire_daily_ccld with CCLD_DVSN 02), which
is what this example lists.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kisgen.sandbox import running_sandbox
from kis_client import Exchange, KisClient, Side, UnsupportedEnvironmentError, kis_today
from kis_client.enums import CcldDvsn, NatnCd, OrdDvsn, OrdDvsnPsbl, OvrsOrdDvsn, RvseCnclDvsnCd, TrCrcyCd, TrMketCd, WcrcFrcrDvsnCd, YesNo

ACCOUNT = "50123456-01"


def won(amount: int | Decimal | None) -> str:
    return f"{amount or 0:,.0f}원"


def dollars(amount: Decimal | None) -> str:
    return f"${amount or 0:,.2f}"


def open_orders(client: KisClient, today: str) -> list[Any]:
    """Today's unfilled orders: what a mock account offers for listing open orders."""
    return list(client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today, ccld_dvsn=CcldDvsn.UNFILLED).orders)


def main() -> None:
    today = kis_today().strftime("%Y%m%d")  # KIS dates orders in Korean time, wherever this runs
    with running_sandbox("mock") as sandbox:
        print(f"KIS sandbox (mock) at {sandbox.base_url}\n")
        # token_cache=False: the sandbox's tokens are not worth keeping on disk.
        with KisClient("demo-app-key-0001", "demo-app-secret-0001", account=ACCOUNT, base_url=sandbox.base_url, token_cache=False) as client:
            # The client issues a token on its first call (POST /oauth2/tokenP) and reuses it.
            quote = client.domestic_stock.inquire_price(fid_input_iscd="005930").price
            assert quote is not None
            print(f"1. token: {len(sandbox.state.tokens)} issued by the sandbox on the first call, reused from then on")
            print(f"2. quote: 005930 at {won(quote.stck_prpr)} ({quote.prdy_vrss or 0:+,}원, {quote.prdy_ctrt or 0:+.2f}% on the day)")

            power = client.domestic_stock.inquire_psbl_order(pdno="005930", ord_unpr="", ord_dvsn=OrdDvsnPsbl.MARKET, cma_evlu_amt_icld_yn=YesNo.NO, ovrs_icld_yn=YesNo.NO)
            assert power.buying_power is not None
            print(f"3. buying power: {won(power.buying_power.ord_psbl_cash)} cash, {power.buying_power.nrcvb_buy_qty}주 of 005930 at market")

            buy = client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.MARKET, ord_qty="10", ord_unpr="0")
            print(f"4. bought 10 × 005930 at market: order {buy.order.odno} at {buy.order.ord_tmd}")

            balance = client.domestic_stock.inquire_balance()
            print("5. domestic balance:")
            for row in balance.holdings:
                print(f"   {row.pdno} {row.prdt_name}: {row.hldg_qty}주, avg {won(row.pchs_avg_pric)}, value {won(row.evlu_amt)}")
            if balance.summary is not None:
                print(f"   cash after settlement (D+2) {won(balance.summary.prvs_rcdl_excc_amt)}, total {won(balance.summary.tot_evlu_amt)}")

            resting = client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.LIMIT, ord_qty="5", ord_unpr="60000")
            print(f"6. limit buy 5 × 005930 at 60,000원 rests below the price: order {resting.order.odno}")
            for row in open_orders(client, today):
                print(f"   open order listed: {row.odno} {row.prdt_name} {row.sll_buy_dvsn_cd_name} {row.rmn_qty}주 at {won(row.ord_unpr)}")
            try:
                client.domestic_stock.inquire_psbl_rvsecncl()
            except UnsupportedEnvironmentError:
                print("   (inquire_psbl_rvsecncl is real-only: the client refused it on mock, nothing sent)")
            modified = client.domestic_stock.order_rvsecncl(
                krx_fwdg_ord_orgno=resting.order.krx_fwdg_ord_orgno, orgn_odno=resting.order.odno, ord_dvsn=OrdDvsn.LIMIT,
                rvse_cncl_dvsn_cd=RvseCnclDvsnCd.MODIFY, ord_qty="0", ord_unpr="65000", qty_all_ord_yn=YesNo.YES,
            )
            print(f"   modified to 65,000원: order {modified.order.odno}, still open")
            cancelled = client.domestic_stock.order_rvsecncl(
                krx_fwdg_ord_orgno=resting.order.krx_fwdg_ord_orgno, orgn_odno=modified.order.odno, ord_dvsn=OrdDvsn.LIMIT,
                rvse_cncl_dvsn_cd=RvseCnclDvsnCd.CANCEL, ord_qty="0", ord_unpr="0", qty_all_ord_yn=YesNo.YES,
            )
            print(f"   cancelled: order {cancelled.order.odno}; open orders left: {len(open_orders(client, today))}")

            fills = client.domestic_stock.inquire_daily_ccld(period="within_3_months", inqr_strt_dt=today, inqr_end_dt=today, ccld_dvsn=CcldDvsn.FILLED)
            print("7. today's fills (domestic):")
            for row in fills.orders:
                print(f"   {row.odno} {row.sll_buy_dvsn_cd_name} {row.pdno} {row.tot_ccld_qty}주 at {won(row.avg_prvs)} = {won(row.tot_ccld_amt)}")

            overseas = client.overseas_stock.order(side=Side.BUY, ovrs_excg_cd=Exchange.NASD, pdno="AAPL", ord_qty="3", ovrs_ord_unpr="195.00", ord_dvsn=OvrsOrdDvsn.LIMIT)
            print(f"8. limit buy 3 × AAPL on NASD at $195.00 fills at the sandbox's $190: order {overseas.order.odno}")

            us = client.overseas_stock.inquire_balance(ovrs_excg_cd="NASD", tr_crcy_cd=TrCrcyCd.USD)
            print("9. overseas balance (NASD, USD):")
            for holding in us.holdings:
                print(f"   {holding.ovrs_pdno} {holding.ovrs_item_name}: {holding.ovrs_cblc_qty}주, avg {dollars(holding.pchs_avg_pric)}, value {dollars(holding.ovrs_stck_evlu_amt)}")

            present = client.overseas_stock.inquire_present_balance(
                wcrc_frcr_dvsn_cd=WcrcFrcrDvsnCd.FOREIGN, natn_cd=NatnCd.US, tr_mket_cd=TrMketCd.ALL, inqr_dvsn_cd="00"
            )
            print("10. present balance (체결기준):")
            for item in present.holdings:
                print(f"   {item.pdno} on {item.ovrs_excg_cd}: {item.cblc_qty13:.0f}주 at rate {item.bass_exrt}")
            for deposit in present.deposits:
                if deposit.crcy_cd == "USD":
                    print(f"   USD deposit {dollars(deposit.frcr_dncl_amt_2)}")
            if present.totals is not None:
                print(f"   total assets {won(present.totals.tot_asst_amt)}")


if __name__ == "__main__":
    main()
