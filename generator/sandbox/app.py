"""The sandbox as an ASGI app: every operation of the spec at its path, every check KIS makes.

A request passes, in order: route (method and path) → rate limit → headers (token, appkey,
appsecret, custtype, content-type) → body (bounded in size, time and nesting) or query → TR_ID
(operation, environment, side, market) → field declarations and rules → market hours (orders)
→ the operation's state logic or its declared response.

Every reply is KIS's: a JSON envelope, the standard headers in their usual case (Content-Type,
Content-Length, Date) and KIS's own in lower case (tr_id, tr_cont, gt_uid), as KIS's gateway
sends them; KIS's sample client reads every lower-case header name as an attribute name, and
181 of its functions read tr_cont from every reply, so a TR's reply always has it.
"""

from __future__ import annotations

import asyncio
import decimal
import json
import logging
import uuid
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from ..model import Operation, Spec
from ..rules import Situation, request_problems, with_defaults
from . import quotes
from .errors import Rejection
from .feed import Feed
from .inquiries import HANDLERS
from .operations import Call, Handler
from .responses import render_body
from .state import IssuedToken, SandboxState

JSON_TYPE = "application/json; charset=utf-8"
MAX_JSON_DEPTH = 32  # KIS's bodies are flat; anything deeper is not a request
DEFAULT_PAGE_SIZE = 20  # rows a page where the spec names no page size
NEXT_PAGE = "N"  # the tr_cont of a request for the next page
# Decimal arithmetic on request values: wide enough for every length the spec allows
# (a 10-digit quantity times a 32-character price, cash divided by the smallest price).
ARITHMETIC = decimal.Context(prec=120, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])

log = logging.getLogger("kisgen.sandbox")


def standard_headers(body: bytes | memoryview, now: float) -> list[tuple[bytes, bytes]]:
    """The standard headers of a reply, in their usual case, as KIS's gateway sends them."""
    return [
        (b"Content-Type", JSON_TYPE.encode("ascii")),
        (b"Content-Length", str(len(body)).encode("ascii")),
        (b"Date", formatdate(now, usegmt=True).encode("ascii")),
    ]


class KisReply(JSONResponse):
    """A JSON reply: the standard headers capitalised, KIS's own (tr_id, tr_cont, gt_uid) lower case."""

    media_type = JSON_TYPE

    def __init__(self, content: Any, status_code: int, kis_headers: Mapping[str, str], now: float) -> None:
        self.kis_headers = kis_headers
        self.now = now
        super().__init__(content, status_code)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        kis = [(name.encode("ascii"), value.encode("ascii")) for name, value in self.kis_headers.items()]
        self.raw_headers = standard_headers(self.body, self.now) + kis


def check_headers(state: SandboxState, op: Operation, headers: Mapping[str, str]) -> IssuedToken | None:
    """Starlette's headers are case-insensitive, as HTTP's are."""
    wanted = set(op.headers)
    token = None
    app_key = headers.get("appkey", "")
    if "authorization" in wanted:
        scheme, _, value = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Rejection("EGW00121", "authorization must be 'Bearer <token>'")
        token = state.token_for(value.strip())
    if "appkey" in wanted and (not app_key or (token is not None and token.app_key != app_key)):
        raise Rejection("EGW00103")
    if "appsecret" in wanted:
        secret = headers.get("appsecret", "")
        if not secret:
            raise Rejection("EGW00105")
        state.check_credentials(app_key, secret)
    if "custtype" in wanted and headers.get("custtype") not in ("P", "B"):
        raise Rejection("SBX01003", "custtype header must be P (개인) or B (법인)")
    content_type = headers.get("content-type", "")
    if op.method == "POST" and content_type and "json" not in content_type.lower():
        raise Rejection("SBX01004", f"content-type must be application/json, got {content_type.split(';')[0][:40]!r}")
    return token


def resolve_tr_id(state: SandboxState, op: Operation, tr_id: str) -> Situation:
    if op.tr is None:
        return Situation(state.env)
    if not tr_id:
        raise Rejection("SBX01001", "tr_id header is missing")
    cells = [cell for cell in op.tr.cells if cell.tr_id == tr_id]
    mine = [cell for cell in cells if cell.env == state.env]
    if not mine:
        if cells:
            raise Rejection("SBX01002", f"{tr_id} is a {cells[0].env} TR_ID; this sandbox is {state.env}")
        retired = dict(op.tr.retired)
        if tr_id in retired:
            raise Rejection("SBX01001", f"{tr_id} is retired: {retired[tr_id]}")
        raise Rejection("SBX01001", f"{tr_id[:20]!r} is not a TR_ID of {op.qualname}")
    cell = mine[0]
    return Situation(state.env, cell.side, cell.market, cell.period)


async def read_body(state: SandboxState, request: Request) -> bytes:
    """The whole body, refused once it passes the size limit or takes longer than the timeout."""
    limit = state.options.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Rejection("SBX01007", f"the body is {declared} bytes; this sandbox reads at most {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(state.options.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Rejection("SBX01007", f"the body is over {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise Rejection("SBX01008", f"the body did not arrive within {state.options.body_timeout:g} s") from None
    except ClientDisconnect:
        raise Rejection("SBX01006") from None
    return b"".join(chunks)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def read_values(op: Operation, request: Request, raw: bytes) -> dict[str, Any]:
    if op.method == "GET":
        return dict(request.query_params)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):  # ValueError: not JSON, or an integer over int()'s digit limit
        raise Rejection("SBX01004", "the body is not JSON") from None
    except RecursionError:
        raise Rejection("SBX01004", f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise Rejection("SBX01004", "the body is not a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:
        raise Rejection("SBX01004", f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return body


def check_fields(state: SandboxState, op: Operation, values: dict[str, Any], situation: Situation) -> None:
    problems = request_problems(state.spec, op, values, situation)
    if problems:
        code = "SBX02002" if all(problem.rule for problem in problems) else "SBX02001"
        raise Rejection(code, "; ".join(str(problem) for problem in problems))
    if op.tr is not None and op.tr.market_field is not None:
        exchange = values.get(op.tr.market_field)
        market = state.spec.exchange_market(str(exchange))
        if market != situation.market:
            raise Rejection("SBX02003", f"{op.tr.market_field} {exchange} is in market {market}, the tr_id is for {situation.market}")


def is_page_key(key: str) -> bool:
    """A continuation key this sandbox gives: ASCII digits (str.isdigit() also takes '²' and '٣')."""
    return key.isascii() and key.isdigit()


def page(state: SandboxState, op: Operation, values: Mapping[str, Any], body: dict[str, Any], app_key: str, tr_cont: str) -> str | None:
    """Cut the paged list to one page; return the tr_cont header (F/M more, D last).

    Where the spec sends keys back, the last one carries the position (the others a token, as
    CTX_AREA_FK does); paged by tr_cont alone, the sandbox remembers each app key's read of each
    request and tr_cont N continues it, as KIS does."""
    paging = op.pagination
    if paging is None:
        return None
    size = state.options.page_size or dict(paging.page_size).get(state.env) or DEFAULT_PAGE_SIZE
    # The list KIS pages: of an operation with several (a chart's one-row summary and its bars),
    # the one with the most rows.
    lists = [output for output in op.response.outputs if output.shape == "list" and output.key is not None and isinstance(body.get(output.key), list)]
    listed = max(lists, key=lambda output: len(body[str(output.key)]), default=None)
    rows = body.get(listed.key) if listed is not None and listed.key is not None else None
    if not isinstance(rows, list):
        rows = []  # nothing to list, sent as KIS does (one blank object)
    if paging.keys:
        position = paging.keys[-1]
        key = str(values.get(position.request, "")).strip()
        if key and not is_page_key(key):
            raise Rejection("SBX02001", f"{position.request}: {key[:20]!r} is not a key this sandbox gave")
        start = int(key) if key else 0
    else:
        start = state.continue_read(app_key, op.qualname, values) if tr_cont == NEXT_PAGE else 0
    more = start + size < len(rows)
    if listed is not None and listed.key is not None and isinstance(body.get(listed.key), list):
        body[listed.key] = rows[start : start + size]
    for page_key in paging.keys:
        value = (str(start + size) if page_key is paging.keys[-1] else f"{values.get('CANO', '')}^{values.get('ACNT_PRDT_CD', '')}^") if more else ""
        holder = body if page_key.output is None else body.get(page_key.output)
        if isinstance(holder, list) and holder:
            holder = holder[0]
        if isinstance(holder, dict):
            holder[page_key.response] = value
    if not paging.keys:
        state.remember_read(app_key, op.qualname, values, start + size if more else None)
    if more:
        return "F" if start == 0 else "M"
    return "D"


async def answer(state: SandboxState, op: Operation, request: Request, handler: Handler | None) -> KisReply:
    """The reply to one request; ``handler``: the operation's state logic (None: its declarations alone)."""
    headers = request.headers
    if op.kind != "auth":
        state.admit(headers.get("appkey", ""))
    if state.env not in op.envs:
        # Checked before the TR_ID: on mock, KIS's sample client would send a derived TR_ID
        # (VTTS3018R, ...) that does not exist; the answer is the same either way.
        raise Rejection("SBX01005", f"{op.qualname} is not available on a {state.env} account (KIS supports it on: {', '.join(op.envs)})")
    check_headers(state, op, headers)
    raw = await read_body(state, request) if op.method == "POST" else b""
    values = read_values(op, request, raw)
    situation = resolve_tr_id(state, op, headers.get("tr_id", "").strip())
    values = with_defaults(op, values, situation.side)
    check_fields(state, op, values, situation)
    now = state.kst_now()
    if op.kind == "order":
        exchange = values.get(op.tr.market_field) if op.tr is not None and op.tr.market_field is not None else None
        state.check_market_hours(exchange, str(values.get("ORD_DVSN", "")), now)
    call = Call(state, op, values, situation, raw, headers.get("appkey"), now)
    with decimal.localcontext(ARITHMETIC):
        outputs = handler(call) if handler is not None else {}
        with state.lock:
            state.executed += 1
        body = render_body(op, outputs, call.now)
    body.update(call.extra_body)
    tr_cont = page(state, op, values, body, headers.get("appkey", ""), headers.get("tr_cont", "").strip())
    return KisReply(body, 200, kis_headers(op, headers.get("tr_id", "").strip(), tr_cont or ""), state.now())


def kis_headers(op: Operation | None, tr_id: str, tr_cont: str = "") -> dict[str, str]:
    """KIS's own headers: gt_uid on every reply to an operation, and on a TR's the tr_id it was
    sent ("" when that is none of the operation's) and tr_cont, "" unless another page follows
    (KIS API workbook 2026-09-11: every TR's Response Header has tr_cont, "tr_cont를 이용한
    다음조회 불가 API" where it does not page)."""
    if op is None:
        return {}
    if op.tr is None:
        return {"gt_uid": uuid.uuid4().hex}
    known = any(cell.tr_id == tr_id for cell in op.tr.cells)
    return {"tr_id": tr_id if known else "", "tr_cont": tr_cont, "gt_uid": uuid.uuid4().hex}


class SandboxApp:
    """The ASGI app. No router: any method and any request target (``*`` too) gets KIS's envelope;
    a WebSocket is the real-time feed's (sandbox/feed.py)."""

    def __init__(self, spec: Spec, state: SandboxState) -> None:
        self.state = state
        self.by_path = {op.path: op for op in spec.operations}
        self.handlers = {**quotes.handlers(spec.operations, HANDLERS), **HANDLERS}
        self.feed = Feed(spec, state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.feed(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # the server runs without the lifespan protocol
        reply = await self.respond(Request(scope, receive))
        await reply(scope, receive, send)

    async def respond(self, request: Request) -> KisReply:
        path: str = request.scope["path"]
        op = self.by_path.get(path)
        oauth = op is not None and op.kind == "auth"
        served = op if op is not None and op.method == request.method else None
        tr_id = request.headers.get("tr_id", "").strip()
        try:
            if served is None:
                raise Rejection("SBX00404", f"no operation at {request.method[:10]} {path[:100]!r}")
            return await answer(self.state, served, request, self.handlers.get(served.qualname))
        except Rejection as rejection:
            return KisReply(rejection.body(oauth), 403 if oauth else rejection.status, kis_headers(served, tr_id), self.state.now())
        except Exception:  # a bug in the sandbox: say so in KIS's envelope, and log it to be reported
            log.exception("sandbox error on %s %s", request.method, op.qualname if op is not None else "?")
            return KisReply(Rejection("SBX00500").body(oauth), 500, kis_headers(served, tr_id), self.state.now())


def create_app(spec: Spec, state: SandboxState) -> SandboxApp:
    return SandboxApp(spec, state)
