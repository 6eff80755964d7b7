"""The sandbox as an ASGI app: one route per operation of the spec, every check KIS makes.

A request passes, in order: route (method and path) → rate limit → headers (token, appkey,
appsecret, custtype, content-type) → body or query → TR_ID (operation, environment, side,
market) → field declarations and rules → the operation's state logic or its declared response.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from generator.model import Operation, Spec
from generator.rules import Situation, request_problems, with_defaults
from generator.sandbox.errors import Rejection
from generator.sandbox.inquiries import HANDLERS
from generator.sandbox.operations import Call
from generator.sandbox.responses import render_body
from generator.sandbox.state import IssuedToken, SandboxState

JSON_TYPE = "application/json; charset=utf-8"


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
        state.check_secret(app_key, secret)
    if "custtype" in wanted and headers.get("custtype") not in ("P", "B"):
        raise Rejection("SBX01003", "custtype header must be P (개인) or B (법인)")
    content_type = headers.get("content-type", "")
    if op.method == "POST" and content_type and "json" not in content_type.lower():
        raise Rejection("SBX01004", f"content-type must be application/json, got {content_type.split(';')[0]!r}")
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
        raise Rejection("SBX01001", f"{tr_id} is not a TR_ID of {op.qualname}")
    cell = mine[0]
    return Situation(state.env, cell.side, cell.market, cell.period)


def read_values(op: Operation, request: Request, raw: bytes) -> dict[str, Any]:
    if op.method == "GET":
        return dict(request.query_params)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise Rejection("SBX01004", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Rejection("SBX01004", "the body is not a JSON object")
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


def page(state: SandboxState, op: Operation, values: Mapping[str, Any], body: dict[str, Any]) -> str | None:
    """Cut the paged list to one page; return the tr_cont header (F/M more, D last)."""
    paging = op.pagination
    if paging is None:
        return None
    size = state.options.page_size or dict(paging.page_size)[state.env]
    listed = next(output for output in op.response.outputs if output.shape == "list")
    rows = body[listed.key] if listed.key is not None else []
    if not isinstance(rows, list):
        rows = []  # nothing to list, sent as KIS does (one blank object)
    key = str(values.get(paging.request_nk, "")).strip()
    if key and not key.isdigit():
        raise Rejection("SBX02001", f"{paging.request_nk}: {key[:20]!r} is not a key this sandbox gave")
    start = int(key) if key else 0
    more = start + size < len(rows)
    if listed.key is not None and isinstance(body[listed.key], list):
        body[listed.key] = rows[start : start + size]
    body[paging.response_fk] = f"{values.get('CANO', '')}^{values.get('ACNT_PRDT_CD', '')}^" if more else ""
    body[paging.response_nk] = str(start + size) if more else ""
    if more:
        return "F" if start == 0 else "M"
    return "D"


async def answer(state: SandboxState, op: Operation, request: Request) -> Response:
    headers = request.headers
    if op.kind != "auth":
        state.admit(headers.get("appkey", ""))
    if state.env not in op.envs:
        # Checked before the TR_ID: on mock, KIS's sample client would send a derived TR_ID
        # (VTTS3018R, ...) that does not exist; the answer is the same either way.
        raise Rejection("SBX01005", f"{op.qualname} is not available on a {state.env} account (KIS supports it on: {', '.join(op.envs)})")
    check_headers(state, op, headers)
    raw = await request.body()
    values = read_values(op, request, raw)
    situation = resolve_tr_id(state, op, headers.get("tr_id", "").strip())
    values = with_defaults(op, values, situation.side)
    check_fields(state, op, values, situation)
    call = Call(state, op, values, situation, raw, headers.get("appkey"), state.kst_now())
    handler = HANDLERS.get(op.qualname)
    outputs = handler(call) if handler is not None else {}
    with state.lock:
        state.executed += 1
    body = render_body(op, outputs, call.now)
    body.update(call.extra_body)
    tr_cont = page(state, op, values, body)
    reply_headers = {"content-type": JSON_TYPE, "gt_uid": uuid.uuid4().hex}
    if op.tr is not None:
        reply_headers["tr_id"] = headers.get("tr_id", "")
    if tr_cont is not None:
        reply_headers["tr_cont"] = tr_cont
    return JSONResponse(body, headers=reply_headers)


def create_app(spec: Spec, state: SandboxState) -> Starlette:
    by_path = {op.path: op for op in spec.operations}

    async def endpoint(request: Request) -> Response:
        op = by_path.get(request.url.path)
        oauth = op is not None and op.kind == "auth"
        try:
            if op is None or op.method != request.method:
                raise Rejection("SBX00404", f"no operation at {request.method} {request.url.path}")
            return await answer(state, op, request)
        except Rejection as rejection:
            status = 403 if oauth else rejection.status
            return JSONResponse(rejection.body(oauth), status_code=status, headers={"content-type": JSON_TYPE})

    routes = [Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])]
    return Starlette(routes=routes)
