"""A call: the operation it is, the validated request, and the reply; what a ``prepare_*``
function needs from the client, the helpers it builds requests with, and how a call continues
(the next page, or a walk back in time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time as dtime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from kis_client.errors import FieldProblem

if TYPE_CHECKING:
    from kis_client._secrets import Credentials


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


# What a validator tests a rule's fields against when no field had a problem.
NO_PROBLEMS: frozenset[str] = frozenset()


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
    """The spec's tr_cont codes: more pages follow, the last page, and what the next request sends."""

    more: tuple[str, ...]
    last: tuple[str, ...]
    next_tr_cont: str


def continuation_of(call: PreparedCall, reply: Reply, more_codes: tuple[str, ...]) -> Continuation | None:
    """Where the page after ``reply`` starts; ``more_codes``: the tr_cont values saying more follow."""
    if call.operation.paging is None:
        return None
    tr_cont = reply.headers.get("tr_cont", "")
    body = reply.body if isinstance(reply.body, Mapping) else {}
    keys = []
    for request, response, output in call.operation.paging:
        holder = body if output is None else _object_in(body.get(output))
        value = holder.get(response, "")
        keys.append((request, value if isinstance(value, str) else ""))
    return Continuation(tr_cont, tuple(keys), tr_cont in more_codes)


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
