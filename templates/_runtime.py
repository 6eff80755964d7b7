"""Runtime shared by every generated operation: errors, parsing, transport, tokens, limits.

This file is copied verbatim into the generated package; it knows nothing of any operation.
httpx is imported lazily so that ``import kis_client`` stays cheap.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import reprlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

# asyncio is imported where it is used: most bots never use the async client, and it costs
# about 25 ms at start-up. httpx likewise, until a client is made.
if TYPE_CHECKING:
    import asyncio

    import httpx

    from kis_client._token_cache import TokenCache, TokenSlot

logger = logging.getLogger("kis_client")

Labels = Literal["python", "wire", "ko"]
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Errors


class KisError(Exception):
    """Base class of every error kis_client raises.

    What to do: catch it to handle any of them; each subclass says what it means.
    """


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one request field, found before anything was sent."""

    field: str  # the wire name, as KIS spells it
    name: str  # the Python parameter name
    message: str

    def __str__(self) -> str:
        return f"{self.field} ({self.name}): {self.message}"


class ValidationError(KisError, ValueError):
    """A request broke the spec's rules; it was not sent. ``problems`` lists every one.

    What to do: fix the fields it names (``problems[i].field`` is the wire name).
    """

    def __init__(self, operation: str, problems: Sequence[FieldProblem]) -> None:
        self.operation = operation
        self.problems = tuple(problems)
        lines = "; ".join(str(problem) for problem in self.problems)
        count = len(self.problems)
        super().__init__(f"{operation}: {count} problem{'s' if count != 1 else ''}: {lines}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(problem.field for problem in self.problems)


class UnsupportedEnvironmentError(KisError):
    """The operation does not exist in this environment (for example real-only on mock); nothing
    was sent.

    What to do: on a mock account, use what docs/API.md names under "모의투자 계좌에서는".
    """

    def __init__(self, operation: str, env: str, supported: Sequence[str], branch: str | None = None) -> None:
        self.operation = operation
        self.env = env
        self.supported = tuple(supported)
        self.branch = branch  # the branch KIS offers on real accounts only ("period night"), if only some are
        if branch is not None:
            message = f"{operation} ({branch}) is not available on a {env} account (KIS offers it on real accounts only); nothing was sent"
        else:
            message = f"{operation} is not available on a {env} account (KIS supports it on: {', '.join(self.supported)}); nothing was sent"
        super().__init__(message)


class TrIdNotFoundError(KisError, LookupError):
    """The spec has no TR_ID for this combination of operation, environment, side, market.

    What to do: ask for a combination the operation has (docs/API.md lists its TR_IDs).
    """


class KisApiError(KisError):
    """KIS answered with rt_cd other than "0" (or an HTTP error with KIS's envelope).

    What to do: read ``msg_cd`` and ``msg1``; the reply is final (the client never resends a
    refused order).
    """

    def __init__(
        self,
        operation: str,
        rt_cd: str,
        msg_cd: str,
        msg1: str,
        *,
        status_code: int = 200,
        tr_id: str | None = None,
    ) -> None:
        self.operation = operation
        self.rt_cd = rt_cd
        self.msg_cd = msg_cd
        self.msg1 = msg1
        self.status_code = status_code
        self.tr_id = tr_id
        super().__init__(f"{operation}: KIS error {msg_cd} (rt_cd {rt_cd}): {msg1}")


class RateLimitError(KisApiError):
    """EGW00201: too many requests per second; KIS executed nothing.

    What to do: send it again later (the client already retried it as its RetryPolicy allows);
    keep the rate limiter on, one ``RateLimiter`` shared by the clients of one app key.
    """


class TokenError(KisApiError):
    """Token issuance failed (for example EGW00133, one token a minute).

    What to do: check the app key and secret; for EGW00133 let processes share the token cache
    (the default) or wait a minute.
    """


class ResponseParseError(KisError):
    """A response value could not be read as its declared kind, or a value KIS always sends is
    missing (``missing``). ``raw`` holds the whole body.

    What to do: the call itself went through (rt_cd "0"); read what you need from ``raw``, and
    report the value (KIS sent something the spec does not describe).
    """

    def __init__(self, operation: str, output: str, field: str, value: object, raw: object, *, missing: bool = False) -> None:
        self.operation = operation
        self.output = output
        self.field = field
        self.value = value
        self.raw = raw
        self.missing = missing
        where = f"{output}.{field}" if field else output
        if missing:
            super().__init__(f"{operation}: {where} is missing, though KIS always sends it in a successful reply")
        else:
            # reprlib: a huge or deeply nested value gives a short message, never a RecursionError.
            super().__init__(f"{operation}: {where}: cannot parse {reprlib.repr(value)}")


class TransportError(KisError):
    """The request could not be completed (connection, timeout, bad reply) after retries.

    What to do: check the network and KIS's status, then send it again (a read is safe to
    repeat; an order raises OrderStateUnknownError instead).
    """


class PaginationError(TransportError):
    """KIS's continuation made no sense (an unknown tr_cont, empty or repeated keys), or it
    still said "more" after the client's ``max_pages``.

    Raised instead of stopping early, so that a paged read never ends short without saying so.

    What to do: read the pages again from the first.
    """


class DeadlineExceededError(TransportError):
    """The call's overall deadline passed before it could complete; nothing was left in doubt.

    An order that may have reached KIS raises OrderStateUnknownError instead: this one means the
    order was never sent (the deadline passed while waiting for a token, the rate limit or a
    retry), or that a read gave up.

    What to do: send it again later, or give calls more time (the client's ``deadline``).
    """


class OrderStateUnknownError(TransportError):
    """An order may or may not have reached KIS. It was NOT resent: reconcile before retrying.

    ``sent`` is the request body (account numbers included, never credentials).

    What to do: check open orders or today's fills before sending it again.
    """

    def __init__(self, operation: str, tr_id: str | None, sent: Mapping[str, Any], cause: str) -> None:
        self.operation = operation
        self.tr_id = tr_id
        self.sent = dict(sent)
        self.cause = cause
        super().__init__(
            f"{operation} (tr_id {tr_id}): the order's state is unknown after {cause}; it was not "
            "resent. Check open orders or today's fills before sending it again."
        )


# ---------------------------------------------------------------------------------------------
# Parsing response values (KIS sends strings; "" means no value)


class _BadValue(Exception):
    pass


class _Missing(_BadValue):
    """A value KIS always sends is absent or blank."""


class _Unfit(Exception):
    """A value that does not fit a kind the spec inferred (not read in KIS's documents): kept as
    sent in ``extra``, never a parse error. Not a _BadValue, so field_error passes over it."""


def lenient(parse: Callable[[Any], T | None]) -> Callable[[Any], T | None]:
    """``parse`` for a field whose kind was inferred: a value that does not fit raises _Unfit."""

    def parse_or_keep(value: Any) -> T | None:
        try:
            return parse(value)
        except _BadValue:
            raise _Unfit from None

    return parse_or_keep


def present(value: T | None) -> T:
    """A field KIS always sends: None (absent or blank) is an error, not a value."""
    if value is None:
        raise _Missing
    return value


def required(parse: Callable[[Any], T | None]) -> Callable[[Any], T]:
    """``parse`` for a field KIS always sends (the careful path's twin of ``present``)."""

    def parse_present(value: Any) -> T:
        return present(parse(value))

    return parse_present


def text_of(value: Any) -> str:
    """An envelope value (rt_cd, msg_cd, msg1) as text, whatever KIS put there."""
    if type(value) is str:
        return value
    return "" if value is None else reprlib.repr(value)


# Each parser tries the common case (a non-empty string) first: a 50-row page runs them
# over a thousand times.


def p_text(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _BadValue


def p_int(value: Any) -> int | None:
    if type(value) is str:
        try:
            return int(value)  # surrounding spaces and a sign are fine
        except ValueError:
            return _int_slow(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None:
        return None
    raise _BadValue


def _int_slow(text: str) -> int | None:
    if not text.strip():
        return None
    # KIS pads some integer fields with decimals ("744.00000000").
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _BadValue from None
    # An exponent ("1e999999999") must not make a gigantic int; no KIS number has 100 digits.
    if not number.is_finite() or number.adjusted() >= 100 or number != number.to_integral_value():
        raise _BadValue
    return int(number)


def p_decimal(value: Any) -> Decimal | None:
    if type(value) is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            if not value.strip():
                return None
            raise _BadValue from None
        if not number.is_finite():
            raise _BadValue
        return number
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _BadValue


def p_date(value: Any) -> date | None:
    if type(value) is str and len(value) == 8 and value.isdigit() and value != "00000000":
        try:
            return date.fromisoformat(value)  # Python 3.11 reads YYYYMMDD
        except ValueError:
            raise _BadValue from None
    if value is None or value == "" or value == "00000000":
        return None
    raise _BadValue


def p_time(value: Any) -> dtime | None:
    if type(value) is str and len(value) == 6 and value.isdigit():
        try:
            return dtime.fromisoformat(value)  # Python 3.11 reads HHMMSS
        except ValueError:
            raise _BadValue from None
    if value is None or value == "":
        return None
    raise _BadValue


def p_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _BadValue
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _BadValue from None


def p_flag(value: Any) -> bool | None:
    if value == "Y":
        return True
    if value == "N":
        return False
    if value is None or value == "":
        return None
    raise _BadValue


# A response field for the careful path: python name, wire keys (the first present wins), parser.
Field = tuple[str, tuple[str, ...], Callable[[Any], Any]]

# What a generated parser's straight-line path raises on a row that is not plain KIS (a field
# missing, a value that is not a string, a string that is not its kind); the row is then parsed
# again by parse_carefully.
NOT_PLAIN = (LookupError, TypeError, ValueError, ArithmeticError, _BadValue)

NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def field_keys(fields: tuple[Field, ...]) -> frozenset[str]:
    return frozenset(key for _name, keys, _parse in fields for key in keys)


def parse_carefully(row: Mapping[str, Any], draft_cls: type, cls: type[T], fields: tuple[Field, ...], known: frozenset[str]) -> T:
    """A row the straight-line parser declined: numbers are accepted, missing fields are None,
    and a value that is not its kind raises _BadValue, unless the kind was inferred: then the
    field is None and the value stays in ``extra`` as KIS sent it (with a warning)."""
    draft: Any = object.__new__(draft_cls)
    unfit: dict[str, Any] = {}
    for name, keys, parse in fields:
        value = first_of(row, keys)
        try:
            setattr(draft, name, parse(value))
        except _Unfit:
            setattr(draft, name, None)
            unfit[next((key for key in keys if key in row), keys[0])] = value
    draft.extra = extra_of(row, known)
    if unfit:
        draft.extra = {**draft.extra, **unfit}
        shown = ", ".join(f"{key}={reprlib.repr(value)}" for key, value in unfit.items())
        logger.warning("%s: %s do not fit the kinds the spec inferred for them; kept as sent in extra, the fields are None", cls.__name__, shown)
    return frozen(draft, cls)


def field_error(operation: str, output: str, row: Mapping[str, Any], fields: tuple[Field, ...], raw: object) -> ResponseParseError:
    """Find which field of ``row`` failed, for the error message (the slow path only)."""
    for _name, keys, parse in fields:
        value = first_of(row, keys)
        try:
            parse(value)
        except _BadValue as error:
            wire = next((key for key in keys if key in row), keys[0])
            return ResponseParseError(operation, output, wire, value, raw, missing=isinstance(error, _Missing))
    return ResponseParseError(operation, output, "?", None, raw)


def extra_of(row: Mapping[str, Any], known: frozenset[str]) -> Mapping[str, Any]:
    """Fields KIS sent that the spec does not declare: kept, never an error."""
    if row.keys() <= known:
        return NO_EXTRA
    return {key: value for key, value in row.items() if key not in known}


def first_of(row: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value under the first of ``keys`` present: KIS spells some keys more than one way."""
    for key in keys:
        if key in row:
            return row[key]
    return None


def parse_rows(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    row_key: str | None,
    raw: object,
) -> Rows[T]:
    """A list output as typed rows, without KIS's all-blank padding rows."""
    rows: list[Mapping[str, Any]] = []
    try:
        rows = as_rows(value)
        if row_key is not None:
            rows = [row for row in rows if row.get(row_key) not in (None, "")]
        return Rows(map(parse, rows))
    except _BadValue:
        for row in rows:
            try:
                parse(row)
            except _BadValue:
                raise field_error(operation, output, row, fields, raw) from None
        raise ResponseParseError(operation, output, "", value, raw) from None


def parse_object(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    raw: object,
) -> T | None:
    try:
        row = as_object(value)
    except _BadValue:
        raise ResponseParseError(operation, output, "", value, raw) from None
    if row is None:
        return None
    try:
        return parse(row)
    except _BadValue:
        raise field_error(operation, output, row, fields, raw) from None


def parse_present_object(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    raw: object,
) -> T:
    """An object output that holds fields KIS always sends: missing, it is an error."""
    parsed = parse_object(operation, output, value, parse, fields, raw)
    if parsed is None:
        raise ResponseParseError(operation, output, "", value, raw, missing=True)
    return parsed


def as_rows(value: Any) -> list[Mapping[str, Any]]:
    """KIS sends lists, a lone object where a list is documented, or nothing at all."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [item for item in value if type(item) is dict or isinstance(item, Mapping)]
    if isinstance(value, Mapping):
        return [value]
    raise _BadValue


def as_object(value: Any) -> Mapping[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], Mapping) else None
    raise _BadValue


# ---------------------------------------------------------------------------------------------
# Models


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


class Model:
    """Base of generated response models: ``to_dict`` and masked secrets."""

    __slots__ = ()
    _WIRE: ClassVar[Mapping[str, str]] = {}
    _LABELS: ClassVar[Mapping[str, str]] = {}

    def to_dict(self, labels: Labels = "python") -> dict[str, Any]:
        names = self._WIRE if labels == "wire" else self._LABELS if labels == "ko" else None
        result: dict[str, Any] = {}
        for name in self._WIRE:
            key = names[name] if names is not None else name
            result[key] = _plain(getattr(self, name))
        return result


def frozen(draft: object, cls: type[T]) -> T:
    """Turn a filled draft into the frozen model with the same slots.

    A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``, which
    costs more than parsing the row; parsers fill a writable twin and switch its class.
    """
    object.__setattr__(draft, "__class__", cls)
    return draft  # type: ignore[return-value]


class Rows(tuple[T, ...], Generic[T]):
    """The rows of a list output; ``as_records`` gives plain dicts (for pandas and friends)."""

    __slots__ = ()

    def as_records(self, labels: Labels = "python") -> list[dict[str, Any]]:
        return [row.to_dict(labels) for row in self if isinstance(row, Model)]


@dataclass(frozen=True, slots=True)
class Continuation:
    """Where the next page starts: KIS's tr_cont header and the keys to send back, verbatim
    (request field, value); none for an operation KIS pages by tr_cont alone."""

    tr_cont: str
    keys: tuple[tuple[str, str], ...]
    has_more: bool

    @property
    def fk(self) -> str:
        """The CTX_AREA_FK key sent back ("" where the operation pages otherwise)."""
        return next((value for name, value in self.keys if name.startswith("CTX_AREA_FK")), "")

    @property
    def nk(self) -> str:
        """The CTX_AREA_NK key sent back ("" where the operation pages otherwise)."""
        return next((value for name, value in self.keys if name.startswith("CTX_AREA_NK")), "")


# ---------------------------------------------------------------------------------------------
# Calls


@dataclass(frozen=True, slots=True)
class OperationInfo:
    qualname: str
    method: str
    path: str
    kind: str  # "order", "read" or "auth"
    headers: tuple[str, ...]
    envs: tuple[str, ...]
    envelope: bool
    # (request field, response key, the object output holding it or None for the body) per key
    # sent back; () pages by tr_cont alone; None: not paged
    paging: tuple[tuple[str, str, str | None], ...] | None = None


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A validated request, ready to send."""

    operation: OperationInfo
    tr_id: str | None
    params: Mapping[str, Any] = field(repr=False)  # auth calls carry credentials
    tr_cont: str = ""

    def next_page(self, continuation: Continuation, next_tr_cont: str) -> PreparedCall:
        assert self.operation.paging is not None
        return PreparedCall(self.operation, self.tr_id, {**self.params, **dict(continuation.keys)}, next_tr_cont)


@dataclass(frozen=True, slots=True)
class Reply:
    status_code: int
    headers: Mapping[str, str]
    body: Any = field(repr=False)  # a token reply carries the token


@dataclass(frozen=True, slots=True)
class CallContext:
    """What generated ``prepare_*`` functions need from a client."""

    env: str
    account_number: str | None
    account_product: str | None
    credentials: Credentials | None = field(default=None, repr=False)
    token: Callable[[], str] | None = field(default=None, repr=False)


def plain(value: Any) -> Any:
    """Enum members become their wire string; anything else is left for the validator."""
    if type(value) is str:
        return value
    if isinstance(value, Enum):
        return value.value
    return value


def unencodable(value: str) -> bool:
    """A lone surrogate has no UTF-8: no request can carry it (the body or query would not encode)."""
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def side_of(value: Any, problems: list[FieldProblem]) -> str:
    side = plain(value)
    if side == "buy" or side == "sell":
        return str(side)
    problems.append(FieldProblem("side", "side", f"{side!r} is not Side.BUY or Side.SELL"))
    return ""


def bound(ctx: CallContext, kind: str, wire: str, problems: list[FieldProblem]) -> str:
    """A field the client fills in: account numbers, credentials, the token."""
    value: str | None
    if kind == "account_number":
        value = ctx.account_number
    elif kind == "account_product":
        value = ctx.account_product
    elif kind == "app_key":
        value = ctx.credentials.app_key if ctx.credentials is not None else None
    elif kind == "app_secret":
        value = ctx.credentials.app_secret if ctx.credentials is not None else None
    else:
        value = ctx.token() if ctx.token is not None else None
    if value is None:
        hint = "create the client with account='12345678-01'" if kind.startswith("account") else f"the client has no {kind}"
        problems.append(FieldProblem(wire, wire.lower(), f"no value: {hint}"))
        return ""
    return value


@dataclass(frozen=True, slots=True)
class Paging:
    more: tuple[str, ...]
    last: tuple[str, ...]
    next_tr_cont: str


def continuation_of(call: PreparedCall, reply: Reply, paging: Paging) -> Continuation | None:
    if call.operation.paging is None:
        return None
    tr_cont = reply.headers.get("tr_cont", "")
    body = reply.body if isinstance(reply.body, Mapping) else {}
    keys = []
    for request, response, output in call.operation.paging:
        holder = body if output is None else _object_in(body.get(output))
        value = holder.get(response, "")
        keys.append((request, value if isinstance(value, str) else ""))
    return Continuation(tr_cont, tuple(keys), tr_cont in paging.more)


def _object_in(value: Any) -> Mapping[str, Any]:
    """An object output as KIS sends it: an object, or a list holding one."""
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, Mapping) else {}


def walk_back(
    call: PreparedCall, wire: str, kind: str, values: Sequence[date | dtime | None], floor: str | None
) -> PreparedCall | None:
    """The call for the rows before the oldest of ``values``, or None when the walk is over.

    Over when no rows came, when the next bound would not be earlier than this one (KIS sent
    nothing older), or when it would fall below the ``floor`` field (a start date, say). A date
    range from the floor to the bound that holds only a Saturday and a Sunday is over too: no
    market KIS serves trades on them, and KIS would answer no rows.
    """
    found = [value for value in values if value is not None]
    if not found:
        return None
    if kind == "date":
        oldest_day = min(value for value in found if isinstance(value, date))
        if oldest_day == date.min:
            return None
        bound = oldest_day - timedelta(days=1)
        last_weekday = bound - timedelta(days=max(0, bound.weekday() - 4))
        if floor is not None and last_weekday.strftime("%Y%m%d") < str(call.params.get(floor, "")):
            return None
        bound_text = bound.strftime("%Y%m%d")
    else:
        oldest_time = min(value for value in found if isinstance(value, dtime))
        seconds = oldest_time.hour * 3600 + oldest_time.minute * 60 + oldest_time.second - 1
        if seconds < 0:
            return None
        bound_text = f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}"
    current = str(call.params.get(wire, ""))
    if current and bound_text >= current:
        return None
    if floor is not None and bound_text < str(call.params.get(floor, "")):
        return None
    return PreparedCall(call.operation, call.tr_id, {**call.params, wire: bound_text}, call.tr_cont)


# ---------------------------------------------------------------------------------------------
# Rate limiting: a sliding window shared by the threads (or tasks) of one client


class RateLimiter:
    """At most ``per_second`` calls in any one-second window (KIS counts calls per second).

    A token bucket would let twice the limit through around a second's edge; a window of the
    last calls' start times does not. The window is a little longer than a second so that
    network jitter cannot squeeze two windows into one of KIS's. Waits are reserved under a
    thread lock and slept outside it, so threads and asyncio tasks (``acquire_async`` never
    blocks the loop) share one limiter.
    """

    JITTER_MARGIN = 0.05  # seconds

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive; pass 0 to the client to turn it off")
        self.per_second = per_second
        self._calls = max(1, int(per_second))
        self._window = self._calls / per_second + self.JITTER_MARGIN  # 20/s: 20 per 1.05 s
        self._starts: deque[float] = deque(maxlen=self._calls)
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter({self.per_second}/s)"

    def reserve(self, max_wait: float = math.inf) -> float | None:
        """Book the next free start time; return how long the caller must wait for it, or None
        (booking nothing) when that would be longer than ``max_wait``."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._starts) == self._calls:
                start = max(now, self._starts[0] + self._window)
            if start - now > max_wait:
                return None
            self._starts.append(start)
            return start - now

    def acquire(self, max_wait: float = math.inf) -> bool:
        """Wait for a start; False (without waiting) when it is more than ``max_wait`` away."""
        delay = self.reserve(max_wait)
        if delay is None:
            return False
        if delay > 0:
            time.sleep(delay)
        return True

    async def acquire_async(self, max_wait: float = math.inf) -> bool:
        delay = self.reserve(max_wait)
        if delay is None:
            return False
        if delay > 0:
            import asyncio
            await asyncio.sleep(delay)
        return True


# ---------------------------------------------------------------------------------------------
# Retries


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Reads retry on faults; orders retry only where KIS provably executed nothing."""

    attempts: int = 4
    backoff: float = 0.2
    max_backoff: float = 5.0

    def delay(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * (2**attempt))
        return base * (0.5 + random.random() / 2)


# ---------------------------------------------------------------------------------------------
# Secrets


@dataclass(slots=True)
class Credentials:
    app_key: str = field(repr=False)
    app_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(app_key={mask(self.app_key)}, app_secret=***)"


def mask(secret: str) -> str:
    """Enough to tell two keys apart in a log, never enough to use one."""
    return f"{secret[:2]}***" if len(secret) >= 12 else "***"


class SecretFilter(logging.Filter):
    """Replaces any registered secret in log records of the kis_client logger."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


secret_filter = SecretFilter()
logger.addFilter(secret_filter)


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(slots=True)
class Token:
    """An access token. ``latest``: KIS handed it out already inside the renewal margin, so
    asking again before it expires would only get it back; it is used to its end."""

    value: str = field(repr=False)
    expires_at: float  # epoch seconds
    latest: bool = False

    def __repr__(self) -> str:
        return f"Token(value=***, expires_at={self.expires_at}, latest={self.latest})"

    def fresh(self, margin: float = 300.0) -> bool:
        return time.time() < self.expires_at - (0.0 if self.latest else margin)


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """The token operation, as the spec declares it."""

    operation: OperationInfo
    body: Callable[[Credentials], dict[str, str]]
    too_soon: str
    renew: tuple[str, ...]  # codes that call the token dead: expired, or unknown to the server
    min_interval: float
    lifetime: float


# Printable ASCII without surrounding spaces: what an HTTP header value can carry as is.
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
MAX_SECRET_LENGTH = 4096


def header_safe(value: str) -> bool:
    return len(value) <= MAX_SECRET_LENGTH and _HEADER_VALUE.fullmatch(value) is not None


def check_credential(name: str, value: object) -> str:
    """An app key or secret as it will go on the wire, or ValueError naming it (never its value).

    Checked before anything is sent: httpcore would log an illegal header value in full at
    DEBUG, outside the kis_client logger's mask.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required")
    if not header_safe(value):
        raise ValueError(
            f"{name} must be printable ASCII without surrounding whitespace or control characters "
            "(a value read from a file keeps its newline); the value is not shown"
        )
    return value


def sane_token(value: object, expires_at: object, lifetime: float, latest: object = False) -> Token | None:
    """A token record that can be trusted as one (from a reply or a cache file), or None."""
    if not isinstance(value, str) or not header_safe(value) or not isinstance(latest, bool):
        return None
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        return None
    try:
        seconds = float(expires_at)
    except OverflowError:  # an int with hundreds of digits
        return None
    if not math.isfinite(seconds) or seconds > time.time() + lifetime + 60:
        return None  # longer than any KIS token lives
    return Token(value, seconds, latest)


# ---------------------------------------------------------------------------------------------
# Transport cores


def _error_of(op: OperationInfo, tr_id: str | None, status: int, reason: str, body: Any) -> KisApiError | None:
    """KIS's refusal in ``body``, if it is one; raises _Unreadable if the outcome cannot be read.

    With KIS's envelope, rt_cd "0" is success and another number a KIS failure (final); a body
    without rt_cd, or with one that is neither, is no answer at all: an order may have run.
    """
    row: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    if not op.envelope:
        # OAuth endpoints answer errors as {"error_code": "EGW00133", "error_description": ...}.
        code = row.get("error_code")
        if code is None:
            return None
        message = text_of(row.get("error_description"))
        return TokenError(op.qualname, "1", text_of(code), message, status_code=status, tr_id=tr_id)
    rt_cd = row.get("rt_cd")
    if rt_cd == "0":
        return None
    if type(rt_cd) is str and rt_cd.isascii() and rt_cd.isdigit() and int(rt_cd) != 0:
        msg_cd = text_of(row.get("msg_cd"))
        kind = RateLimitError if msg_cd == "EGW00201" else KisApiError
        return kind(op.qualname, rt_cd, msg_cd, text_of(row.get("msg1")), status_code=status, tr_id=tr_id)
    if 400 <= status < 500:
        # The gateway refused the request outright: nothing ran, and repeating won't help.
        return KisApiError(op.qualname, "1", str(status), f"HTTP {status} {reason}", status_code=status, tr_id=tr_id)
    shown = "without rt_cd" if rt_cd is None else 'whose rt_cd is neither "0" nor a KIS failure code'
    raise _Unreadable(f"a reply {shown} (HTTP {status})")


@dataclass(slots=True)
class Settings:
    base_url: str
    env: str
    credentials: Credentials
    custtype: str
    token_spec: TokenSpec
    paging: Paging
    rate_limiter: RateLimiter | None
    retry: RetryPolicy
    token_cache: TokenCache
    token_slot: TokenSlot
    hashkey: Callable[[Mapping[str, Any]], PreparedCall] | None
    timeout: float  # seconds for each read or write
    connect_timeout: float
    deadline: float  # seconds for a whole call: waits, retries and reading included
    max_reply_bytes: int  # decoded
    max_pages: int | None


class _Unreadable(Exception):
    """A reply that is no answer (5xx, not JSON, no rt_cd, too big, too slow): a read may be
    repeated, an order not."""


class _PastDeadline(_Unreadable):
    """A reply still arriving when the call's deadline passed."""


def _never_sent(error: BaseException) -> bool:
    """True only where the request provably never left this machine (no connection was made)."""
    import httpx

    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol))


def _describe(error: BaseException) -> str:
    """A fault's kind without its text: httpx messages can echo URLs, never headers, but be safe."""
    if isinstance(error, _Unreadable):
        return str(error)
    return type(error).__name__


class _Body:
    """A reply's decoded bytes as they arrive, within the size cap and the call's deadline."""

    __slots__ = ("chunks", "size", "limit", "deadline", "seconds")

    def __init__(self, limit: int, deadline: float, seconds: float) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit
        self.deadline = deadline
        self.seconds = seconds

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _Unreadable(f"a reply over {self.limit} bytes (max_reply_bytes)")
        if time.monotonic() > self.deadline:
            raise _PastDeadline(f"a reply still arriving at the call's {self.seconds:g} s deadline")
        self.chunks.append(chunk)

    def value(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


class _CoreBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._token: Token | None = None
        self._token_lock = threading.Lock()
        secret_filter.add(settings.credentials.app_key)
        secret_filter.add(settings.credentials.app_secret)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(env={self.settings.env!r}, base_url={self.settings.base_url!r})"

    def deadline(self, given: float | None) -> float:
        """The monotonic time by which a call must be over (a nested call keeps its caller's)."""
        return given if given is not None else time.monotonic() + self.settings.deadline

    def out_of_time(self, call: PreparedCall, waiting_for: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{call.operation.qualname}: the call's {self.settings.deadline:g} s deadline passed while waiting for {waiting_for}; nothing was sent"
        )

    def headers(self, call: PreparedCall, token: str | None, hashkey: str | None) -> dict[str, str]:
        wanted = call.operation.headers
        creds = self.settings.credentials
        result: dict[str, str] = {}
        for name in wanted:
            if name == "content-type":
                result[name] = "application/json; charset=utf-8"
            elif name == "authorization":
                result[name] = f"Bearer {token}"
            elif name == "appkey":
                result[name] = creds.app_key
            elif name == "appsecret":
                result[name] = creds.app_secret
            elif name == "tr_id" and call.tr_id is not None:
                result[name] = call.tr_id
            elif name == "custtype":
                result[name] = self.settings.custtype
            elif name == "tr_cont":
                result[name] = call.tr_cont
        if hashkey is not None:
            result["hashkey"] = hashkey
        return result

    def request_args(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> dict[str, Any]:
        import httpx

        settings = self.settings
        left = max(deadline - time.monotonic(), 0.001)
        read = min(settings.timeout, left)
        connect = min(settings.connect_timeout, left)
        args: dict[str, Any] = {
            "method": call.operation.method,
            "url": settings.base_url + call.operation.path,
            "headers": headers,
            "timeout": httpx.Timeout(read, connect=connect, pool=connect),
        }
        if call.operation.method == "GET":
            args["params"] = dict(call.params)
        else:
            args["content"] = body_bytes(call.params)
        return args

    def body(self, deadline: float) -> _Body:
        return _Body(self.settings.max_reply_bytes, deadline, self.settings.deadline)

    def decode(self, call: PreparedCall, response: httpx.Response, content: bytes) -> Reply:
        """KIS's answer, or an exception. Only a definite answer is ever returned for an order."""
        op = call.operation
        status = response.status_code
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
            if 400 <= status < 500:
                # The gateway refused the request outright: nothing ran, and repeating won't help.
                raise KisApiError(op.qualname, "1", str(status), f"HTTP {status} {response.reason_phrase}", status_code=status, tr_id=call.tr_id) from None
            raise _Unreadable(f"a reply that is not JSON (HTTP {status})") from None
        error = _error_of(op, call.tr_id, status, response.reason_phrase, body)
        if error is not None:
            raise error
        if status >= 500:
            raise _Unreadable(f"HTTP {status}")
        if status >= 400:
            raise KisApiError(op.qualname, "1", str(status), response.reason_phrase, status_code=status, tr_id=call.tr_id)
        return Reply(status, {"tr_cont": response.headers.get("tr_cont", "")}, body)

    def token_from(self, reply: Reply) -> Token:
        body = reply.body if isinstance(reply.body, Mapping) else {}
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise TransportError("the token reply has no access_token")
        secret_filter.add(value)
        lifetime = self.settings.token_spec.lifetime
        seconds = body.get("expires_in")
        if type(seconds) is str and seconds.isascii() and seconds.isdigit() and len(seconds) < 16:
            seconds = int(seconds)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
            seconds = lifetime  # absent or unreadable: KIS's tokens live this long
        token = sane_token(value, time.time() + min(seconds, lifetime), lifetime)
        if token is None:
            # Never sent: httpcore would refuse the header and log it, value and all, at DEBUG.
            raise TransportError("the token reply's access_token cannot be sent in a header (not shown)")
        return token

    def token_call(self) -> PreparedCall:
        spec = self.settings.token_spec
        return PreparedCall(spec.operation, None, spec.body(self.settings.credentials))

    def cached_token(self) -> Token | None:
        """This client's token, or one another client or process stored; None if none is fresh."""
        cache = self.settings.token_cache
        if cache.fresh(self._token):
            return self._token
        token = cache.load(self.settings.token_slot)
        if cache.fresh(token):
            self._token = token
            return token
        return None

    def _forget_memory(self, stale: Token | None) -> str | None:
        stale = stale if stale is not None else self._token
        if stale is None:
            return None
        if self._token is not None and self._token.value == stale.value:
            self._token = None
        return stale.value

    def hash_of(self, reply: Reply) -> str:
        value = reply.body.get("HASH") if isinstance(reply.body, Mapping) else None
        if not isinstance(value, str) or not value or not header_safe(value):
            raise TransportError("the hashkey reply has no usable HASH; the order was not sent")
        return value

    def on_failure(self, call: PreparedCall, error: Exception, attempt: int, renewed: bool, deadline: float) -> float | None:
        """What to do after a failed attempt: None renews the token, a number waits and retries.

        Raises when the call must not be repeated. An order is repeated only where KIS provably
        executed nothing: EGW00201, a token KIS called expired or unknown, or a connection that
        never opened. No retry starts that the call's deadline cannot wait for.
        """
        op = call.operation
        retry = self.settings.retry
        if isinstance(error, KisApiError):
            dead_token = error.msg_cd in self.settings.token_spec.renew
            if dead_token and "authorization" in op.headers and not renewed:
                logger.info("%s: KIS refused the token (%s); getting a new one and repeating once", op.qualname, error.msg_cd)
                return None
            if isinstance(error, RateLimitError) and attempt + 1 < retry.attempts:
                delay = retry.delay(attempt)
                if time.monotonic() + delay < deadline:
                    logger.warning("%s: rate limited (%s); retrying", op.qualname, error.msg_cd)
                    return delay
            raise error
        cause = _describe(error)
        if op.kind == "order" and not _never_sent(error):
            logger.error("%s (tr_id %s): order state unknown after %s; not resent", op.qualname, call.tr_id, cause)
            raise OrderStateUnknownError(op.qualname, call.tr_id, call.params, cause) from None
        if isinstance(error, _PastDeadline):
            raise DeadlineExceededError(f"{op.qualname}: {cause}") from None
        if attempt + 1 >= retry.attempts:
            raise TransportError(f"{op.qualname}: {cause} after {attempt + 1} attempts") from None
        delay = retry.delay(attempt)
        if time.monotonic() + delay >= deadline:
            raise DeadlineExceededError(
                f"{op.qualname}: {cause} after {attempt + 1} attempt{'s' if attempt else ''}; the call's {self.settings.deadline:g} s deadline leaves no time for another"
            ) from None
        logger.warning("%s: %s; retrying", op.qualname, cause)
        return delay

    def next_page(self, call: PreparedCall, reply: Reply, seen: set[tuple[tuple[str, str], ...]], count: int) -> PreparedCall | None:
        """The request for the page after ``reply`` (the ``count``-th), None after the last;
        never a silent stop."""
        paging = self.settings.paging
        continuation = continuation_of(call, reply, paging)
        if continuation is None or continuation.tr_cont in paging.last or continuation.tr_cont == "":
            return None
        name = call.operation.qualname
        if not continuation.has_more:
            raise PaginationError(f"{name}: KIS sent tr_cont {continuation.tr_cont!r}, neither more ({'/'.join(paging.more)}) nor last ({'/'.join(paging.last)}); stopping instead of guessing")
        # Keys KIS sends back must move on; an operation paged by tr_cont alone has none, and
        # max_pages is what stops a read that never ends.
        if continuation.keys and not any(value.strip() for _, value in continuation.keys):
            shown = ", ".join(request for request, _ in continuation.keys)
            raise PaginationError(f"{name}: KIS said more pages follow (tr_cont {continuation.tr_cont!r}) but sent empty continuation keys ({shown}); the next request would start over")
        if continuation.keys and continuation.keys in seen:
            raise PaginationError(f"{name}: KIS sent the same continuation keys twice; stopping instead of looping")
        limit = self.settings.max_pages
        if limit is not None and count >= limit:
            raise PaginationError(f"{name}: KIS still says more pages follow after {count} pages, the client's max_pages; raise it (or pass max_pages=None) to read further")
        seen.add(continuation.keys)
        return call.next_page(continuation, paging.next_tr_cont)

    def limited(self, call: PreparedCall) -> RateLimiter | None:
        # Token issuance has its own limit (one a minute) and happens while others wait for it.
        if call.operation is self.settings.token_spec.operation:
            return None
        return self.settings.rate_limiter


def body_bytes(params: Mapping[str, Any]) -> bytes:
    """The JSON body, byte for byte the same for the hashkey request and the order."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        super().__init__(settings)
        self.http = client

    def close(self) -> None:
        self.http.close()

    def token(self, deadline: float | None = None) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        deadline = self.deadline(deadline)
        if not self._token_lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
            raise DeadlineExceededError(f"the call's {self.settings.deadline:g} s deadline passed while another thread was getting a token")
        try:
            cached = self.cached_token()
            if cached is not None:
                return cached
            settings = self.settings
            token = settings.token_cache.obtain(settings.token_slot, lambda: self._issue(deadline), too_soon=settings.token_spec.too_soon, deadline=deadline)
            self._token = token
            return token
        finally:
            self._token_lock.release()

    def _issue(self, deadline: float) -> Token:
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(self.send(self.token_call(), deadline))

    def forget_token(self, stale: Token | None = None, deadline: float | None = None) -> None:
        value = self._forget_memory(stale)
        if value is not None:
            self.settings.token_cache.discard(self.settings.token_slot, value, deadline)

    def exchange(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> Reply:
        """One request and its whole reply, streamed within the size cap and the deadline."""
        http = self.http
        response = http.send(http.build_request(**self.request_args(call, headers, deadline)), stream=True)
        try:
            body = self.body(deadline)
            for chunk in response.iter_bytes():
                body.add(chunk)
        finally:
            response.close()
        return self.decode(call, response, body.value())

    def send(self, call: PreparedCall, deadline: float | None = None) -> Reply:
        import httpx

        op = call.operation
        deadline = self.deadline(deadline)
        needs_token = "authorization" in op.headers
        hashkey = None
        if self.settings.hashkey is not None and op.kind == "order":
            hashkey = self.hash_of(self.send(self.settings.hashkey(call.params), deadline))
        renewed = False
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise self.out_of_time(call, "its turn")
            token = self.token(deadline) if needs_token else None
            limiter = self.limited(call)
            if limiter is not None and not limiter.acquire(deadline - time.monotonic()):
                raise self.out_of_time(call, "the rate limit")
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                headers = self.headers(call, token.value if token is not None else None, hashkey)
                return self.exchange(call, headers, deadline)
            except (KisApiError, httpx.RequestError, _Unreadable) as error:
                wait = self.on_failure(call, error, attempt, renewed, deadline)
            if wait is None:
                renewed = True
                self.forget_token(token, deadline)
            else:
                attempt += 1
                time.sleep(wait)

    def pages(self, call: PreparedCall) -> Iterator[tuple[PreparedCall, Reply]]:
        """Every page, following tr_cont (and the keys KIS sends back) until KIS says it is the last."""
        seen: set[tuple[tuple[str, str], ...]] = set()
        page: PreparedCall | None = call
        count = 0
        while page is not None:
            reply = self.send(page)
            count += 1
            yield page, reply
            page = self.next_page(page, reply, seen, count)


class AsyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        super().__init__(settings)
        self.http = client
        self._async_lock: asyncio.Lock | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def token(self, deadline: float | None = None) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        import asyncio

        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        deadline = self.deadline(deadline)
        try:
            # asyncio.timeout, not wait_for: a cancelled Lock.acquire never holds the lock.
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                await self._async_lock.acquire()
        except TimeoutError:
            raise DeadlineExceededError(f"the call's {self.settings.deadline:g} s deadline passed while another task was getting a token") from None
        try:
            cached = self.cached_token()
            if cached is not None:
                return cached
            settings = self.settings
            token = await settings.token_cache.obtain_async(settings.token_slot, lambda: self._issue(deadline), too_soon=settings.token_spec.too_soon, deadline=deadline)
            self._token = token
            return token
        finally:
            self._async_lock.release()

    async def _issue(self, deadline: float) -> Token:
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(await self.send(self.token_call(), deadline))

    async def forget_token(self, stale: Token | None = None, deadline: float | None = None) -> None:
        value = self._forget_memory(stale)
        if value is not None:
            await self.settings.token_cache.discard_async(self.settings.token_slot, value, deadline)

    async def exchange(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> Reply:
        http = self.http
        response = await http.send(http.build_request(**self.request_args(call, headers, deadline)), stream=True)
        try:
            body = self.body(deadline)
            async for chunk in response.aiter_bytes():
                body.add(chunk)
        finally:
            await response.aclose()
        return self.decode(call, response, body.value())

    async def send(self, call: PreparedCall, deadline: float | None = None) -> Reply:
        import httpx

        op = call.operation
        deadline = self.deadline(deadline)
        needs_token = "authorization" in op.headers
        hashkey = None
        if self.settings.hashkey is not None and op.kind == "order":
            hashkey = self.hash_of(await self.send(self.settings.hashkey(call.params), deadline))
        renewed = False
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise self.out_of_time(call, "its turn")
            token = await self.token(deadline) if needs_token else None
            limiter = self.limited(call)
            if limiter is not None and not await limiter.acquire_async(deadline - time.monotonic()):
                raise self.out_of_time(call, "the rate limit")
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                headers = self.headers(call, token.value if token is not None else None, hashkey)
                return await self.exchange(call, headers, deadline)
            except (KisApiError, httpx.RequestError, _Unreadable) as error:
                wait = self.on_failure(call, error, attempt, renewed, deadline)
            if wait is None:
                renewed = True
                await self.forget_token(token, deadline)
            else:
                attempt += 1
                import asyncio
                await asyncio.sleep(wait)

    async def pages(self, call: PreparedCall) -> AsyncIterator[tuple[PreparedCall, Reply]]:
        seen: set[tuple[tuple[str, str], ...]] = set()
        page: PreparedCall | None = call
        count = 0
        while page is not None:
            reply = await self.send(page)
            count += 1
            yield page, reply
            page = self.next_page(page, reply, seen, count)


# ---------------------------------------------------------------------------------------------
# Client construction helpers

_ACCOUNT = re.compile(r"([0-9]{8})-?([0-9]{2})")  # ASCII digits: str.isdigit() takes ١٢٣ too


def parse_account(account: str | None) -> tuple[str | None, str | None]:
    """``"12345678-01"`` (or ``"1234567801"``) into (CANO, ACNT_PRDT_CD)."""
    if account is None or account == "":
        return None, None
    match = _ACCOUNT.fullmatch(account) if isinstance(account, str) else None
    if match is None:
        raise ValueError("account must look like 12345678-01 (8 ASCII digits for CANO, a dash, 2 for the product code); the value is not shown")
    return match.group(1), match.group(2)


def check_env(env: str, envs: Sequence[str]) -> str:
    value = str(env)
    if value not in envs:
        raise ValueError(f"env must be one of {', '.join(envs)}; got {value!r}")
    return value


def check_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds")
    return float(value)


def check_count(name: str, value: object) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a whole number, 1 or more")
    return value
