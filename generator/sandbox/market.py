"""Where and when orders trade, and deterministic quotes.

Sessions: each exchange's regular sessions in its local time, on the clock of the time zone
the spec gives its market (orders are dated by the exchange's local date, as KIS dates them;
``market_hours="kis"`` refuses orders outside the sessions). Weekends are closed; exchange
holidays are not modelled.

Quotes: a seeded random walk per symbol that ends today at the symbol's price. Bars go back one
weekday at a time to ``history_start`` and no further, so a chart walk (the generated
``<op>_walk`` helpers) always ends. The same seed, symbol and day give the same bars. Today's
minute bars are always a whole session (09:00–15:30) whatever the hour, so a test run at night
sees the same chart as one at noon.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from ..model import Spec

SESSION_OPEN = dtime(9, 0)
SESSION_CLOSE = dtime(15, 30)
MINUTES_IN_SESSION = (SESSION_CLOSE.hour * 60 + SESSION_CLOSE.minute) - (SESSION_OPEN.hour * 60 + SESSION_OPEN.minute) + 1

Sessions = tuple[tuple[dtime, dtime], ...]  # (open, close) in local time, close excluded


DOMESTIC = "KRX"  # the venue of domestic orders; overseas orders name theirs in OVRS_EXCG_CD
_US: Sessions = ((dtime(9, 30), dtime(16, 0)),)
_CHINA: Sessions = ((dtime(9, 30), dtime(11, 30)), (dtime(13, 0), dtime(15, 0)))
# Regular sessions as each exchange publishes them (the exchanges' trading-hours pages, 2026).
SESSIONS: Mapping[str, Sessions] = {
    DOMESTIC: ((SESSION_OPEN, SESSION_CLOSE),),
    "NASD": _US,
    "NYSE": _US,
    "AMEX": _US,
    "SEHK": ((dtime(9, 30), dtime(12, 0)), (dtime(13, 0), dtime(16, 0))),
    "SHAA": _CHINA,
    "SZAA": _CHINA,
    "TKSE": ((dtime(9, 0), dtime(11, 30)), (dtime(12, 30), dtime(15, 30))),
    "HASE": ((dtime(9, 0), dtime(11, 30)), (dtime(13, 0), dtime(15, 0))),
    "VNSE": ((dtime(9, 0), dtime(11, 30)), (dtime(13, 0), dtime(14, 45))),
}


def exchange_zones(spec: Spec) -> dict[str, ZoneInfo]:
    """Each exchange's time zone, its market's in the spec; KRX's is the zone KIS dates in."""
    markets = {market.code: market.timezone for market in spec.markets}
    named = {exchange.code: markets.get(exchange.market) for exchange in spec.exchanges}
    named[DOMESTIC] = spec.timezone
    missing = sorted(code for code, zone in named.items() if zone is None)
    if missing:
        raise ValueError(f"the spec gives no time zone for {', '.join(missing)} (markets.yaml timezone:, common.yaml timezone:)")
    return {code: ZoneInfo(zone) for code, zone in named.items() if zone is not None}
# KRX's out-of-session order types (ORD_DVSN) trade in their own windows.
KRX_EXTENDED: Mapping[str, Sessions] = {
    "05": ((dtime(8, 30), dtime(8, 40)),),  # 장전 시간외
    "06": ((dtime(15, 40), dtime(16, 0)),),  # 장후 시간외
    "07": ((dtime(16, 0), dtime(18, 0)),),  # 시간외 단일가
}


def session_status(sessions: Sessions, local: datetime) -> Literal["open", "before", "closed"]:
    """Open, before the day's first session, or closed (after it started: a break, the close, a weekend)."""
    if local.weekday() >= 5:
        return "closed"
    now = local.time()
    if any(start <= now < end for start, end in sessions):
        return "open"
    return "before" if now < sessions[0][0] else "closed"


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    time: dtime | None = None  # minute bars only

    @property
    def amount(self) -> Decimal:
        return self.close * self.volume


def last_trading_day(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _period_key(day: date, period: str) -> tuple[int, ...]:
    if period == "W":
        iso = day.isocalendar()
        return (iso[0], iso[1])
    if period == "M":
        return (day.year, day.month)
    if period == "Y":
        return (day.year,)
    return (day.toordinal(),)


def aggregate(daily: list[Bar], period: str) -> list[Bar]:
    """Daily bars (newest first) as week, month or year bars dated by their last day."""
    if period == "D":
        return daily
    groups: dict[tuple[int, ...], list[Bar]] = {}
    for bar in daily:
        groups.setdefault(_period_key(bar.day, period), []).append(bar)
    merged = []
    for bars in groups.values():  # insertion order: newest group first; each group newest first
        merged.append(Bar(bars[0].day, bars[-1].open, max(b.high for b in bars), min(b.low for b in bars), bars[0].close, sum(b.volume for b in bars)))
    return merged


def _newest_first(bar: Bar) -> int:
    """A bisect key for bars ordered newest first."""
    return -bar.day.toordinal()


class Quotes:
    """Bars for any symbol, built on first use and kept (the walk is deterministic)."""

    def __init__(self, seed: int, volatility: float, history_start: date, price_of: Callable[[str, bool], Decimal]) -> None:
        self.seed = seed
        self.volatility = volatility
        self.history_start = history_start
        self.price_of = price_of
        self._daily: dict[tuple[str, bool, date], list[Bar]] = {}
        # Derived from the daily bars and as fixed: kept so that a quote costs no scan of history.
        self._series: dict[tuple[str, bool, date, str], list[Bar]] = {}
        self._extremes: dict[tuple[str, bool, date, date], tuple[Bar, Bar] | None] = {}
        self._lock = threading.Lock()

    def _round(self, value: float, overseas: bool) -> Decimal:
        step = Decimal("0.0001") if overseas else Decimal(1)
        return max(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP), step)

    def daily(self, symbol: str, overseas: bool, today: date) -> list[Bar]:
        """Every daily bar from the last trading day back to ``history_start``, newest first."""
        key = (symbol, overseas, today)
        with self._lock:
            if key not in self._daily:
                self._daily[key] = self._walk(symbol, overseas, today)
            return self._daily[key]

    def _walk(self, symbol: str, overseas: bool, today: date) -> list[Bar]:
        rng = random.Random(f"{self.seed}:{symbol}")
        close = float(self.price_of(symbol, overseas))
        bars: list[Bar] = []
        day = last_trading_day(today)
        while day >= self.history_start:
            previous_close = close / (1 + rng.uniform(-self.volatility, self.volatility))
            open_ = previous_close * (1 + rng.uniform(-self.volatility, self.volatility) / 3)
            high = max(open_, close) * (1 + rng.uniform(0, self.volatility) / 2)
            low = min(open_, close) * (1 - rng.uniform(0, self.volatility) / 2)
            volume = rng.randint(100_000, 2_000_000)
            bars.append(Bar(day, self._round(open_, overseas), self._round(high, overseas), self._round(low, overseas), self._round(close, overseas), volume))
            close = previous_close
            day = last_trading_day(day - timedelta(days=1))
        return bars

    def bars(self, symbol: str, overseas: bool, today: date, end: date, start: date | None, period: str, limit: int) -> list[Bar]:
        """Up to ``limit`` bars dated ``start``..``end`` (both included), newest first."""
        key = (symbol, overseas, today, period)
        with self._lock:
            series = self._series.get(key)
        if series is None:
            series = aggregate(self.daily(symbol, overseas, today), period)
            with self._lock:
                self._series[key] = series
        first = bisect_left(series, -end.toordinal(), key=_newest_first)
        last = len(series) if start is None else bisect_right(series, -start.toordinal(), key=_newest_first)
        return series[first : min(last, first + limit)]

    def extremes(self, symbol: str, overseas: bool, today: date, since: date) -> tuple[Bar, Bar] | None:
        """The daily bars with the highest high and the lowest low from ``since`` to today."""
        key = (symbol, overseas, today, since)
        with self._lock:
            if key in self._extremes:
                return self._extremes[key]
        bars = self.bars(symbol, overseas, today, today, since, "D", len(self.daily(symbol, overseas, today)))
        found = (max(bars, key=lambda bar: bar.high), min(bars, key=lambda bar: bar.low)) if bars else None
        with self._lock:
            self._extremes[key] = found
        return found

    def previous_close(self, symbol: str, overseas: bool, today: date) -> Decimal:
        daily = self.daily(symbol, overseas, today)
        return daily[1].close if len(daily) > 1 else daily[0].open if daily else self.price_of(symbol, overseas)

    def today(self, symbol: str, overseas: bool, today: date) -> Bar:
        daily = self.daily(symbol, overseas, today)
        if daily:
            return daily[0]
        price = self.price_of(symbol, overseas)
        return Bar(today, price, price, price, price, 0)

    def minutes(self, symbol: str, today: date, until: dtime, limit: int) -> list[Bar]:
        """Today's one-minute bars at or before ``until`` (09:00–15:30), newest first."""
        session = self._minutes(symbol, today)
        return [bar for bar in session if bar.time is not None and bar.time <= until][:limit]

    def _minutes(self, symbol: str, today: date) -> list[Bar]:
        rng = random.Random(f"{self.seed}:{symbol}:{today.isoformat()}:minutes")
        close = float(self.price_of(symbol, False))
        day = last_trading_day(today)
        bars: list[Bar] = []
        for index in range(MINUTES_IN_SESSION):
            minute = SESSION_CLOSE.hour * 60 + SESSION_CLOSE.minute - index
            previous = close / (1 + rng.uniform(-self.volatility, self.volatility) / 20)
            high, low = max(previous, close), min(previous, close)
            bars.append(Bar(day, self._round(previous, False), self._round(high, False), self._round(low, False), self._round(close, False), rng.randint(100, 20_000), dtime(minute // 60, minute % 60)))
            close = previous
        return bars
