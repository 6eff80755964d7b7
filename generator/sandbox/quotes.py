"""Quotations without state logic of their own, answered from the sandbox's quotes.

Most of KIS's quotation APIs (ETF/ETN, futures and options, indices, bonds, ELW, overseas
charts) name one symbol and answer with fields KIS names the same way everywhere: 현재가 is
``*_prpr`` (``stck_prpr``, ``futs_prpr``, ``bstp_nmix_prpr``) or ``last``, 시가 ``*_oprc`` or
``open``, 전일 대비 ``prdy_vrss`` or ``diff``, 누적 거래량 ``acml_vol`` or ``tvol``, 영업일자
``stck_bsop_date`` or ``xymd``. An operation no handler answers gets a quote plan when its
request names a symbol and its outputs hold such fields: an object output carries the symbol's
quote of today, a list output whose rows are dated carries one bar a row, newest first (a
chart: paged by the sandbox like any list). Every other field keeps what its declaration gives
(KIS's documented example), so the same symbol and day always give the same answer, and one the
account or the order book would decide is never made up here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..model import Operation, Output, ResponseField
from .market import Bar
from .operations import Call, Handler, Outputs
from .responses import decimals_of, example_row

# The request field naming the symbol, in the order KIS's APIs use them.
SYMBOL_FIELDS = ("FID_INPUT_ISCD", "SYMB", "PDNO", "SRS_CD", "MKSC_SHRN_ISCD", "PROD_ISCD", "OVRS_FUTR_FX_PDNO", "FID_INPUT_ISCD_1", "SRS_CD_01")
OVERSEAS_FIELDS = ("EXCD", "OVRS_EXCG_CD")  # an exchange field: the symbol trades abroad
# What a price field is called after the instrument's prefix (stck_, futs_, ...): its quote.
INSTRUMENTS = ("stck_", "futs_", "optn_", "elw_", "bond_", "bstp_nmix_", "ovrs_nmix_", "ovrs_prod_", "")
PRICE_NAMES = {
    "prpr": "close",
    "oprc": "open",
    "hgpr": "high",
    "lwpr": "low",
    "clpr": "close",
    "prdy_clpr": "base",
    "prdy_vrss": "change",
    "prdy_vrss_sign": "sign",
    "prdy_ctrt": "rate",
    "bsop_date": "day",
}
# KIS's overseas and futures names, and the volume and amount every market shares.
PLAIN_NAMES = {
    "last": "close",
    "last_price": "close",
    "open": "open",
    "open_price": "open",
    "high": "high",
    "high_price": "high",
    "low": "low",
    "low_price": "low",
    "clos": "close",
    "base": "base",
    "diff": "change",
    "prev_diff_price": "change",
    "sign": "sign",
    "prev_diff_flag": "sign",
    "rate": "rate",
    "prev_diff_rate": "rate",
    "acml_vol": "volume",
    "tvol": "volume",
    "vol": "volume",
    "acml_tr_pbmn": "amount",
    "tamt": "amount",
    "xymd": "day",
    "data_date": "day",
    "bass_dt": "day",
}
PERIODS = {"D", "W", "M", "Y"}  # FID_PERIOD_DIV_CODE, where an operation has one
CHART_ROWS = 30  # bars a chart answers: more than a page (20), so its pages can be walked
DATE = re.compile(r"[0-9]{8}")


def meaning(field: ResponseField) -> str | None:
    """What the quote gives ``field`` (close, open, change, day, ...), or None."""
    wire = field.wire.lower()
    if wire in PLAIN_NAMES:
        return PLAIN_NAMES[wire]
    for prefix in INSTRUMENTS:
        if prefix and wire.startswith(prefix) and wire[len(prefix) :] in PRICE_NAMES:
            return PRICE_NAMES[wire[len(prefix) :]]
    return PRICE_NAMES.get(wire)


@dataclass(frozen=True, slots=True)
class QuotePlan:
    """Which request field names the symbol, and which fields of which outputs the quote fills."""

    symbol: str
    overseas: bool
    fields: Mapping[str, tuple[tuple[ResponseField, str], ...]]  # output name → (field, meaning)
    charts: frozenset[str]  # list outputs whose rows are bars

    def answer(self, call: Call) -> Outputs:
        state, today = call.state, call.now.date()
        symbol = call.text(self.symbol).removeprefix("Q") or "SBX0001"
        quotes = state.quotes
        bar, base = quotes.today(symbol, self.overseas, today), quotes.previous_close(symbol, self.overseas, today)
        outputs: Outputs = {}
        for output in call.op.response.outputs:
            mapped = self.fields.get(output.name)
            if not mapped:
                continue
            if output.name in self.charts:
                bars = _chart(call, symbol, self.overseas, today)
                rows = [_row(output, mapped, bar, previous.close if previous is not None else base, call.now) for bar, previous in zip(bars, [*bars[1:], None])]
                outputs[output.name] = rows
            else:
                outputs[output.name] = _row(output, mapped, bar, base, call.now)
        return outputs


def plan(op: Operation) -> QuotePlan | None:
    """The operation's quote plan, or None when it is not a quote of one symbol."""
    if op.kind != "read":
        return None
    wires = {field.wire for field in op.fields}
    symbol = next((wire for wire in SYMBOL_FIELDS if wire in wires), None)
    if symbol is None:
        return None
    fields: dict[str, tuple[tuple[ResponseField, str], ...]] = {}
    charts = set()
    for output in op.response.outputs:
        mapped = tuple((field, found) for field in output.fields if (found := meaning(field)) is not None)
        if not any(found not in ("day", "volume", "amount") for _, found in mapped):
            continue  # no price of the symbol: not a quote
        fields[output.name] = mapped
        if output.is_list and any(found == "day" for _, found in mapped):
            charts.add(output.name)
    if not fields:
        return None
    overseas = op.area.startswith("overseas") or any(wire in wires for wire in OVERSEAS_FIELDS)
    return QuotePlan(symbol, overseas, fields, frozenset(charts))


def handlers(ops: tuple[Operation, ...], taken: Mapping[str, Any]) -> dict[str, Handler]:
    """A handler for each quote among ``ops`` that ``taken`` (the state logic) does not answer."""
    found: dict[str, Handler] = {}
    for op in ops:
        if op.qualname in taken:
            continue
        quote = plan(op)
        if quote is not None:
            found[op.qualname] = quote.answer
    return found


def _chart(call: Call, symbol: str, overseas: bool, today: date) -> list[Bar]:
    """The bars the request asks for: its period and date range where it names them."""
    period = call.text("FID_PERIOD_DIV_CODE")
    start, end = _day(call.text("FID_INPUT_DATE_1")), _day(call.text("FID_INPUT_DATE_2"))
    if start is not None and end is not None and start > end:
        start, end = end, start
    return call.state.quotes.bars(symbol, overseas, today, min(end or today, today), start, period if period in PERIODS else "D", CHART_ROWS)


def _day(text: str) -> date | None:
    if not DATE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


VALUES: Mapping[str, Callable[[Bar, Decimal], Any]] = {
    "close": lambda bar, base: bar.close,
    "open": lambda bar, base: bar.open,
    "high": lambda bar, base: bar.high,
    "low": lambda bar, base: bar.low,
    "base": lambda bar, base: base,
    "change": lambda bar, base: bar.close - base,
    "sign": lambda bar, base: "2" if bar.close > base else "5" if bar.close < base else "3",  # KIS's 대비부호
    "rate": lambda bar, base: (bar.close - base) / base * 100 if base else Decimal(0),
    "volume": lambda bar, base: bar.volume,
    "amount": lambda bar, base: bar.amount,
    "day": lambda bar, base: bar.day,
}


def _row(output: Output, mapped: tuple[tuple[ResponseField, str], ...], bar: Bar, base: Decimal, now: datetime) -> dict[str, Any]:
    """The output's documented example with the quote's values in the fields it names."""
    row: dict[str, Any] = example_row(output, now)
    for field, found in mapped:
        value = VALUES[found](bar, base)
        if field.kind in ("int", "decimal", "date", "code"):
            row[field.wire] = value
        else:  # a kind the import could not read: KIS's text for it
            row[field.wire] = value.strftime("%Y%m%d") if isinstance(value, date) else f"{value.quantize(Decimal(1).scaleb(-decimals_of(field))):f}" if isinstance(value, Decimal) else str(value)
    return row
