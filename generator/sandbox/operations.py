"""State logic for the operations that have it; any other operation is answered from its
declarations alone (see responses.render_body).

A handler gets the validated call and returns its outputs by output name (rows or an object of
plain values); responses.py turns them into KIS's formats and fills every other declared field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model import Operation
from ..rules import Situation
from .errors import Rejection
from .responses import OutputValue
from .state import Account, Holding, SandboxState, hash_body


@dataclass(slots=True)
class Call:
    state: SandboxState
    op: Operation
    values: dict[str, Any]  # the request, defaults applied
    situation: Situation
    raw: bytes
    app_key: str | None
    now: datetime
    extra_body: dict[str, Any] = field(default_factory=dict)

    def text(self, wire: str) -> str:
        value = self.values.get(wire, "")
        return value if isinstance(value, str) else ""

    def account(self) -> Account:
        return self.state.account(self.text("CANO"), self.text("ACNT_PRDT_CD"))


Outputs = dict[str, OutputValue]
Handler = Callable[[Call], Outputs]


# -- auth ------------------------------------------------------------------------------------


def token(call: Call) -> Outputs:
    call.state.check_credentials(call.text("appkey"), call.text("appsecret"))
    issued = call.state.issue_token(call.text("appkey"))
    remaining = max(0, int(issued.expires_at - call.state.now()))
    expires = datetime.fromtimestamp(issued.expires_at, call.now.tzinfo)
    return {"token": {"access_token": issued.value, "token_type": "Bearer", "expires_in": remaining, "access_token_token_expired": expires}}


def revoke(call: Call) -> Outputs:
    call.state.check_credentials(call.text("appkey"), call.text("appsecret"))
    if not call.state.revoke(call.text("token"), call.text("appkey")):
        raise Rejection("EGW00121")
    return {"result": {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}}


def approval(call: Call) -> Outputs:
    call.state.check_credentials(call.text("appkey"), call.text("secretkey"))
    return {"approval": {"approval_key": call.state.issue_approval_key(call.text("appkey"))}}


def hashkey(call: Call) -> Outputs:
    call.extra_body["BODY"] = call.values  # KIS echoes the body; the spec declares only HASH
    return {"hash": {"HASH": hash_body(call.raw)}}


# -- orders ----------------------------------------------------------------------------------


def _order_output(order_odno: str, orgno: str, stamp: str) -> Outputs:
    return {"order": {"KRX_FWDG_ORD_ORGNO": orgno, "ODNO": order_odno, "ORD_TMD": stamp}}


def domestic_order(call: Call) -> Outputs:
    price = Decimal(call.text("ORD_UNPR") or "0")
    side = call.situation.side or "buy"
    order = call.state.place(call.account(), side, call.text("PDNO"), None, int(call.text("ORD_QTY")), price or None, call.text("ORD_DVSN"), app_key=call.app_key)
    return _order_output(order.odno, order.orgno, order.kst_time)


def domestic_modify_cancel(call: Call) -> Outputs:
    cancel = call.text("RVSE_CNCL_DVSN_CD") == "02"
    qty = None if call.text("QTY_ALL_ORD_YN") == "Y" else int(call.text("ORD_QTY"))
    price = Decimal(call.text("ORD_UNPR") or "0")
    order = call.state.modify_or_cancel(call.account(), call.text("KRX_FWDG_ORD_ORGNO"), call.text("ORGN_ODNO"), cancel, qty, price, app_key=call.app_key)
    return _order_output(order.odno, order.orgno, order.kst_time)


def overseas_order(call: Call) -> Outputs:
    price = Decimal(call.text("OVRS_ORD_UNPR") or "0")
    side = call.situation.side or "buy"
    order = call.state.place(call.account(), side, call.text("PDNO"), call.text("OVRS_EXCG_CD"), int(call.text("ORD_QTY")), price or None, call.text("ORD_DVSN"), app_key=call.app_key)
    return _order_output(order.odno, order.orgno, order.kst_time)


# -- balances --------------------------------------------------------------------------------


def _rate(part: Decimal, whole: Decimal) -> Decimal:
    return part / whole * 100 if whole else Decimal(0)


def domestic_balance(call: Call) -> Outputs:
    state, account = call.state, call.account()
    rows: list[dict[str, Any]] = []
    totals = {"pchs": Decimal(0), "evlu": Decimal(0)}
    with state.lock:
        holdings = sorted((h for h in account.holdings.values() if h.exchange is None and (h.qty or h.bought_today or h.sold_today)), key=lambda h: h.symbol)
        for h in holdings:
            price = state.price(h.symbol, False)
            evlu = price * h.qty
            totals["pchs"] += h.cost
            totals["evlu"] += evlu
            rows.append(
                {
                    "pdno": h.symbol,
                    "prdt_name": state.name(h.symbol),
                    "trad_dvsn_name": "현금",
                    "thdt_buyqty": h.bought_today,
                    "thdt_sll_qty": h.sold_today,
                    "hldg_qty": h.qty,
                    "ord_psbl_qty": state.orderable(account, None, h.symbol),
                    "pchs_avg_pric": h.average,
                    "pchs_amt": h.cost,
                    "prpr": price,
                    "evlu_amt": evlu,
                    "evlu_pfls_amt": evlu - h.cost,
                    "evlu_pfls_rt": _rate(evlu - h.cost, h.cost),
                    "loan_dt": "",
                    "expd_dt": "",
                    "sbst_pric": price * 7 / 10,
                    "fltt_rt": Decimal(0),
                }
            )
        cash = account.cash.get("KRW", Decimal(0))
        start = account.day_start_cash.get("KRW", Decimal(0))
        bought = sum((h.buy_amount_today for h in holdings), Decimal(0))
        sold = sum((h.sell_amount_today for h in holdings), Decimal(0))
    total = cash + totals["evlu"]
    summary = {
        "dnca_tot_amt": start,  # today's deposit; trades settle on D+2
        "nxdy_excc_amt": cash,
        "prvs_rcdl_excc_amt": cash,
        "thdt_buy_amt": bought,
        "thdt_sll_amt": sold,
        "scts_evlu_amt": totals["evlu"],
        "tot_evlu_amt": total,
        "nass_amt": total,
        "fncg_gld_auto_rdpt_yn": "",
        "pchs_amt_smtl_amt": totals["pchs"],
        "evlu_amt_smtl_amt": totals["evlu"],
        "evlu_pfls_smtl_amt": totals["evlu"] - totals["pchs"],
        "bfdy_tot_asst_evlu_amt": start,
        "asst_icdc_amt": total - start,
    }
    return {"holdings": rows, "summary": summary}


def _overseas_holdings(call: Call, keep: Callable[[Holding], bool]) -> list[Holding]:
    account = call.account()
    return sorted((h for h in account.holdings.values() if h.exchange is not None and h.qty and keep(h)), key=lambda h: (h.exchange or "", h.symbol))


def overseas_balance(call: Call) -> Outputs:
    state = call.state
    exchange, currency = call.text("OVRS_EXCG_CD"), call.text("TR_CRCY_CD")
    us = {e.code for e in state.spec.exchanges if e.market == "US"}

    def keep(h: Holding) -> bool:
        # On a real account NASD asks for every US exchange (the spec's note on NASD).
        same = h.exchange == exchange or (state.env == "real" and exchange == "NASD" and h.exchange in us)
        return same and h.currency == currency

    rows: list[dict[str, Any]] = []
    pchs = evlu = realized = Decimal(0)
    with state.lock:
        for h in _overseas_holdings(call, keep):
            price = state.price(h.symbol, True)
            value = price * h.qty
            pchs, evlu, realized = pchs + h.cost, evlu + value, realized + h.realized
            rows.append(
                {
                    "cano": call.text("CANO"),
                    "acnt_prdt_cd": call.text("ACNT_PRDT_CD"),
                    "prdt_type_cd": "512",
                    "ovrs_pdno": h.symbol,
                    "ovrs_item_name": state.name(h.symbol),
                    "frcr_evlu_pfls_amt": value - h.cost,
                    "evlu_pfls_rt": _rate(value - h.cost, h.cost),
                    "pchs_avg_pric": h.average,
                    "ovrs_cblc_qty": h.qty,
                    "ord_psbl_qty": state.orderable(call.account(), h.exchange, h.symbol),
                    "frcr_pchs_amt1": h.cost,
                    "ovrs_stck_evlu_amt": value,
                    "now_pric2": price,
                    "tr_crcy_cd": h.currency,
                    "ovrs_excg_cd": h.exchange,
                    "loan_type_cd": "10",
                    "loan_dt": "",
                    "expd_dt": "",
                }
            )
    summary = {
        "frcr_pchs_amt1": pchs,
        "ovrs_rlzt_pfls_amt": realized,
        "ovrs_tot_pfls": evlu - pchs,
        "rlzt_erng_rt": Decimal(0),
        "tot_evlu_pfls_amt": evlu - pchs,
        "tot_pftrt": _rate(evlu - pchs, pchs),
        "frcr_buy_amt_smtl1": pchs,
        "ovrs_rlzt_pfls_amt2": realized,
        "frcr_buy_amt_smtl2": pchs,
    }
    return {"holdings": rows, "summary": summary}


# TR_MKET_CD by country for the US (the only country whose market codes name exchanges here).
US_MARKET_CODES = {"01": "NASD", "02": "NYSE", "05": "AMEX"}


def present_balance(call: Call) -> Outputs:
    state = call.state
    natn, market_code = call.text("NATN_CD"), call.text("TR_MKET_CD")
    market_of = {e.code: e.market for e in state.spec.exchanges}
    natn_of = {m.code: m.natn_cd for m in state.spec.markets}
    names = {m.code: m.label for m in state.spec.markets}
    exchange_names = {e.code: e.label for e in state.spec.exchanges}

    def keep(h: Holding) -> bool:
        market = market_of.get(h.exchange or "", "")
        if natn != "000" and natn_of.get(market) != natn:
            return False
        return not (natn == "840" and market_code in US_MARKET_CODES and US_MARKET_CODES[market_code] != h.exchange)

    rows: list[dict[str, Any]] = []
    pchs_won = evlu_won = Decimal(0)
    with state.lock:
        for h in _overseas_holdings(call, keep):
            price, rate = state.price(h.symbol, True), state.rate(h.currency)
            value = price * h.qty
            pchs_won, evlu_won = pchs_won + h.cost * rate, evlu_won + value * rate
            rows.append(
                {
                    "prdt_name": state.name(h.symbol),
                    "cblc_qty13": Decimal(h.qty),
                    "thdt_buy_ccld_qty1": Decimal(h.bought_today),
                    "thdt_sll_ccld_qty1": Decimal(h.sold_today),
                    "ccld_qty_smtl1": Decimal(h.qty),
                    "ord_psbl_qty1": Decimal(state.orderable(call.account(), h.exchange, h.symbol)),
                    "frcr_pchs_amt": h.cost,
                    "frcr_evlu_amt2": value,
                    "evlu_pfls_amt2": value - h.cost,
                    "evlu_pfls_rt1": _rate(value - h.cost, h.cost),
                    "pdno": h.symbol,
                    "bass_exrt": rate,
                    "buy_crcy_cd": h.currency,
                    "ovrs_now_pric1": price,
                    "avg_unpr3": h.average,
                    "tr_mket_name": exchange_names.get(h.exchange or "", ""),
                    "natn_kor_name": names.get(market_of.get(h.exchange or "", ""), ""),
                    "pchs_rmnd_wcrc_amt": h.cost * rate,
                    "thdt_buy_ccld_frcr_amt": h.buy_amount_today,
                    "thdt_sll_ccld_frcr_amt": h.sell_amount_today,
                    "unit_amt": 1,
                    "std_pdno": "",
                    "prdt_type_cd": "512",
                    "scts_dvsn_name": "현금",
                    "loan_rmnd": 0,
                    "loan_dt": "",
                    "loan_expd_dt": "",
                    "ovrs_excg_cd": h.exchange,
                    "item_lnkg_excg_cd": (h.exchange or "")[:3],
                }
            )
        account = call.account()
        deposits = []
        foreign_won = Decimal(0)
        for currency, amount in sorted(account.cash.items()):
            if currency == "KRW":
                continue
            rate = state.rate(currency)
            foreign_won += amount * rate
            bought = sum((h.buy_amount_today for h in account.holdings.values() if h.currency == currency), Decimal(0))
            sold = sum((h.sell_amount_today for h in account.holdings.values() if h.currency == currency), Decimal(0))
            deposits.append(
                {
                    "crcy_cd": currency,
                    "crcy_cd_name": currency,
                    "frcr_buy_amt_smtl": bought,
                    "frcr_sll_amt_smtl": sold,
                    "frcr_dncl_amt_2": amount,
                    "frst_bltn_exrt": rate,
                    "frcr_drwg_psbl_amt_1": amount,
                    "frcr_evlu_amt2": amount * rate,
                    "acpl_cstd_crcy_yn": "N",
                    "nxdy_frcr_drwg_psbl_amt": amount,
                }
            )
        won = account.cash.get("KRW", Decimal(0))
    totals = {
        "pchs_amt_smtl": pchs_won,
        "evlu_amt_smtl": evlu_won,
        "evlu_pfls_amt_smtl": evlu_won - pchs_won,
        "dncl_amt": won,
        "tot_dncl_amt": won + foreign_won,
        "wdrw_psbl_tot_amt": won,
        "frcr_evlu_tota": foreign_won + evlu_won,
        "evlu_erng_rt1": _rate(evlu_won - pchs_won, pchs_won),
        "pchs_amt_smtl_amt": pchs_won,
        "evlu_amt_smtl_amt": evlu_won,
        "tot_evlu_pfls_amt": evlu_won - pchs_won,
        "tot_asst_amt": won + foreign_won + evlu_won,
        "frcr_use_psbl_amt": foreign_won,
        "tot_frcr_cblc_smtl": foreign_won,
    }
    return {"holdings": rows, "deposits": deposits, "totals": totals}


HANDLERS: Mapping[str, Handler] = {
    "auth.token": token,
    "auth.revoke": revoke,
    "auth.approval": approval,
    "auth.hashkey": hashkey,
    "domestic_stock.order_cash": domestic_order,
    "domestic_stock.order_rvsecncl": domestic_modify_cancel,
    "domestic_stock.inquire_balance": domestic_balance,
    "overseas_stock.order": overseas_order,
    "overseas_stock.inquire_balance": overseas_balance,
    "overseas_stock.inquire_present_balance": present_balance,
}
