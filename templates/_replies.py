"""What KIS's reply means: an answer (success, or a refusal that is final), or no answer at all.

Only a definite answer is ever taken for an order's outcome: a reply that cannot be read (not
JSON, no ``rt_cd``, a 5xx, an HTTP error around KIS's success, too big, too slow) is
``Unreadable``, an HTTP 4xx without KIS's envelope an ``HttpStatusError``, and the transport then
decides whether the call may be repeated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kis_client._calls import OperationInfo, PreparedCall, Reply
from kis_client._parsing import text_of
from kis_client.errors import HttpStatusError, KisApiError, RateLimitError, TokenError


class Unreadable(Exception):
    """A reply that is no answer (5xx, not JSON, no rt_cd, too big, too slow): a read may be
    repeated, an order not."""


class PastDeadline(Unreadable):
    """A reply not complete when the call's deadline passed."""


class ReplyBody:
    """A reply's decoded bytes as they arrive, within the size cap (the call's deadline bounds
    the reads that bring them: kis_client._network)."""

    __slots__ = ("chunks", "size", "limit")

    def __init__(self, limit: int) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise Unreadable(f"a reply over {self.limit} bytes (max_reply_bytes)")
        self.chunks.append(chunk)

    def value(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


def read_reply(call: PreparedCall, status: int, reason: str, tr_cont: str, content: bytes) -> Reply:
    """KIS's answer, or an exception. Only a definite answer is ever returned for an order, and
    only KIS's own codes are ever reported: a reply without them is no ``KisApiError``."""
    op = call.operation
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        raise _no_answer(call, status, reason, "that is not JSON") from None
    refusal = refusal_of(op, call.tr_id, status, body)
    if refusal is not None:
        raise refusal
    if not op.envelope:
        if status >= 400:
            raise _no_answer(call, status, reason, "without error_code")
        return Reply(status, {"tr_cont": tr_cont}, body)
    rt_cd = body.get("rt_cd") if isinstance(body, Mapping) else None
    if rt_cd == "0":
        if status >= 400:
            # KIS's success under an HTTP error (409 and rt_cd "0", say): an order may have run.
            raise Unreadable(f'HTTP {status} with KIS\'s success rt_cd "0"')
        return Reply(status, {"tr_cont": tr_cont}, body)
    shown = "without rt_cd" if rt_cd is None else 'whose rt_cd is neither "0" nor a KIS failure code'
    raise _no_answer(call, status, reason, shown)


def _no_answer(call: PreparedCall, status: int, reason: str, what: str) -> Exception:
    """A reply without KIS's answer in it: an HTTP 4xx is the HTTP status's refusal, else no
    answer at all."""
    if 400 <= status < 500:
        return HttpStatusError(call.operation.qualname, status, reason, tr_id=call.tr_id)
    return Unreadable(f"a reply {what} (HTTP {status})")


def refusal_of(op: OperationInfo, tr_id: str | None, status: int, body: Any) -> KisApiError | None:
    """KIS's refusal in ``body``, if it is one (final): with KIS's envelope an rt_cd of digits
    other than "0", at the OAuth endpoints an ``error_code``."""
    row: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    if not op.envelope:
        # OAuth endpoints answer errors as {"error_code": "EGW00133", "error_description": ...}.
        code = row.get("error_code")
        if code is None:
            return None
        return TokenError(op.qualname, None, text_of(code), text_of(row.get("error_description")), status_code=status, tr_id=tr_id)
    rt_cd = row.get("rt_cd")
    if type(rt_cd) is str and rt_cd.isascii() and rt_cd.isdigit() and int(rt_cd) != 0:
        msg_cd = text_of(row.get("msg_cd"))
        kind = RateLimitError if msg_cd == "EGW00201" else KisApiError
        return kind(op.qualname, rt_cd, msg_cd, text_of(row.get("msg1")), status_code=status, tr_id=tr_id)
    return None
