"""Runtime shared by every generated operation: errors, parsing, transport, tokens, limits.

This file is copied verbatim into the generated package; it knows nothing of any operation.
httpx is imported lazily so that ``import kis_client`` stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

if TYPE_CHECKING:
    import httpx

    from kis_client._token_cache import TokenCache

logger = logging.getLogger("kis_client")

Labels = Literal["python", "wire", "ko"]
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Errors


class KisError(Exception):
    """Base class of every error kis_client raises."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one request field, found before anything was sent."""

    field: str  # the wire name, as KIS spells it
    name: str  # the Python parameter name
    message: str

    def __str__(self) -> str:
        return f"{self.field} ({self.name}): {self.message}"


class ValidationError(KisError, ValueError):
    """A request broke the spec's rules; it was not sent. ``problems`` lists every one."""

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
    """The operation does not exist in this environment (for example real-only on mock)."""

    def __init__(self, operation: str, env: str, supported: Sequence[str]) -> None:
        self.operation = operation
        self.env = env
        self.supported = tuple(supported)
        super().__init__(
            f"{operation} is not available on a {env} account (KIS supports it on: "
            f"{', '.join(self.supported)}); nothing was sent"
        )


class TrIdNotFoundError(KisError, LookupError):
    """The spec has no TR_ID for this combination of operation, environment, side, market."""


class KisApiError(KisError):
    """KIS answered with rt_cd other than "0" (or an HTTP error with KIS's envelope)."""

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
    """EGW00201: too many requests per second; KIS executed nothing."""


class TokenError(KisApiError):
    """Token issuance failed (for example EGW00133, one token a minute)."""


class ResponseParseError(KisError):
    """A response value could not be read as its declared kind. ``raw`` holds the whole body."""

    def __init__(self, operation: str, output: str, field: str, value: object, raw: object) -> None:
        self.operation = operation
        self.output = output
        self.field = field
        self.value = value
        self.raw = raw
        super().__init__(f"{operation}: {output}.{field}: cannot parse {value!r}")


class TransportError(KisError):
    """The request could not be completed (connection, timeout, bad reply) after retries."""


class OrderStateUnknownError(TransportError):
    """An order may or may not have reached KIS. It was NOT resent: reconcile before retrying.

    ``sent`` is the request body (account numbers included, never credentials).
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


def p_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _BadValue


def p_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        if value is None:
            return None
        raise _BadValue
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        # KIS pads some integer fields with decimals ("744.00000000").
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _BadValue from None
        if number != number.to_integral_value():
            raise _BadValue from None
        return int(number)


def p_decimal(value: Any) -> Decimal | None:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
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
    if value is None or value == "" or value == "00000000":
        return None
    if not isinstance(value, str) or len(value) != 8 or not value.isdigit():
        raise _BadValue
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _BadValue from None


def p_time(value: Any) -> dtime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 6 or not value.isdigit():
        raise _BadValue
    try:
        return dtime(int(value[:2]), int(value[2:4]), int(value[4:]))
    except ValueError:
        raise _BadValue from None


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


def field_error(operation: str, output: str, row: Mapping[str, Any], fields: Mapping[str, Callable[[Any], Any]], raw: object) -> ResponseParseError:
    """Find which field of ``row`` failed, for the error message (the slow path only)."""
    for wire, parse in fields.items():
        try:
            parse(row.get(wire))
        except _BadValue:
            return ResponseParseError(operation, output, wire, row.get(wire), raw)
    return ResponseParseError(operation, output, "?", None, raw)


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def extra_of(row: Mapping[str, Any], known: frozenset[str]) -> Mapping[str, Any]:
    """Fields KIS sent that the spec does not declare: kept, never an error."""
    if row.keys() <= known:
        return _EMPTY
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
    fields: Mapping[str, Callable[[Any], Any]],
    row_key: str | None,
    raw: object,
) -> Rows[T]:
    """A list output as typed rows, without KIS's all-blank padding rows."""
    rows: list[Mapping[str, Any]] = []
    try:
        rows = as_rows(value)
        if row_key is None:
            return Rows(parse(row) for row in rows)
        return Rows(parse(row) for row in rows if row.get(row_key) not in (None, ""))
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
    fields: Mapping[str, Callable[[Any], Any]],
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


def as_rows(value: Any) -> list[Mapping[str, Any]]:
    """KIS sends lists, a lone object where a list is documented, or nothing at all."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
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


class Rows(tuple[T, ...], Generic[T]):
    """The rows of a list output; ``as_records`` gives plain dicts (for pandas and friends)."""

    __slots__ = ()

    def as_records(self, labels: Labels = "python") -> list[dict[str, Any]]:
        return [row.to_dict(labels) for row in self if isinstance(row, Model)]


@dataclass(frozen=True, slots=True)
class Continuation:
    """Where the next page starts: KIS's tr_cont header and the CTX_AREA keys, verbatim."""

    tr_cont: str
    fk: str
    nk: str
    has_more: bool


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
    paging: tuple[str, str, str, str] | None = None  # request fk, nk; response fk, nk


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A validated request, ready to send."""

    operation: OperationInfo
    tr_id: str | None
    params: Mapping[str, Any] = field(repr=False)  # auth calls carry credentials
    tr_cont: str = ""

    def next_page(self, continuation: Continuation, next_tr_cont: str) -> PreparedCall:
        assert self.operation.paging is not None
        fk, nk = self.operation.paging[0], self.operation.paging[1]
        params = {**self.params, fk: continuation.fk, nk: continuation.nk}
        return PreparedCall(self.operation, self.tr_id, params, next_tr_cont)


@dataclass(frozen=True, slots=True)
class Reply:
    status_code: int
    headers: Mapping[str, str]
    body: Any


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
    fk = body.get(call.operation.paging[2], "")
    nk = body.get(call.operation.paging[3], "")
    fk = fk if isinstance(fk, str) else ""
    nk = nk if isinstance(nk, str) else ""
    return Continuation(tr_cont, fk, nk, tr_cont in paging.more)


def walk_back(
    call: PreparedCall, wire: str, kind: str, values: Sequence[date | dtime | None], floor: str | None
) -> PreparedCall | None:
    """The call for the rows before the oldest of ``values``, or None when the walk is over.

    Over when no rows came, when the next bound would not be earlier than this one (KIS sent
    nothing older), or when it would fall below the ``floor`` field (a start date, say).
    """
    found = [value for value in values if value is not None]
    if not found:
        return None
    if kind == "date":
        oldest_day = min(value for value in found if isinstance(value, date))
        if oldest_day == date.min:
            return None
        bound_text = (oldest_day - timedelta(days=1)).strftime("%Y%m%d")
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
# Rate limiting: a token bucket shared by the threads (or tasks) of one client


class RateLimiter:
    """At most ``per_second`` calls a second, with a burst of one second's worth."""

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive; pass None to turn it off")
        self.per_second = per_second
        self._capacity = max(1.0, per_second)
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take one token; return how long the caller must wait before using it."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.per_second)
            self._stamp = now
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.per_second

    def acquire(self) -> None:
        delay = self._reserve()
        if delay > 0:
            time.sleep(delay)

    async def acquire_async(self) -> None:
        delay = self._reserve()
        if delay > 0:
            await asyncio.sleep(delay)


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
    value: str = field(repr=False)
    expires_at: float  # epoch seconds

    def __repr__(self) -> str:
        return f"Token(value=***, expires_at={self.expires_at})"

    def fresh(self, margin: float = 300.0) -> bool:
        return time.time() < self.expires_at - margin


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """The token operation, as the spec declares it."""

    operation: OperationInfo
    body: Callable[[Credentials], dict[str, str]]
    too_soon: str
    expired: str
    min_interval: float


# ---------------------------------------------------------------------------------------------
# Transport cores


def _error_of(operation: str, tr_id: str | None, status: int, body: Any) -> KisApiError | None:
    if not isinstance(body, Mapping):
        return None
    rt_cd = body.get("rt_cd")
    if rt_cd is None:
        # OAuth endpoints answer errors as error_code / error_description.
        code = body.get("error_code") or body.get("msg_cd")
        if code is None:
            return None
        message = str(body.get("error_description") or body.get("msg1") or "")
        return TokenError(operation, "1", str(code), message, status_code=status, tr_id=tr_id)
    if str(rt_cd) == "0":
        return None
    msg_cd = str(body.get("msg_cd", ""))
    msg1 = str(body.get("msg1", ""))
    kind = RateLimitError if msg_cd == "EGW00201" else KisApiError
    return kind(operation, str(rt_cd), msg_cd, msg1, status_code=status, tr_id=tr_id)


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
    token_cache: TokenCache | None
    hashkey: Callable[[Mapping[str, Any]], PreparedCall] | None


class _CoreBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._token: Token | None = None
        self._token_lock = threading.Lock()
        secret_filter.add(settings.credentials.app_key)
        secret_filter.add(settings.credentials.app_secret)

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

    def request_args(self, call: PreparedCall, headers: dict[str, str]) -> dict[str, Any]:
        url = self.settings.base_url + call.operation.path
        if call.operation.method == "GET":
            return {"method": "GET", "url": url, "params": dict(call.params), "headers": headers}
        content = json.dumps(call.params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return {"method": "POST", "url": url, "content": content, "headers": headers}

    def decode(self, call: PreparedCall, response: httpx.Response) -> Reply:
        try:
            body = response.json()
        except ValueError:
            raise _Retryable(f"a reply that is not JSON (HTTP {response.status_code})") from None
        error = _error_of(call.operation.qualname, call.tr_id, response.status_code, body)
        if error is not None:
            raise error
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise KisApiError(call.operation.qualname, "1", str(response.status_code), response.reason_phrase, status_code=response.status_code, tr_id=call.tr_id)
        headers = {"tr_cont": response.headers.get("tr_cont", "")}
        return Reply(response.status_code, headers, body)

    def token_from(self, reply: Reply) -> Token:
        body = reply.body if isinstance(reply.body, Mapping) else {}
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise TransportError("token reply has no access_token")
        secret_filter.add(value)
        lifetime = body.get("expires_in", 86400)
        try:
            seconds = float(lifetime)
        except (TypeError, ValueError):
            seconds = 86400.0
        return Token(value, time.time() + seconds)

    def cached_token(self) -> Token | None:
        if self._token is not None and self._token.fresh():
            return self._token
        cache = self.settings.token_cache
        if cache is not None:
            token = cache.load(self.settings.env, self.settings.credentials.app_key)
            if token is not None and token.fresh():
                secret_filter.add(token.value)
                self._token = token
                return token
        return None

    def forget_token(self, stale: Token | None) -> None:
        if self._token is stale:
            self._token = None
        cache = self.settings.token_cache
        if cache is not None and stale is not None:
            cache.discard(self.settings.env, self.settings.credentials.app_key, stale.value)


class _Retryable(Exception):
    """A fault after which a read may be repeated (and an order may not)."""


def _may_retry_order(error: BaseException) -> bool:
    """True only where the request provably never reached KIS's order engine."""
    if isinstance(error, RateLimitError):
        return True
    import httpx

    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class SyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        super().__init__(settings)
        self.http = client

    def close(self) -> None:
        self.http.close()

    def token(self) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        with self._token_lock:
            cached = self.cached_token()
            if cached is not None:
                return cached
            cache = self.settings.token_cache
            if cache is None:
                token = self._issue()
            else:
                token = cache.obtain(self.settings.env, self.settings.credentials.app_key, self._issue, time.sleep)
            self._token = token
            return token

    def _issue(self) -> Token:
        spec = self.settings.token_spec
        call = PreparedCall(spec.operation, None, spec.body(self.settings.credentials))
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(self._send_once(call, None))

    def _send_once(self, call: PreparedCall, token: Token | None) -> Reply:
        hashkey = None
        if self.settings.hashkey is not None and call.operation.kind == "order":
            hashkey = self.send(self.settings.hashkey(call.params)).body.get("HASH")
        headers = self.headers(call, token.value if token is not None else None, hashkey)
        if self.settings.rate_limiter is not None and call.operation.kind != "auth":
            self.settings.rate_limiter.acquire()
        response = self.http.request(**self.request_args(call, headers))
        return self.decode(call, response)

    def send(self, call: PreparedCall) -> Reply:
        import httpx

        op = call.operation
        needs_token = "authorization" in op.headers
        retry = self.settings.retry
        renewed = False
        attempt = 0
        while True:
            token = self.token() if needs_token else None
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                return self._send_once(call, token)
            except KisApiError as error:
                if error.msg_cd == self.settings.token_spec.expired and needs_token and not renewed:
                    renewed = True
                    self.forget_token(token)
                    continue
                if isinstance(error, RateLimitError) and attempt + 1 < retry.attempts:
                    time.sleep(retry.delay(attempt))
                    attempt += 1
                    continue
                raise
            except (httpx.TransportError, _Retryable) as error:
                if op.kind == "order" and not _may_retry_order(error):
                    raise OrderStateUnknownError(op.qualname, call.tr_id, call.params, _describe(error)) from None
                if attempt + 1 >= retry.attempts:
                    raise TransportError(f"{op.qualname}: {_describe(error)} after {attempt + 1} attempts") from None
                logger.warning("%s: %s; retrying", op.qualname, _describe(error))
                time.sleep(retry.delay(attempt))
                attempt += 1

    def pages(self, call: PreparedCall) -> Iterator[tuple[PreparedCall, Reply]]:
        """Every page, following tr_cont and the CTX_AREA keys until KIS says it is the last."""
        seen: set[tuple[str, str]] = set()
        while True:
            reply = self.send(call)
            yield call, reply
            continuation = continuation_of(call, reply, self.settings.paging)
            if continuation is None or not continuation.has_more:
                return
            key = (continuation.fk, continuation.nk)
            if key in seen:
                raise TransportError(f"{call.operation.qualname}: KIS sent the same continuation key twice; stopping instead of looping")
            seen.add(key)
            call = call.next_page(continuation, self.settings.paging.next_tr_cont)


class AsyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        super().__init__(settings)
        self.http = client
        self._async_lock: asyncio.Lock | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def token(self) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        async with self._async_lock:
            cached = self.cached_token()
            if cached is not None:
                return cached
            cache = self.settings.token_cache
            if cache is None:
                token = await self._issue()
            else:
                token = await cache.obtain_async(self.settings.env, self.settings.credentials.app_key, self._issue)
            self._token = token
            return token

    async def _issue(self) -> Token:
        spec = self.settings.token_spec
        call = PreparedCall(spec.operation, None, spec.body(self.settings.credentials))
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(await self._send_once(call, None))

    async def _send_once(self, call: PreparedCall, token: Token | None) -> Reply:
        hashkey = None
        if self.settings.hashkey is not None and call.operation.kind == "order":
            hashkey = (await self.send(self.settings.hashkey(call.params))).body.get("HASH")
        headers = self.headers(call, token.value if token is not None else None, hashkey)
        if self.settings.rate_limiter is not None and call.operation.kind != "auth":
            await self.settings.rate_limiter.acquire_async()
        response = await self.http.request(**self.request_args(call, headers))
        return self.decode(call, response)

    async def send(self, call: PreparedCall) -> Reply:
        import httpx

        op = call.operation
        needs_token = "authorization" in op.headers
        retry = self.settings.retry
        renewed = False
        attempt = 0
        while True:
            token = await self.token() if needs_token else None
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                return await self._send_once(call, token)
            except KisApiError as error:
                if error.msg_cd == self.settings.token_spec.expired and needs_token and not renewed:
                    renewed = True
                    self.forget_token(token)
                    continue
                if isinstance(error, RateLimitError) and attempt + 1 < retry.attempts:
                    await asyncio.sleep(retry.delay(attempt))
                    attempt += 1
                    continue
                raise
            except (httpx.TransportError, _Retryable) as error:
                if op.kind == "order" and not _may_retry_order(error):
                    raise OrderStateUnknownError(op.qualname, call.tr_id, call.params, _describe(error)) from None
                if attempt + 1 >= retry.attempts:
                    raise TransportError(f"{op.qualname}: {_describe(error)} after {attempt + 1} attempts") from None
                logger.warning("%s: %s; retrying", op.qualname, _describe(error))
                await asyncio.sleep(retry.delay(attempt))
                attempt += 1

    async def pages(self, call: PreparedCall) -> Any:
        seen: set[tuple[str, str]] = set()
        while True:
            reply = await self.send(call)
            yield call, reply
            continuation = continuation_of(call, reply, self.settings.paging)
            if continuation is None or not continuation.has_more:
                return
            key = (continuation.fk, continuation.nk)
            if key in seen:
                raise TransportError(f"{call.operation.qualname}: KIS sent the same continuation key twice; stopping instead of looping")
            seen.add(key)
            call = call.next_page(continuation, self.settings.paging.next_tr_cont)


def _describe(error: BaseException) -> str:
    """A fault's kind without its text: httpx messages can echo URLs, never headers, but be safe."""
    if isinstance(error, _Retryable):
        return str(error)
    return type(error).__name__


# ---------------------------------------------------------------------------------------------
# Client construction helpers


def parse_account(account: str | None) -> tuple[str | None, str | None]:
    """``"12345678-01"`` (or ``"1234567801"``) into (CANO, ACNT_PRDT_CD)."""
    if account is None or account == "":
        return None, None
    digits = account.replace("-", "")
    if not (len(digits) == 10 and digits.isdigit()) or account.count("-") > 1:
        raise ValueError("account must look like 12345678-01 (8-digit CANO, 2-digit product code)")
    return digits[:8], digits[8:]


def check_env(env: str, envs: Sequence[str]) -> str:
    value = str(env)
    if value not in envs:
        raise ValueError(f"env must be one of {', '.join(envs)}; got {value!r}")
    return value
