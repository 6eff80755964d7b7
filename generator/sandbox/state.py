"""The sandbox's memory: options, tokens, request rates and one account per CANO.

Every method takes the lock: uvicorn serves from its own thread while tests read the state.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ..model import Spec
from .errors import Rejection
from .market import DOMESTIC, KRX_EXTENDED, SESSIONS, Quotes, exchange_zones, session_status

KST = timezone(timedelta(hours=9))

DEFAULT_CASH: Mapping[str, Decimal] = {
    "KRW": Decimal("10000000"),
    "USD": Decimal("10000.00"),
    "HKD": Decimal("100000.00"),
    "JPY": Decimal("1000000"),
    "CNY": Decimal("100000.00"),
    "VND": Decimal("100000000"),
}
DEFAULT_PRICES: Mapping[str, Decimal] = {
    "005930": Decimal("70000"),
    "000660": Decimal("180000"),
    "AAPL": Decimal("190.0000"),
    "TSLA": Decimal("250.0000"),
}
DEFAULT_NAMES: Mapping[str, str] = {
    "005930": "삼성전자",
    "000660": "SK하이닉스",
    "AAPL": "애플",
    "TSLA": "테슬라",
}
# Won per unit of each currency (KIS's 기준환율).
DEFAULT_RATES: Mapping[str, Decimal] = {
    "KRW": Decimal("1"),
    "USD": Decimal("1350.00"),
    "HKD": Decimal("173.00"),
    "JPY": Decimal("9.10"),
    "CNY": Decimal("187.00"),
    "VND": Decimal("0.055"),
}
# KIS's amount fields hold 19 digits (ord_psbl_cash, and ORD_UNPR for a price: KIS API workbook
# 2026-09-11); overseas prices have 4 decimal places. Cash and prices stay within them.
AMOUNT_DIGITS = 19
AMOUNT_PLACES = 4


def amount_problem(value: Decimal, positive: bool) -> str | None:
    """Why ``value`` cannot be a starting cash amount (or, ``positive``, a price); None if it can."""
    if not value.is_finite() or value < 0 or (positive and value == 0):
        return "must be more than zero" if positive else "must be zero or more"
    if value >= 10**AMOUNT_DIGITS or value != value.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):
        return f"must have at most {AMOUNT_DIGITS} digits before the point and {AMOUNT_PLACES} after (KIS's amount fields hold {AMOUNT_DIGITS})"
    return None


MARKET_HOURS = ("always", "kis")


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    """How a sandbox behaves; every KIS limit defaults to the spec's value for its environment.

    ``market_hours``: "always" (the default: tests and demos run at any hour) or "kis" (orders
    outside their exchange's regular session are refused as KIS refuses them). ``app_keys``: the
    app keys that exist, each with its secret; None accepts any key (its first secret sticks).
    The last four bound what one client can hold: seconds to send a request line and headers,
    seconds and bytes for a body, and open connections (past it, the oldest connection waiting
    for a request is closed).
    """

    env: str = "mock"
    cash: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_CASH))
    prices: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    names: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMES))
    exchange_rates: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))
    domestic_default_price: Decimal = Decimal("10000")
    overseas_default_price: Decimal = Decimal("100.0000")
    token_lifetime_seconds: float | None = None
    token_min_interval_seconds: float | None = None
    rate_limit_per_second: float | None = None  # 0: no limit
    page_size: int | None = None
    clock: Callable[[], float] = time.time
    price_seed: int = 0  # seeds each symbol's random walk of past bars
    daily_volatility: float = 0.015  # the walk's largest daily move, as a fraction
    history_start: date = date(2020, 1, 2)  # no bars before this day: chart walks stop here
    market_hours: str = "always"
    app_keys: Mapping[str, str] | None = None
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_body_bytes: int = 1 << 20
    max_connections: int = 256
    # The real-time feed (sandbox/feed.py): seconds between the ticks and order books it sends
    # each registered symbol (None: only what a test publishes), between PINGPONGs (None: none),
    # and the WebSocket sessions it holds at once.
    tick_interval: float | None = 1.0
    pingpong_interval: float | None = 10.0
    max_sessions: int = 64

    def __post_init__(self) -> None:
        if self.market_hours not in MARKET_HOURS:
            raise ValueError(f"market_hours must be one of {', '.join(MARKET_HOURS)}, not {self.market_hours!r}")
        for currency, amount in self.cash.items():
            problem = amount_problem(Decimal(amount), positive=False)
            if problem is not None:
                raise ValueError(f"cash {currency} {problem}, not {amount}")
        for symbol, price in self.prices.items():
            problem = amount_problem(Decimal(price), positive=True)
            if problem is not None:
                raise ValueError(f"price of {symbol} {problem}, not {price}")
        rate = self.rate_limit_per_second
        if rate is not None and not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"rate_limit_per_second must be a number of 0 or more (0: no limit), not {rate}")
        if self.page_size is not None and self.page_size < 1:
            raise ValueError(f"page_size must be 1 or more, not {self.page_size}")
        limits = {"header_timeout": self.header_timeout, "body_timeout": self.body_timeout, "max_body_bytes": self.max_body_bytes, "max_connections": self.max_connections, "max_sessions": self.max_sessions}
        limits.update({name: value for name, value in (("tick_interval", self.tick_interval), ("pingpong_interval", self.pingpong_interval)) if value is not None})
        for name, value in limits.items():
            if not value > 0:
                raise ValueError(f"{name} must be more than zero, not {value}")


@dataclass(slots=True)
class IssuedToken:
    value: str
    app_key: str
    expires_at: float
    revoked: bool = False


@dataclass(slots=True)
class Holding:
    symbol: str
    exchange: str | None  # None: domestic
    currency: str
    qty: int = 0
    cost: Decimal = Decimal(0)  # what was paid for ``qty``
    bought_today: int = 0
    sold_today: int = 0
    buy_amount_today: Decimal = Decimal(0)
    sell_amount_today: Decimal = Decimal(0)
    realized: Decimal = Decimal(0)

    @property
    def average(self) -> Decimal:
        return self.cost / self.qty if self.qty else Decimal(0)


@dataclass(slots=True)
class Order:
    odno: str
    orgno: str
    side: str
    symbol: str
    exchange: str | None
    qty: int
    price: Decimal  # the limit; 0 for a market-type order
    open_qty: int
    filled_qty: int = 0
    fill_price: Decimal | None = None
    time: str = ""  # HHMMSS on the exchange's clock (KST for domestic orders)
    day: date | None = None  # the exchange's local date, as KIS dates orders (현지시각 기준)
    kst_time: str = ""  # KIS's own clock (당사주문시각)
    kst_day: date | None = None  # 국내주문일자
    orgn_odno: str = ""  # for a modification or cancellation: the order it acts on
    action: str = "new"  # "new", "modify" or "cancel"
    ord_dvsn: str = ""
    app_key: str | None = None  # whose REST call placed it: its execution notices go to that app key's feed

    @property
    def is_open(self) -> bool:
        return self.open_qty > 0

    @property
    def fill_amount(self) -> Decimal:
        return self.filled_qty * (self.fill_price or Decimal(0))


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """What an execution notice tells: an order accepted, modified or cancelled, or a fill."""

    kind: str  # "accepted", "modified", "cancelled" or "filled"
    account: Account
    order: Order
    qty: int  # the order's quantity, or the fill's
    price: Decimal  # the order's limit (0: market-type), or the fill's price


@dataclass(slots=True)
class Account:
    cano: str
    product: str
    cash: dict[str, Decimal]
    day_start_cash: dict[str, Decimal]
    holdings: dict[tuple[str | None, str], Holding] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)


MAX_READS = 10_000  # reads paged by tr_cont alone that the sandbox keeps a place in


class SandboxState:
    def __init__(self, spec: Spec, options: SandboxOptions) -> None:
        self.spec = spec
        self.options = options
        self.lock = threading.RLock()
        self.tokens: dict[str, IssuedToken] = {}
        self.live_token: dict[str, IssuedToken] = {}
        self.last_issue: dict[str, float] = {}
        self.app_secrets: dict[str, str] = {}
        self.accounts: dict[tuple[str, str], Account] = {}
        self.requests: dict[str, deque[float]] = {}
        self.rate_limit = options.rate_limit_per_second if options.rate_limit_per_second is not None else spec.environment(options.env).rate_limit_per_second
        self.token_lifetime = options.token_lifetime_seconds if options.token_lifetime_seconds is not None else float(spec.token.lifetime_seconds)
        self.token_interval = options.token_min_interval_seconds if options.token_min_interval_seconds is not None else float(spec.token.min_issue_interval_seconds)
        self._order_numbers = itertools.count(1001)
        self.quotes = Quotes(options.price_seed, options.daily_volatility, options.history_start, self.price)
        self.zones = exchange_zones(spec)
        self.executed = 0  # requests that reached an operation (for "nothing executed" checks)
        # Reads paged by tr_cont alone: (app key, operation, request) → the next page's first row
        self.reads: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}
        self.approval_keys: dict[str, tuple[str, float]] = {}  # approval key -> (app key, issued at)
        self.order_listeners: list[Callable[[OrderEvent], None]] = []  # the real-time feed's

    @property
    def env(self) -> str:
        return self.options.env

    def continue_read(self, app_key: str, operation: str, values: Mapping[str, Any]) -> int:
        """Where this app key's read of this request goes on (tr_cont N with no keys to send back)."""
        with self.lock:
            start = self.reads.get((app_key, operation, _request_key(values)))
        if start is None:
            raise Rejection("SBX02004", f"tr_cont N, but no read of {operation} with these fields is under way for this app key")
        return start

    def remember_read(self, app_key: str, operation: str, values: Mapping[str, Any], next_start: int | None) -> None:
        key = (app_key, operation, _request_key(values))
        with self.lock:
            self.reads.pop(key, None)
            if next_start is not None:
                self.reads[key] = next_start
                while len(self.reads) > MAX_READS:  # reads nobody finished: the oldest go first
                    del self.reads[next(iter(self.reads))]

    def now(self) -> float:
        return self.options.clock()

    def kst_now(self) -> datetime:
        return datetime.fromtimestamp(self.now(), KST)

    def local_time(self, exchange: str | None, moment: datetime) -> datetime:
        """``moment`` (aware) on the exchange's clock (KRX's for a domestic order)."""
        return moment.astimezone(self.zones[exchange or DOMESTIC])

    # -- credentials and tokens ---------------------------------------------------------------
    def check_credentials(self, app_key: str, app_secret: str) -> None:
        """The app key must exist (any does, unless ``app_keys`` lists them) with its secret;
        without ``app_keys``, the first secret seen with an app key is its secret from then on."""
        listed = self.options.app_keys
        if listed is not None:
            if app_key not in listed:
                raise Rejection("EGW00103")
            known = listed[app_key]
        else:
            with self.lock:
                known = self.app_secrets.setdefault(app_key, app_secret)
        if not secrets.compare_digest(known.encode(), app_secret.encode()):
            raise Rejection("EGW00105")

    def issue_token(self, app_key: str) -> IssuedToken:
        with self.lock:
            now = self.now()
            live = self.live_token.get(app_key)
            if live is not None and not live.revoked and live.expires_at > now:
                return live  # asking again gives the same token
            last = self.last_issue.get(app_key)
            if last is not None and now - last < self.token_interval:
                raise Rejection("EGW00133")
            token = IssuedToken("sbx." + secrets.token_urlsafe(48), app_key, now + self.token_lifetime)
            self.tokens[token.value] = token
            self.live_token[app_key] = token
            self.last_issue[app_key] = now
            return token

    def token_for(self, value: str) -> IssuedToken:
        with self.lock:
            token = self.tokens.get(value)
            if token is None or token.revoked:
                raise Rejection("EGW00121")
            if token.expires_at <= self.now():
                raise Rejection("EGW00123")
            return token

    def revoke(self, value: str, app_key: str) -> bool:
        with self.lock:
            token = self.tokens.get(value)
            if token is None or token.revoked or token.app_key != app_key:
                return False
            token.revoked = True
            return True

    def issue_approval_key(self, app_key: str) -> str:
        """A new approval key (웹소켓 접속키) for the app key; every one stays valid its lifetime."""
        key = str(uuid.uuid4())
        with self.lock:
            self.approval_keys[key] = (app_key, self.now())
        return key

    def approval_key_owner(self, key: str) -> str | None:
        """The app key an approval key was issued to, while it is valid (KIS checks it when a
        registration arrives)."""
        realtime = self.spec.realtime
        lifetime = realtime.approval.lifetime_seconds if realtime is not None else 0
        with self.lock:
            found = self.approval_keys.get(key)
        if found is None or self.now() - found[1] >= lifetime:
            return None
        return found[0]

    def expire_approval_keys(self) -> None:
        """Make every approval key expired now (tests)."""
        with self.lock:
            self.approval_keys = {key: (owner, self.now() - 1e9) for key, (owner, _at) in self.approval_keys.items()}

    def _emit(self, kind: str, account: Account, order: Order, qty: int, price: Decimal) -> None:
        event = OrderEvent(kind, account, order, qty, price)
        for listener in self.order_listeners:
            listener(event)

    def expire_tokens(self) -> None:
        """Make every token expired now (tests and users exercising EGW00123)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = min(token.expires_at, self.now())

    # -- request rate ---------------------------------------------------------------------------
    def admit(self, app_key: str) -> None:
        """Count one request in the last second for this app key, or refuse it uncounted."""
        if not self.rate_limit:
            return
        with self.lock:
            now = self.now()
            window = self.requests.setdefault(app_key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.rate_limit:
                raise Rejection("EGW00201")
            window.append(now)

    # -- accounts -------------------------------------------------------------------------------
    def account(self, cano: str, product: str) -> Account:
        with self.lock:
            key = (cano, product)
            if key not in self.accounts:
                cash = {code: Decimal(value) for code, value in self.options.cash.items()}
                self.accounts[key] = Account(cano, product, dict(cash), dict(cash))
            return self.accounts[key]

    def price(self, symbol: str, overseas: bool) -> Decimal:
        if symbol in self.options.prices:
            return Decimal(self.options.prices[symbol])
        return self.options.overseas_default_price if overseas else self.options.domestic_default_price

    def name(self, symbol: str) -> str:
        return self.options.names.get(symbol, symbol)

    def rate(self, currency: str) -> Decimal:
        return Decimal(self.options.exchange_rates.get(currency, Decimal(1)))

    def currency_of(self, exchange: str | None) -> str:
        if exchange is None:
            return "KRW"
        market = self.spec.exchange_market(exchange)
        for candidate in self.spec.markets:
            if candidate.code == market:
                return candidate.currency
        return "USD"

    def check_market_hours(self, exchange: str | None, ord_dvsn: str, now: datetime) -> None:
        """With ``market_hours="kis"``, refuse an order outside its exchange's session as KIS does."""
        if self.options.market_hours == "always":
            return
        regular = SESSIONS[exchange or DOMESTIC]
        sessions = KRX_EXTENDED.get(ord_dvsn, regular) if exchange is None else regular
        local = self.local_time(exchange, now)
        status = session_status(sessions, local)
        if status == "open":
            return
        if self.env == "mock":  # KIS's own words, without a detail: clients match msg1 exactly
            raise Rejection("40570000" if status == "before" else "40580000")
        hours = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in sessions)
        raise Rejection("SBX03004", f"{exchange or DOMESTIC} takes this order {hours} {self.zones[exchange or DOMESTIC].key} time on weekdays; it is {local:%a %H:%M} there")

    def _stamp(self, exchange: str | None) -> tuple[datetime, datetime]:
        """Now on KIS's clock and on the exchange's."""
        now = self.kst_now()
        return now, self.local_time(exchange, now)

    def cost_price(self, symbol: str, exchange: str | None, limit: Decimal) -> Decimal:
        """What one share of a buy can cost: its limit, or the price for a market-type order."""
        return limit or self.price(symbol, exchange is not None)

    def place(
        self, account: Account, side: str, symbol: str, exchange: str | None, qty: int, limit: Decimal | None, ord_dvsn: str = "", day: date | None = None, app_key: str | None = None
    ) -> Order:
        """A cash order: it fills at the symbol's price when it crosses (or has no price), else rests.

        A buy must fit the buying power (cash less what resting buys can cost) at its limit, or
        at the price for a market order. ``day`` back-dates the record (seeding history for the
        order inquiries; the exchange's date); default today.
        """
        with self.lock:
            currency = self.currency_of(exchange)
            if side == "buy":
                each = self.cost_price(symbol, exchange, limit or Decimal(0))
                available = self.buying_power(account, currency)
                if qty * each > available:
                    raise Rejection("SBX03001", f"주문가능금액을 초과했습니다: {qty} x {each} {currency} > {available}")
            else:
                orderable = self.orderable(account, exchange, symbol)
                if qty > orderable:
                    raise Rejection("SBX03002", f"주문가능수량을 초과했습니다: {symbol} 주문 {qty}주, 주문가능 {orderable}주")
            kst, local = self._stamp(exchange)
            orgno = "06010" if exchange is None else "01790"
            order = Order(
                f"{next(self._order_numbers):010d}", orgno, side, symbol, exchange, qty, limit or Decimal(0), qty,
                time=local.strftime("%H%M%S"), day=day or local.date(), kst_time=kst.strftime("%H%M%S"), kst_day=kst.date(), ord_dvsn=ord_dvsn, app_key=app_key,
            )
            account.orders[order.odno] = order
            self._emit("accepted", account, order, qty, order.price)
            self._match(account, order)
            return order

    def _match(self, account: Account, order: Order) -> None:
        price = self.price(order.symbol, order.exchange is not None)
        limit = order.price
        crosses = limit == 0 or (limit >= price if order.side == "buy" else limit <= price)
        if order.exchange is not None and limit == 0:
            crosses = False  # overseas market-type orders (MOO/MOC) wait for the open or close
        if crosses:
            self._fill(account, order, price)

    def _fill(self, account: Account, order: Order, price: Decimal) -> None:
        currency = self.currency_of(order.exchange)
        holding = account.holdings.setdefault((order.exchange, order.symbol), Holding(order.symbol, order.exchange, currency))
        qty = order.open_qty
        amount = qty * price
        if order.side == "buy":
            account.cash[currency] = account.cash.get(currency, Decimal(0)) - amount
            holding.qty += qty
            holding.cost += amount
            holding.bought_today += qty
            holding.buy_amount_today += amount
        else:
            cost = holding.average * qty
            account.cash[currency] = account.cash.get(currency, Decimal(0)) + amount
            holding.realized += amount - cost
            holding.cost -= cost
            holding.qty -= qty
            holding.sold_today += qty
            holding.sell_amount_today += amount
        order.filled_qty += qty
        order.open_qty = 0
        order.fill_price = price
        self._emit("filled", account, order, qty, price)

    def buying_power(self, account: Account, currency: str) -> Decimal:
        """Cash less what resting buys in that currency can cost; never below zero while every
        buy and every modification is checked against it."""
        with self.lock:
            held = sum(
                (o.open_qty * self.cost_price(o.symbol, o.exchange, o.price) for o in account.orders.values() if o.side == "buy" and o.is_open and self.currency_of(o.exchange) == currency),
                Decimal(0),
            )
            return account.cash.get(currency, Decimal(0)) - held

    def orderable(self, account: Account, exchange: str | None, symbol: str) -> int:
        holding = account.holdings.get((exchange, symbol))
        held = holding.qty if holding is not None else 0
        resting = sum(o.open_qty for o in account.orders.values() if o.side == "sell" and o.symbol == symbol and o.exchange == exchange)
        return held - resting

    def modify_or_cancel(
        self, account: Account, orgno: str | None, orgn_odno: str, cancel: bool, qty: int | None, price: Decimal, exchange: str | None = None, symbol: str | None = None, app_key: str | None = None
    ) -> Order:
        """Act on the open part of an order; KIS gives the modification or cancellation its own number.

        Domestic requests name the order's branch (``orgno``); overseas ones its exchange and symbol.
        """
        with self.lock:
            original = account.orders.get(orgn_odno.zfill(10))
            if (
                original is None
                or not original.is_open
                or (orgno is not None and original.orgno != orgno)
                or original.exchange != exchange
                or (symbol is not None and original.symbol != symbol)
            ):
                raise Rejection("SBX03003", f"정정/취소할 수 있는 주문이 없습니다: {orgno or exchange} {orgn_odno}")
            amount = original.open_qty if qty is None else qty
            if amount > original.open_qty:
                raise Rejection("SBX03003", f"정정/취소 수량 {amount}이 미체결 수량 {original.open_qty}보다 많습니다")
            limit = original.price if cancel else price or original.price
            if not cancel and original.side == "buy":
                # The modified part frees what it could cost at the old limit and must fit at the new one.
                currency = self.currency_of(original.exchange)
                each = self.cost_price(original.symbol, original.exchange, limit)
                available = self.buying_power(account, currency) + amount * self.cost_price(original.symbol, original.exchange, original.price)
                if amount * each > available:
                    raise Rejection("SBX03001", f"주문가능금액을 초과했습니다: 정정 {amount} x {each} {currency} > {available}")
            original.open_qty -= amount
            kst, local = self._stamp(original.exchange)
            odno = f"{next(self._order_numbers):010d}"
            record = Order(
                odno, original.orgno, original.side, original.symbol, original.exchange, amount, limit, 0 if cancel else amount,
                time=local.strftime("%H%M%S"), day=local.date(), kst_time=kst.strftime("%H%M%S"), kst_day=kst.date(),
                orgn_odno=original.odno, action="cancel" if cancel else "modify", ord_dvsn=original.ord_dvsn, app_key=app_key,
            )
            account.orders[odno] = record
            self._emit("cancelled" if cancel else "modified", account, record, amount, limit)
            if cancel:
                return record
            self._match(account, record)
            return record

    def open_orders(self, cano: str, product: str) -> list[Order]:
        with self.lock:
            return [order for order in self.account(cano, product).orders.values() if order.is_open]


def _request_key(values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(key), str(value)) for key, value in values.items()))


def hash_body(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
