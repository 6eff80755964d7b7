"""Quotations without state logic of their own, answered from the sandbox's quotes.

Most of KIS's quotation APIs (ETF/ETN, futures and options, indices, bonds, ELW, overseas
charts) name one symbol and answer with fields KIS names the same way everywhere: 현재가 is
``*_prpr`` (``stck_prpr``, ``futs_prpr``, ``bstp_nmix_prpr``) or ``last``, 시가 ``*_oprc`` or
``open``, 전일 대비 ``prdy_vrss`` or ``diff``, 누적 거래량 ``acml_vol`` or ``tvol``, 영업일자
``stck_bsop_date`` or ``xymd``, 순위 ``data_rank``. An operation no handler answers gets a quote
plan when its outputs hold such fields: an object output carries the quote of today of the
symbol the request names, a list output whose rows are dated carries one bar a row, newest first
(a chart: paged by the sandbox like any list), and a list output whose rows name a symbol
(``mksc_shrn_iscd``, ``symb``) ranks the symbols the sandbox prices, by today's volume (a
ranking). Every other field keeps what its declaration gives (KIS's documented example), so the
same symbols and day always give the same answer, and what the account or the order book would
decide is never made up here.
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
    "data_rank": "rank",
    "rank": "rank",
    "hts_kor_isnm": "name",
    "mksc_shrn_iscd": "symbol",
    "stck_shrn_iscd": "symbol",
    "symb": "symbol",
}
NOT_PRICES = {"day", "volume", "amount", "rank", "name", "symbol"}  # an output without a price is no quote
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
class Quote:
    """One symbol's bar of a day, the close before it, and its place in a ranking."""

    symbol: str
    name: str
    bar: Bar
    base: Decimal
    rank: int = 1


@dataclass(frozen=True, slots=True)
class QuotePlan:
    """Which request field names the symbol, and which fields of which outputs the quote fills."""

    symbol: str | None
    overseas: bool
    fields: Mapping[str, tuple[tuple[ResponseField, str], ...]]  # output name → (field, meaning)
    charts: frozenset[str]  # list outputs whose rows are bars
    rankings: frozenset[str]  # list outputs whose rows are symbols

    def answer(self, call: Call) -> Outputs:
        state, today = call.state, call.now.date()
        symbol = (call.text(self.symbol).removeprefix("Q") if self.symbol else "") or "SBX0001"
        quote = _quote(call, symbol, self.overseas, today)
        outputs: Outputs = {}
        for output in call.op.response.outputs:
            mapped = self.fields.get(output.name)
            if not mapped:
                continue
            if output.name in self.charts:
                outputs[output.name] = [_row(output, mapped, Quote(symbol, quote.name, bar, close), call.now) for bar, close in _chart(call, symbol, self.overseas, today)]
            elif output.name in self.rankings:
                ranked = sorted((_quote(call, other, self.overseas, today) for other in _universe(call, self.overseas)), key=lambda other: (-other.bar.volume, other.symbol))
                outputs[output.name] = [_row(output, mapped, Quote(other.symbol, other.name, other.bar, other.base, rank), call.now) for rank, other in enumerate(ranked, 1)]
            elif self.symbol is not None:
                outputs[output.name] = _row(output, mapped, quote, call.now)
        return outputs


def plan(op: Operation) -> QuotePlan | None:
    """The operation's quote plan, or None when it is not a quote."""
    if op.kind != "read":
        return None
    wires = {field.wire for field in op.fields}
    symbol = next((wire for wire in SYMBOL_FIELDS if wire in wires), None)
    fields: dict[str, tuple[tuple[ResponseField, str], ...]] = {}
    charts, rankings = set(), set()
    for output in op.response.outputs:
        mapped = tuple((field, found) for field in output.fields if (found := meaning(field)) is not None)
        meanings = {found for _, found in mapped}
        if not meanings - NOT_PRICES:
            continue  # no price: not a quote
        if output.is_list and "symbol" in meanings and "day" not in meanings:
            rankings.add(output.name)
        elif symbol is None:
            continue  # a quote or a chart of which symbol?
        elif output.is_list and "day" in meanings:
            charts.add(output.name)
        fields[output.name] = mapped
    if not fields:
        return None
    overseas = op.area.startswith("overseas") or any(wire in wires for wire in OVERSEAS_FIELDS)
    return QuotePlan(symbol, overseas, fields, frozenset(charts), frozenset(rankings))


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


def _quote(call: Call, symbol: str, overseas: bool, today: date) -> Quote:
    quotes = call.state.quotes
    return Quote(symbol, call.state.name(symbol), quotes.today(symbol, overseas, today), quotes.previous_close(symbol, overseas, today))


def _universe(call: Call, overseas: bool) -> list[str]:
    """The symbols the sandbox prices on one side: domestic codes are six digits."""
    return [symbol for symbol in call.state.options.prices if (len(symbol) == 6 and symbol.isdigit()) != overseas]


def _chart(call: Call, symbol: str, overseas: bool, today: date) -> list[tuple[Bar, Decimal]]:
    """The bars the request asks for (its period and date range, where it names them), newest
    first, each with the close before it."""
    period = call.text("FID_PERIOD_DIV_CODE")
    start, end = _day(call.text("FID_INPUT_DATE_1")), _day(call.text("FID_INPUT_DATE_2"))
    if start is not None and end is not None and start > end:
        start, end = end, start
    bars = call.state.quotes.bars(symbol, overseas, today, min(end or today, today), None, period if period in PERIODS else "D", CHART_ROWS + 1)
    shown = [bar for bar in bars[:CHART_ROWS] if start is None or bar.day >= start]
    return [(bar, bars[index + 1].close if index + 1 < len(bars) else bar.open) for index, bar in enumerate(shown)]


def _day(text: str) -> date | None:
    if not DATE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


VALUES: Mapping[str, Callable[[Quote], Any]] = {
    "close": lambda quote: quote.bar.close,
    "open": lambda quote: quote.bar.open,
    "high": lambda quote: quote.bar.high,
    "low": lambda quote: quote.bar.low,
    "base": lambda quote: quote.base,
    "change": lambda quote: quote.bar.close - quote.base,
    "sign": lambda quote: "2" if quote.bar.close > quote.base else "5" if quote.bar.close < quote.base else "3",  # KIS's 대비부호
    "rate": lambda quote: (quote.bar.close - quote.base) / quote.base * 100 if quote.base else Decimal(0),
    "volume": lambda quote: quote.bar.volume,
    "amount": lambda quote: quote.bar.amount,
    "day": lambda quote: quote.bar.day,
    "rank": lambda quote: quote.rank,
    "name": lambda quote: quote.name,
    "symbol": lambda quote: quote.symbol,
}


def _row(output: Output, mapped: tuple[tuple[ResponseField, str], ...], quote: Quote, now: datetime) -> dict[str, Any]:
    """The output's documented example with the quote's values in the fields it names."""
    row: dict[str, Any] = example_row(output, now)
    for field, found in mapped:
        value = VALUES[found](quote)
        if field.kind in ("int", "decimal", "date", "code"):
            row[field.wire] = value
        else:  # a kind the import could not read: KIS's text for it
            row[field.wire] = value.strftime("%Y%m%d") if isinstance(value, date) else f"{value.quantize(Decimal(1).scaleb(-decimals_of(field))):f}" if isinstance(value, Decimal) else str(value)
    return row
