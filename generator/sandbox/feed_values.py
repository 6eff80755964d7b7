"""The values of the sandbox's real-time records, by KIS's field names, from the sandbox's state:
ticks and order books from a symbol's price and today's bar of its walk, execution notices from
the orders placed through the REST side. A TR takes the names it declares; a field no value is
known for gets a neutral value of its kind, so a TR added to the spec streams with no new code.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from ..model import Exchange, RealtimeField, RealtimeTr, Spec
from .state import OrderEvent, SandboxState

# KRX's price steps (호가단위, from 2023-01-25): below each bound, the step.
KRX_STEPS = ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500))
BOOK_LEVELS = 10
# 해외종목구분 of an overseas notice (H0GSCNI0 ODER_COND), by the order's exchange.
OVERSEAS_KINDS = {"NASD": "6", "NYSE": "7", "AMEX": "8", "SEHK": "4", "SHAA": "A", "SZAA": "B", "TKSE": "D", "HASE": "E", "VNSE": "F"}
# Implied decimals of an overseas notice's price (H0GSCNI0 CNTG_UNPR), by market.
NOTICE_DECIMALS = {"US": 4, "JP": 1, "CN": 3, "HK": 3, "VN": 0}


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a quote registration names: a domestic code, or an overseas symbol on an exchange."""

    code: str
    exchange: Exchange | None  # None: domestic


def symbol_of(spec: Spec, key: str) -> Symbol:
    """KIS's overseas keys are D or R, the exchange's quotation code, then the symbol
    (DNASAAPL); anything else is a domestic code."""
    if key[:1] in ("D", "R") and len(key) > 4:
        for exchange in spec.exchanges:
            if key[1:4] in (exchange.quote_code, exchange.day_quote_code):
                return Symbol(key[4:], exchange)
    return Symbol(key, None)


def neutral(field: RealtimeField, now: datetime) -> str:
    if field.kind == "int":
        return "0"
    if field.kind == "decimal":
        return "0.00"
    if field.kind == "date":
        return now.strftime("%Y%m%d")
    if field.kind == "time":
        return now.strftime("%H%M%S")
    if field.kind == "flag":
        return "N"
    return ""


def record(tr: RealtimeTr, key: str, values: Mapping[str, str], now: datetime) -> list[str]:
    """The record's values in the TR's order; its key field is the key it is registered for."""
    return [key if field.wire == tr.key_field else values.get(field.wire, neutral(field, now)) for field in tr.fields]


def _sign(change: Decimal) -> str:
    return "2" if change > 0 else "5" if change < 0 else "3"


def _step(price: Decimal) -> Decimal:
    return Decimal(next((step for bound, step in KRX_STEPS if price < bound), 1000))


def _places(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


class Ticker:
    """Each symbol's running totals, so that consecutive ticks add up (volumes only grow)."""

    def __init__(self, state: SandboxState, seed: int) -> None:
        self.state = state
        self.rng = random.Random(f"{seed}:feed")
        self.volume: dict[str, int] = {}
        self.count: dict[str, int] = {}

    def quote(self, symbol: Symbol, now: datetime, volume: int | None = None) -> dict[str, str]:
        """The fields of a tick and an order book of ``symbol`` (domestic or overseas) now; one
        more trade of ``volume`` (seeded when not given)."""
        overseas = symbol.exchange is not None
        state = self.state
        price = state.price(symbol.code, overseas)
        today = state.quotes.today(symbol.code, overseas, now.date())
        previous = state.quotes.previous_close(symbol.code, overseas, now.date())
        traded = volume if volume is not None else self.rng.randint(1, 500)
        ident = f"{symbol.exchange.code if symbol.exchange else 'KRX'}:{symbol.code}"
        total = self.volume.get(ident, 0) + traded
        self.volume[ident] = total
        trades = self.count.get(ident, 0) + 1
        self.count[ident] = trades
        change = price - previous
        rate = _places(change / previous * 100, 2) if previous else "0.00"
        high, low = max(today.high, price), min(today.low, price)
        if overseas:
            return self._overseas(symbol, price, today.open, high, low, change, rate, traded, total, now)
        step = _step(price)
        values = {
            "STCK_CNTG_HOUR": now.strftime("%H%M%S"), "BSOP_HOUR": now.strftime("%H%M%S"), "STCK_PRPR": str(price), "PRDY_VRSS_SIGN": _sign(change),
            "PRDY_VRSS": str(change), "PRDY_CTRT": rate, "WGHN_AVRG_STCK_PRC": _places(price, 2), "STCK_OPRC": str(today.open),
            "STCK_HGPR": str(high), "STCK_LWPR": str(low), "CNTG_VOL": str(traded), "ACML_VOL": str(total), "ACML_TR_PBMN": str(total * price),
            "SELN_CNTG_CSNU": str(trades // 2), "SHNU_CNTG_CSNU": str(trades - trades // 2), "NTBY_CNTG_CSNU": str(trades - 2 * (trades // 2)),
            "CTTR": "100.00", "SELN_CNTG_SMTN": str(total // 2), "SHNU_CNTG_SMTN": str(total - total // 2), "CCLD_DVSN": "1", "SHNU_RATE": "50.00",
            "PRDY_VOL_VRSS_ACML_VOL_RATE": "0.00", "OPRC_HOUR": "090000", "OPRC_VRSS_PRPR_SIGN": _sign(price - today.open),
            "OPRC_VRSS_PRPR": str(price - today.open), "HGPR_HOUR": "090000", "HGPR_VRSS_PRPR_SIGN": _sign(price - high), "HGPR_VRSS_PRPR": str(price - high),
            "LWPR_HOUR": "090000", "LWPR_VRSS_PRPR_SIGN": _sign(price - low), "LWPR_VRSS_PRPR": str(price - low), "BSOP_DATE": now.strftime("%Y%m%d"),
            "NEW_MKOP_CLS_CODE": "20", "TRHT_YN": "N", "HOUR_CLS_CODE": "0", "VI_STND_PRC": str(previous), "ANTC_CNPR": "0",
        }
        asks = [price + step * level for level in range(1, BOOK_LEVELS + 1)]
        bids = [price - step * (level - 1) for level in range(1, BOOK_LEVELS + 1)]
        for level in range(1, BOOK_LEVELS + 1):
            values[f"ASKP{level}"] = str(asks[level - 1])
            values[f"BIDP{level}"] = str(max(bids[level - 1], step))
            values[f"ASKP_RSQN{level}"] = str(self.rng.randint(100, 10_000))
            values[f"BIDP_RSQN{level}"] = str(self.rng.randint(100, 10_000))
        values["TOTAL_ASKP_RSQN"] = str(sum(int(values[f"ASKP_RSQN{level}"]) for level in range(1, BOOK_LEVELS + 1)))
        values["TOTAL_BIDP_RSQN"] = str(sum(int(values[f"BIDP_RSQN{level}"]) for level in range(1, BOOK_LEVELS + 1)))
        return values

    def _overseas(self, symbol: Symbol, price: Decimal, open_: Decimal, high: Decimal, low: Decimal, change: Decimal, rate: str, traded: int, total: int, now: datetime) -> dict[str, str]:
        assert symbol.exchange is not None
        local = self.state.local_time(symbol.exchange.code, now)
        step = Decimal("0.01")
        values = {
            "SYMB": symbol.code, "ZDIV": "4", "TYMD": local.strftime("%Y%m%d"), "XYMD": local.strftime("%Y%m%d"), "XHMS": local.strftime("%H%M%S"),
            "KYMD": now.strftime("%Y%m%d"), "KHMS": now.strftime("%H%M%S"), "OPEN": _places(open_, 4), "HIGH": _places(high, 4), "LOW": _places(low, 4),
            "LAST": _places(price, 4), "SIGN": _sign(change), "DIFF": _places(change, 4), "RATE": rate, "PBID": _places(price - step, 4),
            "PASK": _places(price + step, 4), "VBID": str(self.rng.randint(1, 900)), "VASK": str(self.rng.randint(1, 900)), "EVOL": str(traded),
            "TVOL": str(total), "TAMT": str(int(total * price)), "BIVL": str(total // 2), "ASVL": str(total - total // 2), "STRN": "100.00", "MTYP": "1",
        }
        bid_total = ask_total = 0
        for level in range(1, BOOK_LEVELS + 1):
            bid, ask = self.rng.randint(1, 900), self.rng.randint(1, 900)
            bid_total, ask_total = bid_total + bid, ask_total + ask
            values.update({f"PBID{level}": _places(price - step * level, 4), f"PASK{level}": _places(price + step * level, 4), f"VBID{level}": str(bid), f"VASK{level}": str(ask)})
            values.update({f"DBID{level}": "0", f"DASK{level}": "0"})
        values.update({"BVOL": str(bid_total), "AVOL": str(ask_total), "BDVL": "0", "ADVL": "0"})
        return values


def notice(state: SandboxState, event: OrderEvent, now: datetime) -> dict[str, str]:
    """The fields of an execution notice (domestic or overseas) for an order event."""
    order, account = event.order, event.account
    filled = event.kind == "filled"
    side = "01" if order.side == "sell" else "02"
    correction = {"modified": "1", "cancelled": "2"}.get(event.kind, "0")
    values = {
        "ACNT_NO": account.cano + account.product, "ODER_NO": order.odno, "OODER_NO": order.orgn_odno, "SELN_BYOV_CLS": side, "RCTF_CLS": correction,
        "STCK_SHRN_ISCD": order.symbol, "CNTG_QTY": str(event.qty), "STCK_CNTG_HOUR": order.time or now.strftime("%H%M%S"), "RFUS_YN": "0",
        "CNTG_YN": "2" if filled else "1", "ACPT_YN": "2" if filled else "1", "BRNC_NO": order.orgno, "ODER_QTY": str(order.qty),
        "ACNT_NAME": "샌드박스", "CNTG_ISNM": state.name(order.symbol), "CNTG_ISNM40": state.name(order.symbol), "POPUP_YN": "N",
    }
    if order.exchange is None:
        values.update({"ODER_KIND": order.ord_dvsn or "00", "ODER_COND": "0", "CNTG_UNPR": str(event.price), "ODER_PRC": str(order.price), "ORD_EXG_GB": "1", "CRDT_CLS": "10"})
        return values
    market = state.spec.exchange_market(order.exchange) or "US"
    places = NOTICE_DECIMALS.get(market, 4)
    implied = int((event.price * Decimal(10) ** places).to_integral_value(rounding=ROUND_HALF_UP))
    values.update(
        {
            "ODER_KIND2": "2" if order.price else "1", "CNTG_UNPR": f"{implied:09d}", "ODER_COND": OVERSEAS_KINDS.get(order.exchange, ""), "DEBT_GB": "10",
            "CNTG_UNPR12": _places(event.price, 4).rjust(12, "0"), "TM_DIV_TP": "", "START_TM": "", "END_TM": "",
        }
    )
    if not filled:
        values["ODER_QTY"] = ""  # KIS leaves it empty on an order notice: the quantity is in CNTG_QTY
    return values
