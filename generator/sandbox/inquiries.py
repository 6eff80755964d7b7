"""Quotations and order inquiries, answered from the sandbox's quotes and account state.

Prices and bars come from ``state.quotes`` (a seeded walk ending at each symbol's price); orders,
fills, open orders, buying power and sellable quantity from the account the request names.
Overseas orders and quotes are dated by the exchange's local date, as KIS dates them (현지시각
기준); the Korean date and time are in the fields KIS names for them (dmst_ord_dt, thco_ord_tmd).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from . import operations
from .errors import Rejection
from .market import Bar
from .operations import Call, Handler, Outputs
from .state import Order, SandboxState

SIDE_CODE = {"sell": "01", "buy": "02"}
SIDE_NAME = {"sell": "매도", "buy": "매수"}
ACTION_CODE = {"new": "00", "modify": "01", "cancel": "02"}
ACTION_NAME = {"new": "", "modify": "정정", "cancel": "취소"}
CHART_LIMIT = 100  # bars per call of the daily charts (KIS: 최대 100건)
MINUTE_LIMIT = 30  # bars per call of the minute chart (KIS: 최대 30건)
RECENT_DAYS = 92  # inquire_daily_ccld's within_3_months period
OVERSEAS_PERIOD = {"0": "D", "1": "W", "2": "M"}  # GUBN


# -- helpers ---------------------------------------------------------------------------------


def _day(call: Call, wire: str) -> date | None:
    text = call.text(wire)
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise Rejection("SBX02001", f"{wire}: {text!r} is not a date (YYYYMMDD)") from None


def _sign(change: Decimal) -> str:
    """KIS's 대비부호: 2 up, 3 unchanged, 5 down."""
    return "2" if change > 0 else "5" if change < 0 else "3"


def _rate(change: Decimal, base: Decimal) -> Decimal:
    return change / base * 100 if base else Decimal(0)


def _domestic_symbol(call: Call, wire: str) -> str:
    return call.text(wire).removeprefix("Q")


def _tick(price: Decimal) -> Decimal:
    """KRX's 호가단위 for a price."""
    for limit, tick in ((2000, 1), (5000, 5), (20000, 10), (50000, 50), (200000, 100), (500000, 500)):
        if price < limit:
            return Decimal(tick)
    return Decimal(1000)


def _code_name(state: SandboxState, table: str, value: str) -> str:
    for code in state.spec.code_table(table).codes:
        if code.value == value:
            return code.label
    return ""


def _listed(call: Call, output_name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows; none, as KIS sends it on these inquiries: one object of blank values, not a list."""
    if not rows:
        output = next(o for o in call.op.response.outputs if o.name == output_name)
        if output.key is not None:
            call.extra_body[output.key] = {field.wire: "" for field in output.fields}
    return rows


# -- domestic quotations ---------------------------------------------------------------------


def _bar_pairs(bars: list[Bar]) -> Iterable[tuple[Bar, Decimal]]:
    """Each bar (newest first) with the close before it."""
    for index, bar in enumerate(bars):
        yield bar, bars[index + 1].close if index + 1 < len(bars) else bar.open


def domestic_price(call: Call) -> Outputs:
    state, symbol, today = call.state, _domestic_symbol(call, "FID_INPUT_ISCD"), call.now.date()
    bar, base = state.quotes.today(symbol, False, today), state.quotes.previous_close(symbol, False, today)
    high, low = state.quotes.extremes(symbol, False, today, today - timedelta(days=365)) or (bar, bar)
    change = bar.close - base
    return {
        "price": {
            "iscd_stat_cls_code": "55",
            "marg_rate": Decimal(20),
            "rprs_mrkt_kor_name": "KOSPI",
            "bstp_kor_isnm": "",
            "stck_prpr": bar.close,
            "prdy_vrss": change,
            "prdy_vrss_sign": _sign(change),
            "prdy_ctrt": _rate(change, base),
            "acml_vol": bar.volume,
            "acml_tr_pbmn": bar.amount,
            "stck_oprc": bar.open,
            "stck_hgpr": bar.high,
            "stck_lwpr": bar.low,
            "stck_mxpr": base * 13 // 10,
            "stck_llam": base * 7 // 10,
            "stck_sdpr": base,
            "wghn_avrg_stck_prc": (bar.high + bar.low + bar.close) / 3,
            "aspr_unit": _tick(bar.close),
            "hts_deal_qty_unit_val": 1,
            "stck_shrn_iscd": symbol,
            "w52_hgpr": high.high,
            "w52_hgpr_date": high.day,
            "w52_hgpr_vrss_prpr_ctrt": _rate(bar.close - high.high, high.high),
            "w52_lwpr": low.low,
            "w52_lwpr_date": low.day,
            "w52_lwpr_vrss_prpr_ctrt": _rate(bar.close - low.low, low.low),
            "d250_hgpr": high.high,
            "d250_hgpr_date": high.day,
            "d250_hgpr_vrss_prpr_rate": _rate(bar.close - high.high, high.high),
            "d250_lwpr": low.low,
            "d250_lwpr_date": low.day,
            "d250_lwpr_vrss_prpr_rate": _rate(bar.close - low.low, low.low),
            "temp_stop_yn": "N",
            "crdt_able_yn": "Y",
            "ssts_yn": "Y",
        }
    }


def domestic_asking_price(call: Call) -> Outputs:
    state, symbol, today = call.state, _domestic_symbol(call, "FID_INPUT_ISCD"), call.now.date()
    bar, base = state.quotes.today(symbol, False, today), state.quotes.previous_close(symbol, False, today)
    tick = _tick(bar.close)
    book: dict[str, Any] = {"aspr_acpt_hour": call.now.time()}
    asks = bids = 0
    for level in range(1, 11):
        ask_qty, bid_qty = 1000 * level + bar.volume % 997, 900 * level + bar.volume % 991
        book.update({f"askp{level}": bar.close + tick * (level - 1), f"bidp{level}": bar.close - tick * level})
        book.update({f"askp_rsqn{level}": ask_qty, f"bidp_rsqn{level}": bid_qty})
        asks, bids = asks + ask_qty, bids + bid_qty
    book.update(total_askp_rsqn=asks, total_bidp_rsqn=bids, ntby_aspr_rsqn=bids - asks, new_mkop_cls_code="20")
    change = bar.close - base
    expected = {
        "antc_mkop_cls_code": "112",
        "stck_prpr": bar.close,
        "stck_oprc": bar.open,
        "stck_hgpr": bar.high,
        "stck_lwpr": bar.low,
        "stck_sdpr": base,
        "antc_cnpr": bar.close,
        "antc_cntg_vrss_sign": _sign(change),
        "antc_cntg_vrss": change,
        "antc_cntg_prdy_ctrt": _rate(change, base),
        "antc_vol": 0,
        "stck_shrn_iscd": symbol,
        "vi_cls_code": "N",
    }
    return {"order_book": book, "expected": expected}


def _chart_summary(state: SandboxState, symbol: str, today: date) -> dict[str, Any]:
    bar, base = state.quotes.today(symbol, False, today), state.quotes.previous_close(symbol, False, today)
    change = bar.close - base
    return {
        "prdy_vrss": change,
        "prdy_vrss_sign": _sign(change),
        "prdy_ctrt": _rate(change, base),
        "stck_prdy_clpr": base,
        "acml_vol": bar.volume,
        "acml_tr_pbmn": bar.amount,
        "hts_kor_isnm": state.name(symbol),
        "stck_prpr": bar.close,
        "stck_shrn_iscd": symbol,
        "stck_oprc": bar.open,
        "stck_hgpr": bar.high,
        "stck_lwpr": bar.low,
        "stck_mxpr": base * 13 // 10,
        "stck_llam": base * 7 // 10,
    }


def domestic_daily_chart(call: Call) -> Outputs:
    state, symbol, today = call.state, _domestic_symbol(call, "FID_INPUT_ISCD"), call.now.date()
    start, end = _day(call, "FID_INPUT_DATE_1"), _day(call, "FID_INPUT_DATE_2") or today
    period = call.text("FID_PERIOD_DIV_CODE") or "D"
    everything = state.quotes.bars(symbol, False, today, end, start, period, CHART_LIMIT + 1)
    rows = [
        {
            "stck_bsop_date": bar.day,
            "stck_clpr": bar.close,
            "stck_oprc": bar.open,
            "stck_hgpr": bar.high,
            "stck_lwpr": bar.low,
            "acml_vol": bar.volume,
            "acml_tr_pbmn": bar.amount,
            "flng_cls_code": "00",
            "prtt_rate": Decimal(0),
            "mod_yn": "N",
            "prdy_vrss_sign": _sign(bar.close - before),
            "prdy_vrss": bar.close - before,
            "revl_issu_reas": "",
        }
        for bar, before in list(_bar_pairs(everything))[:CHART_LIMIT]
    ]
    return {"summary": _chart_summary(state, symbol, today), "bars": rows}


def domestic_minute_chart(call: Call) -> Outputs:
    state, symbol, today = call.state, _domestic_symbol(call, "FID_INPUT_ISCD"), call.now.date()
    text = call.text("FID_INPUT_HOUR_1")
    try:
        until = dtime(int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise Rejection("SBX02001", f"FID_INPUT_HOUR_1: {text!r} is not a time (HHMMSS)") from None
    rows = [
        {
            "stck_bsop_date": bar.day,
            "stck_cntg_hour": bar.time,
            "stck_prpr": bar.close,
            "stck_oprc": bar.open,
            "stck_hgpr": bar.high,
            "stck_lwpr": bar.low,
            "cntg_vol": bar.volume,
            "acml_tr_pbmn": bar.amount,
        }
        for bar in state.quotes.minutes(symbol, today, until, MINUTE_LIMIT)
    ]
    return {"summary": _chart_summary(state, symbol, today), "bars": rows}  # undeclared keys are not sent


# -- overseas quotations ---------------------------------------------------------------------


def _overseas_quote(call: Call) -> tuple[str, str, date]:
    """(the quotation code as sent, the symbol, today on the exchange's clock)."""
    excd = call.text("EXCD")
    exchange = next(e.code for e in call.state.spec.exchanges if excd in (e.quote_code, e.day_quote_code, e.index_quote_code))
    return excd, call.text("SYMB"), call.state.local_time(exchange, call.now).date()


def overseas_price(call: Call) -> Outputs:
    state = call.state
    excd, symbol, today = _overseas_quote(call)
    bar, base = state.quotes.today(symbol, True, today), state.quotes.previous_close(symbol, True, today)
    change = bar.close - base
    return {
        "price": {
            "rsym": f"D{excd}{symbol}",
            "zdiv": 4,
            "base": base,
            "pvol": bar.volume // 2,
            "last": bar.close,
            "sign": _sign(change),
            "diff": abs(change),
            "rate": _rate(change, base),
            "tvol": bar.volume,
            "tamt": bar.amount,
            "ordy": "매수가능",
        }
    }


def overseas_daily_chart(call: Call) -> Outputs:
    state = call.state
    excd, symbol, today = _overseas_quote(call)
    end = _day(call, "BYMD") or today
    period = OVERSEAS_PERIOD.get(call.text("GUBN"), "D")
    everything = state.quotes.bars(symbol, True, today, end, None, period, CHART_LIMIT + 1)
    rows = []
    for bar, before in list(_bar_pairs(everything))[:CHART_LIMIT]:
        change = bar.close - before
        rows.append(
            {
                "xymd": bar.day,
                "clos": bar.close,
                "sign": _sign(change),
                "diff": abs(change),
                "rate": f"{_rate(change, before):+.2f}",  # KIS writes the sign: "+5.61"
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "tvol": bar.volume,
                "tamt": bar.amount,
                "pbid": bar.close,
                "vbid": 100,
                "pask": bar.close,
                "vask": 100,
            }
        )
    return {"summary": {"rsym": f"D{excd}{symbol}", "zdiv": 4, "nrec": len(rows)}, "bars": rows}


# -- domestic trading inquiries --------------------------------------------------------------


def _in_period(order: Order, call: Call) -> bool:
    """within_3_months or before_3_months, as the TR_ID's period says."""
    if order.day is None or call.situation.period is None:
        return True
    recent = order.day >= call.now.date() - timedelta(days=RECENT_DAYS)
    return recent == (call.situation.period != "before_3_months")


def _orders(call: Call, overseas: bool, keep: Callable[[Order], bool]) -> list[Order]:
    with call.state.lock:
        found = [o for o in call.account().orders.values() if (o.exchange is not None) == overseas and keep(o)]
    return sorted(found, key=lambda o: (o.day or date.min, o.odno))


def _side_matches(order: Order, code: str) -> bool:
    return code in ("", "00") or SIDE_CODE[order.side] == code


def _fill_matches(order: Order, code: str) -> bool:
    """00 all, 01 filled, 02 unfilled (still open)."""
    return code in ("", "00") or (code == "01" and order.filled_qty > 0) or (code == "02" and order.is_open)


def domestic_daily_ccld(call: Call) -> Outputs:
    state = call.state
    start, end = _day(call, "INQR_STRT_DT") or date.min, _day(call, "INQR_END_DT") or date.max
    pdno, odno, brno = call.text("PDNO"), call.text("ODNO"), call.text("ORD_GNO_BRNO")

    def keep(o: Order) -> bool:
        return (
            o.day is not None
            and start <= o.day <= end
            and _in_period(o, call)
            and _side_matches(o, call.text("SLL_BUY_DVSN_CD"))
            and _fill_matches(o, call.text("CCLD_DVSN"))
            and (not pdno or o.symbol == pdno.removeprefix("Q"))
            and (not odno or o.odno == odno.zfill(10))
            and (not brno or o.orgno == brno)
        )

    orders = _orders(call, False, keep)
    if call.text("INQR_DVSN") != "01":
        orders.reverse()  # 00: newest first
    rows = [
        {
            "ord_dt": o.day,
            "ord_gno_brno": o.orgno,
            "odno": o.odno,
            "orgn_odno": o.orgn_odno,
            "ord_dvsn_name": _code_name(state, "ord_dvsn", o.ord_dvsn),
            "sll_buy_dvsn_cd": SIDE_CODE[o.side],
            "sll_buy_dvsn_cd_name": ACTION_NAME[o.action] + SIDE_NAME[o.side],
            "pdno": o.symbol,
            "prdt_name": state.name(o.symbol),
            "ord_qty": o.qty,
            "ord_unpr": o.price,
            "ord_tmd": o.time,
            "tot_ccld_qty": o.filled_qty,
            "avg_prvs": o.fill_price or 0,
            "cncl_yn": "Y" if o.action == "cancel" else "",
            "tot_ccld_amt": o.fill_amount,
            "ord_dvsn_cd": o.ord_dvsn,
            "cncl_cfrm_qty": o.qty if o.action == "cancel" else 0,
            "rmn_qty": o.open_qty,
            "rjct_qty": 0,
            "ccld_cndt_name": "없음",
            "excg_dvsn_cd": "02",
            "ord_orgno": o.orgno,
            "excg_id_dvsn_Cd": "KRX",
        }
        for o in orders
    ]
    filled = [o for o in orders if o.filled_qty]
    qty = sum(o.filled_qty for o in filled)
    amount = sum((o.fill_amount for o in filled), Decimal(0))
    totals = {
        "tot_ord_qty": sum(o.qty for o in orders),
        "tot_ccld_qty": qty,
        "tot_ccld_amt": amount,
        "prsm_tlex_smtl": 0,
        "pchs_avg_pric": amount / qty if qty else Decimal(0),
    }
    return {"orders": rows, "totals": totals}


def domestic_psbl_order(call: Call) -> Outputs:
    state = call.state
    symbol = call.text("PDNO").removeprefix("Q")
    with state.lock:
        cash = state.buying_power(call.account(), "KRW")
    limit = Decimal(call.text("ORD_UNPR") or "0")
    price = limit if limit and call.text("ORD_DVSN") != "01" else state.price(symbol, False) if symbol else Decimal(0)
    qty = int(cash // price) if price else 0
    return {
        "buying_power": {
            "ord_psbl_cash": cash,
            "ord_psbl_sbst": 0,
            "ruse_psbl_amt": 0,
            "fund_rpch_chgs": 0,
            "psbl_qty_calc_unpr": price,
            "nrcvb_buy_amt": qty * price if price else cash,
            "nrcvb_buy_qty": qty,
            "max_buy_amt": qty * price if price else cash,
            "max_buy_qty": qty,
            "cma_evlu_amt": 0,
            "ovrs_re_use_amt_wcrc": 0,
            "ord_psbl_frcr_amt_wcrc": 0,
        }
    }


def domestic_psbl_rvsecncl(call: Call) -> Outputs:
    state = call.state
    orders = _orders(call, False, lambda o: o.is_open)
    if call.text("INQR_DVSN_1") == "1":
        orders.sort(key=lambda o: (o.symbol, o.odno))  # 1: by stock
    rows = [
        {
            "ord_gno_brno": o.orgno,
            "odno": o.odno,
            "orgn_odno": o.orgn_odno,
            "ord_dvsn_name": _code_name(state, "ord_dvsn", o.ord_dvsn),
            "pdno": o.symbol,
            "prdt_name": state.name(o.symbol),
            "rvse_cncl_dvsn_name": ACTION_NAME[o.action],
            "ord_qty": o.qty,
            "ord_unpr": o.price,
            "ord_tmd": o.time,
            "tot_ccld_qty": o.filled_qty,
            "tot_ccld_amt": o.fill_amount,
            "psbl_qty": o.open_qty,
            "sll_buy_dvsn_cd": SIDE_CODE[o.side],
            "ord_dvsn_cd": o.ord_dvsn,
            "excg_dvsn_cd": "02",
            "excg_id_dvsn_cd": "KRX",
            "excg_id_dvsn_name": "한국거래소",
            "stpm_efct_occr_yn": "N",
        }
        for o in orders
    ]
    return {"orders": rows}


def domestic_psbl_sell(call: Call) -> Outputs:
    state, symbol = call.state, call.text("PDNO").removeprefix("Q")
    with state.lock:
        account = call.account()
        holding = account.holdings.get((None, symbol))
        orderable = state.orderable(account, None, symbol)
        price = state.price(symbol, False)
        qty = holding.qty if holding else 0
        cost = holding.cost if holding else Decimal(0)
        row = {
            "pdno": symbol,
            "prdt_name": state.name(symbol),
            "buy_qty": holding.bought_today if holding else 0,
            "sll_qty": holding.sold_today if holding else 0,
            "cblc_qty": qty,
            "nsvg_qty": qty,
            "ord_psbl_qty": orderable,
            "pchs_avg_pric": holding.average if holding else Decimal(0),
            "pchs_amt": cost,
            "now_pric": price,
            "evlu_amt": price * qty,
            "evlu_pfls_amt": price * qty - cost,
            "evlu_pfls_rt": _rate(price * qty - cost, cost),
        }
    return {"sellable": row}


# -- overseas trading ------------------------------------------------------------------------


def overseas_modify_cancel(call: Call) -> Outputs:
    cancel = call.text("RVSE_CNCL_DVSN_CD") == "02"
    price = Decimal(call.text("OVRS_ORD_UNPR") or "0")
    order = call.state.modify_or_cancel(
        call.account(), None, call.text("ORGN_ODNO"), cancel, int(call.text("ORD_QTY")), price, exchange=call.text("OVRS_EXCG_CD"), symbol=call.text("PDNO"), app_key=call.app_key
    )
    return {"order": {"KRX_FWDG_ORD_ORGNO": order.orgno, "ODNO": order.odno, "ORD_TMD": order.kst_time}}


def _exchange_matches(state: SandboxState, order: Order, code: str) -> bool:
    """"" and "%" are every exchange; NASD is every US exchange (KIS's note), else that one."""
    if code in ("", "%"):
        return True
    if code == "NASD":
        return state.spec.exchange_market(order.exchange or "") == "US"
    return order.exchange == code


def _overseas_row(state: SandboxState, o: Order) -> dict[str, Any]:
    market = state.spec.exchange_market(o.exchange or "")
    country = next((m for m in state.spec.markets if m.code == market), None)
    exchange = next((e for e in state.spec.exchanges if e.code == o.exchange), None)
    return {
        "ord_dt": o.day,
        "ord_gno_brno": o.orgno,
        "odno": o.odno,
        "orgn_odno": o.orgn_odno,
        "pdno": o.symbol,
        "prdt_name": state.name(o.symbol),
        "sll_buy_dvsn_cd": SIDE_CODE[o.side],
        "sll_buy_dvsn_cd_name": SIDE_NAME[o.side],
        "ft_ord_qty": o.qty,
        "ft_ccld_qty": o.filled_qty,
        "nccs_qty": o.open_qty,
        "ft_ord_unpr3": o.price,
        "ft_ccld_unpr3": o.fill_price or Decimal(0),
        "ft_ccld_amt3": o.fill_amount,
        "ord_tmd": o.time,
        "tr_mket_name": exchange.label if exchange else "",
        "tr_crcy_cd": state.currency_of(o.exchange),
        "ovrs_excg_cd": o.exchange,
        "prcs_stat_name": "완료" if not o.is_open else "접수",
        "loan_type_cd": "10",
        "usa_amk_exts_rqst_yn": "N",
        "natn_cd": country.natn_cd if country else "",
        "natn_kor_name": country.label if country else "",
    }


def overseas_nccs(call: Call) -> Outputs:
    state, code = call.state, call.text("OVRS_EXCG_CD")
    orders = _orders(call, True, lambda o: o.is_open and _exchange_matches(state, o, code))
    if call.text("SORT_SQN") != "DS":
        orders.reverse()
    rows: list[dict[str, Any]] = []
    for o in orders:
        row = _overseas_row(state, o)
        row.update(rvse_cncl_dvsn_cd=ACTION_CODE[o.action], rvse_cncl_dvsn_cd_name=ACTION_NAME[o.action])
        rows.append(row)
    return {"orders": _listed(call, "orders", rows)}


def overseas_ccnl(call: Call) -> Outputs:
    state = call.state
    start, end = _day(call, "ORD_STRT_DT") or date.min, _day(call, "ORD_END_DT") or date.max
    pdno, code = call.text("PDNO"), call.text("OVRS_EXCG_CD")

    def keep(o: Order) -> bool:
        return (
            o.day is not None
            and start <= o.day <= end
            and (pdno in ("", "%") or o.symbol == pdno)
            and _exchange_matches(state, o, code)
            and _side_matches(o, call.text("SLL_BUY_DVSN"))
            and _fill_matches(o, call.text("CCLD_NCCS_DVSN"))
        )

    orders = _orders(call, True, keep)
    if call.text("SORT_SQN") == "AS":
        orders.reverse()
    rows: list[dict[str, Any]] = []
    for o in orders:
        row = _overseas_row(state, o)
        row.update(
            rvse_cncl_dvsn=ACTION_CODE[o.action],
            rvse_cncl_dvsn_name=ACTION_NAME[o.action],
            tr_natn=row.pop("natn_cd"),
            tr_natn_name=row.pop("natn_kor_name"),
            dmst_ord_dt=o.kst_day,
            thco_ord_tmd=o.kst_time,
            mdia_dvsn_name="OpenAPI",
        )
        rows.append(row)
    return {"orders": _listed(call, "orders", rows)}


def overseas_psamount(call: Call) -> Outputs:
    state = call.state
    exchange, symbol = call.text("OVRS_EXCG_CD"), call.text("ITEM_CD")
    currency = state.currency_of(exchange)
    with state.lock:
        cash = state.buying_power(call.account(), currency)
    limit = Decimal(call.text("OVRS_ORD_UNPR") or "0")
    price = limit or state.price(symbol, True)
    qty = int(cash // price) if price else 0
    return {
        "buying_power": {
            "tr_crcy_cd": currency,
            "ord_psbl_frcr_amt": cash,
            "sll_ruse_psbl_amt": Decimal(0),
            "ovrs_ord_psbl_amt": cash,
            "max_ord_psbl_qty": qty,
            "echm_af_ord_psbl_amt": Decimal(0),
            "echm_af_ord_psbl_qty": Decimal(0),
            "ord_psbl_qty": qty,
            "exrt": state.rate(currency),
            "frcr_ord_psbl_amt1": cash,
            "ovrs_max_ord_psbl_qty": qty,
        }
    }


HANDLERS: Mapping[str, Handler] = {
    **operations.HANDLERS,
    "domestic_stock.inquire_price": domestic_price,
    "domestic_stock.inquire_asking_price_exp_ccn": domestic_asking_price,
    "domestic_stock.inquire_daily_itemchartprice": domestic_daily_chart,
    "domestic_stock.inquire_time_itemchartprice": domestic_minute_chart,
    "domestic_stock.inquire_daily_ccld": domestic_daily_ccld,
    "domestic_stock.inquire_psbl_order": domestic_psbl_order,
    "domestic_stock.inquire_psbl_rvsecncl": domestic_psbl_rvsecncl,
    "domestic_stock.inquire_psbl_sell": domestic_psbl_sell,
    "overseas_price.price": overseas_price,
    "overseas_price.dailyprice": overseas_daily_chart,
    "overseas_stock.order_rvsecncl": overseas_modify_cancel,
    "overseas_stock.inquire_nccs": overseas_nccs,
    "overseas_stock.inquire_ccnl": overseas_ccnl,
    "overseas_stock.inquire_psamount": overseas_psamount,
}
