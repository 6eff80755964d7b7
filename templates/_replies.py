"""What KIS's reply means: an answer (success, or a refusal that is final), or no answer at all.

Only a definite answer is ever taken for an order's outcome: a reply that cannot be read (not
JSON, no ``rt_cd``, a 5xx, too big, too slow) is ``Unreadable``, and the transport then decides
whether the call may be repeated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from kis_client._calls import OperationInfo, PreparedCall, Reply
from kis_client._parsing import text_of
from kis_client.errors import KisApiError, RateLimitError, TokenError


class Unreadable(Exception):
    """A reply that is no answer (5xx, not JSON, no rt_cd, too big, too slow): a read may be
    repeated, an order not."""


class PastDeadline(Unreadable):
    """A reply still arriving when the call's deadline passed."""


class ReplyBody:
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
            raise Unreadable(f"a reply over {self.limit} bytes (max_reply_bytes)")
        if time.monotonic() > self.deadline:
            raise PastDeadline(f"a reply still arriving at the call's {self.seconds:g} s deadline")
        self.chunks.append(chunk)

    def value(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


def read_reply(call: PreparedCall, status: int, reason: str, tr_cont: str, content: bytes) -> Reply:
    """KIS's answer, or an exception. Only a definite answer is ever returned for an order."""
    op = call.operation
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        if 400 <= status < 500:
            # The gateway refused the request outright: nothing ran, and repeating won't help.
            raise KisApiError(op.qualname, "1", str(status), f"HTTP {status} {reason}", status_code=status, tr_id=call.tr_id) from None
        raise Unreadable(f"a reply that is not JSON (HTTP {status})") from None
    error = refusal_of(op, call.tr_id, status, reason, body)
    if error is not None:
        raise error
    if status >= 500:
        raise Unreadable(f"HTTP {status}")
    if status >= 400:
        raise KisApiError(op.qualname, "1", str(status), reason, status_code=status, tr_id=call.tr_id)
    return Reply(status, {"tr_cont": tr_cont}, body)


def refusal_of(op: OperationInfo, tr_id: str | None, status: int, reason: str, body: Any) -> KisApiError | None:
    """KIS's refusal in ``body``, if it is one; raises Unreadable if the outcome cannot be read.

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
    raise Unreadable(f"a reply {shown} (HTTP {status})")
