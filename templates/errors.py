"""Every exception kis_client raises: catch ``KisError`` for any of them.

Each class says when it is raised and, after "What to do:", what to do about it (docs/API.md
lists them from these docstrings).
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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
    """KIS refused the call: its envelope's rt_cd is a number other than "0" (whatever the HTTP
    status), or an OAuth endpoint answered its ``error_code`` (``msg_cd``; ``rt_cd`` is None).
    The codes are always KIS's own.

    What to do: read ``msg_cd`` and ``msg1``; the reply is final (the client never resends a
    refused order).
    """

    def __init__(
        self,
        operation: str,
        rt_cd: str | None,
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
        code = msg_cd if rt_cd is None else f"{msg_cd} (rt_cd {rt_cd})"
        super().__init__(f"{operation}: KIS error {code}: {msg1}")


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


class HttpStatusError(TransportError):
    """An HTTP 4xx whose body is not KIS's answer (no rt_cd and msg_cd of KIS's, or not JSON):
    the server, or something in front of it, refused the request. Not retried. For an order the
    client raises OrderStateUnknownError instead, as nothing says what KIS did.

    What to do: check ``status_code`` (a wrong ``base_url``, a proxy, a blocked address).
    """

    def __init__(self, operation: str, status_code: int, reason: str, *, tr_id: str | None = None) -> None:
        self.operation = operation
        self.status_code = status_code
        self.reason = reason
        self.tr_id = tr_id
        super().__init__(f"{operation}: {self.summary}")

    @property
    def summary(self) -> str:
        return f"HTTP {self.status_code} {self.reason} without KIS's rt_cd and msg_cd"


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


class RealtimeError(KisError):
    """A real-time session cannot go on as asked (it is closed, or KIS did not answer a
    registration in time).

    What to do: open a new session (``client.realtime()``); the subclasses say more.
    """


class RealtimeRefusedError(RealtimeError):
    """KIS refused a registration (``msg_cd``: OPSP0008 over the limit, OPSP0007 KIS's own
    error, or a code the spec does not know); it is not registered, the others stay.

    What to do: read ``msg_cd`` and ``msg1``; for OPSP0008 release a registration first.
    """

    def __init__(self, tr_id: str, tr_key: str, msg_cd: str, msg1: str) -> None:
        self.tr_id = tr_id
        self.tr_key = tr_key
        self.msg_cd = msg_cd
        self.msg1 = msg1
        super().__init__(f"{tr_id} {tr_key!r}: KIS refused the registration: {msg_cd} {msg1}")


class AppKeyInUseError(RealtimeRefusedError):
    """OPSP8996: another session holds this app key (KIS allows one a key). The session is
    closed and does not reconnect: it would only be refused again.

    What to do: close the other session (another process, or a program still running), then
    open a new one.
    """


class RegistrationLimitError(RealtimeError, ValueError):
    """More registrations than KIS allows on one session (41: every TR_ID and key pair counts,
    execution notices too); nothing was sent.

    What to do: release registrations you no longer need (``unsubscribe``) first.
    """


class RealtimeConnectionError(RealtimeError, TransportError):
    """The real-time session lost its connection and could not reconnect within its
    ``reconnect`` policy.

    What to do: check the network and KIS's status, then open a new session.
    """


class RecordValueError(KisError, ValueError):
    """A real-time value is not what the spec declares its kind to be (read when you read the
    property).

    What to do: read the record's raw values (it is a tuple of KIS's strings), and report the
    value: KIS sent something the spec does not describe.
    """

    def __init__(self, tr_id: str, field: str, value: str) -> None:
        self.tr_id = tr_id
        self.field = field
        self.value = value
        super().__init__(f"{tr_id}.{field}: cannot read {reprlib.repr(value)}")
