"""What the sandbox sends over the wire: KIS's header names, read the way KIS's own sample client
reads them, and KIS's envelope for every request however odd (bodies, query strings, targets).
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
from collections import namedtuple
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import h11
import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kisgen.model import Operation, Spec
from kisgen.sandbox import RunningSandbox
from kisgen.sandbox.app import create_app
from kisgen.sandbox.runner import build
from tests.conftest import fresh_account, fresh_app_key
from tests.spec_examples import Variant, market_of, valid_wire_values

SECRET = "wire-secret-0123456789"
ORDER = "/uapi/domestic-stock/v1/trading/order-cash"
MODIFY = "/uapi/domestic-stock/v1/trading/order-rvsecncl"
OVERSEAS_ORDER = "/uapi/overseas-stock/v1/trading/order"
BALANCE = "/uapi/domestic-stock/v1/trading/inquire-balance"
DAILY_ORDERS = "/uapi/domestic-stock/v1/trading/inquire-daily-ccld"
PRICE = "/uapi/domestic-stock/v1/quotations/inquire-price"
BUYING_POWER = "/uapi/domestic-stock/v1/trading/inquire-psbl-order"
KIS_OWN_HEADERS = {"tr_id", "tr_cont", "gt_uid"}


def read_like_kis_sample(reply: httpx.Response) -> tuple[Any, Any]:
    """KIS's sample client (examples_llm/kis_auth.py, APIResp) makes a namedtuple of every header
    whose name, as sent, is lower case, and another of the body's keys: a lower-case name that is
    not an identifier (content-type) fails every call."""
    lower = {name.decode("latin-1"): value.decode("latin-1") for name, value in reply.headers.raw if name.decode("latin-1").islower()}
    body = reply.json()
    return namedtuple("header", lower)(**lower), namedtuple("body", body)(**body)


class Wire:
    """Requests written by hand from KIS's documents, to see exactly what comes back."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(base_url=sandbox.base_url)
        self.app_key = fresh_app_key()
        self.cano, self.product = fresh_account().split("-")
        self.token = self.issue().json()["access_token"]

    def issue(self) -> httpx.Response:
        return self.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": self.app_key, "appsecret": SECRET})

    def headers(self, tr_id: str, **more: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "appkey": self.app_key, "appsecret": SECRET, "tr_id": tr_id, "custtype": "P", **more}

    def order(self, **fields: Any) -> dict[str, Any]:
        body = {"CANO": self.cano, "ACNT_PRDT_CD": self.product, "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1", "ORD_UNPR": "60000", "EXCG_ID_DVSN_CD": "KRX"}
        return {**body, **fields}

    def post(self, path: str, tr_id: str, body: Any) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.post(path, content=content, headers={**self.headers(tr_id), "content-type": "application/json"})

    def balance(self, **query: str) -> httpx.Response:
        return self.http.get(BALANCE, params={"CANO": self.cano, "ACNT_PRDT_CD": self.product, **query}, headers=self.headers("VTTC8434R"))


@pytest.fixture
def wire(mock_sandbox: RunningSandbox) -> Iterator[Wire]:
    client = Wire(mock_sandbox)
    yield client
    client.http.close()


def envelope(reply: httpx.Response) -> tuple[int, str]:
    body = reply.json()
    assert body["rt_cd"] == "1" and isinstance(body["msg1"], str) and body["msg1"], body
    return reply.status_code, body["msg_cd"]


# -- headers ---------------------------------------------------------------------------------


def test_every_kind_of_reply_reads_the_way_kis_sample_client_reads_it(wire: Wire) -> None:
    resting = wire.post(ORDER, "VTTC0012U", wire.order())
    replies = {
        "token": wire.issue(),
        "order": resting,
        "read": wire.http.get(PRICE, params={"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}, headers=wire.headers("FHKST01010100")),
        "paged read": wire.balance(),
        "business error": wire.post(ORDER, "VTTC0012U", wire.order(ORD_QTY="0")),
        "gateway error": wire.http.get(BALANCE, headers={**wire.headers("VTTC8434R"), "authorization": "Bearer nope"}),
        "no such path": wire.http.get("/uapi/nothing", headers=wire.headers("VTTC8434R")),
        "hashkey": wire.http.post("/uapi/hashkey", json=wire.order(), headers={"appkey": wire.app_key, "appsecret": SECRET}),
        "oauth error": wire.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": wire.app_key, "appsecret": "wrong"}),
    }
    assert [reply.status_code for reply in replies.values()] == [200, 200, 200, 200, 200, 500, 404, 200, 403]
    for kind, reply in replies.items():
        names = [name.decode("latin-1") for name, _ in reply.headers.raw]
        assert {"Content-Type", "Content-Length", "Date"} <= set(names), kind
        assert {name for name in names if name.islower()} <= KIS_OWN_HEADERS, kind
        header, body = read_like_kis_sample(reply)
        assert header._fields == tuple(name for name in names if name.islower()) and body._fields == tuple(reply.json())
    header, body = read_like_kis_sample(replies["order"])
    assert header.tr_id == "VTTC0012U" and len(header.gt_uid) == 32 and body.rt_cd == "0"
    assert read_like_kis_sample(replies["business error"])[1].msg_cd == "SBX02001"
    # KIS's samples read tr_cont from every reply of a TR, paged or not (181 of their functions).
    tr_conts = {kind: read_like_kis_sample(replies[kind])[0].tr_cont for kind in ("order", "read", "paged read", "business error", "gateway error")}
    assert tr_conts == {"order": "", "read": "", "paged read": "D", "business error": "", "gateway error": ""}
    assert read_like_kis_sample(replies["read"])[0].tr_id == "FHKST01010100"


# -- what KIS accepts, the sandbox accepts ---------------------------------------------------


def test_kis_samples_requests_that_kis_accepts_are_accepted(wire: Wire) -> None:
    # A sell with SLL_TYPE "": the default of KIS's order_cash sample (KIS's workbook: blank means 01).
    assert wire.post(ORDER, "VTTC0012U", wire.order(ORD_DVSN="01", ORD_UNPR="0")).json()["rt_cd"] == "0"
    sold = wire.post(ORDER, "VTTC0011U", wire.order(ORD_DVSN="01", ORD_UNPR="0", SLL_TYPE=""))
    assert sold.json()["rt_cd"] == "0", sold.json()
    # Buying power at market (01) with a price: the example of KIS's inquire_psbl_order sample.
    query = {"CANO": wire.cano, "ACNT_PRDT_CD": wire.product, "PDNO": "005930", "ORD_UNPR": "55000", "ORD_DVSN": "01", "CMA_EVLU_AMT_ICLD_YN": "N", "OVRS_ICLD_YN": "N"}
    power = wire.http.get(BUYING_POWER, params=query, headers=wire.headers("VTTC8908R")).json()
    assert power["rt_cd"] == "0", power
    assert power["output"]["psbl_qty_calc_unpr"] == "70000"  # at market the price sent is not used


# -- KIS's envelope, whatever comes ------------------------------------------------------------


def raw_exchange(sandbox: RunningSandbox, request: h11.Request, body: bytes = b"") -> tuple[h11.Response, bytes]:
    """One request over a socket, written and read by h11 (for targets httpx cannot send)."""
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    client = h11.Connection(h11.CLIENT)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(client.send(request) + (client.send(h11.Data(data=body)) if body else b"") + client.send(h11.EndOfMessage()))
        response, content = None, b""
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                content += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return response, content


@pytest.mark.parametrize("method", ["OPTIONS", "GET"])
def test_the_target_star_is_no_operation(mock_sandbox: RunningSandbox, method: str) -> None:
    response, content = raw_exchange(mock_sandbox, h11.Request(method=method, target="*", headers=[("Host", "sandbox")]))
    assert response.status_code == 404 and (b"Content-Type", b"application/json; charset=utf-8") in response.headers.raw_items()
    assert json.loads(content)["msg_cd"] == "SBX00404"


@pytest.mark.parametrize("depth", [50, 100_000])
def test_a_deeply_nested_body_is_refused(wire: Wire, depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    body = b'{"CANO": ' + nested + b"}"
    assert envelope(wire.post(ORDER, "VTTC0012U", body)) == (500, "SBX01004")
    hashkey = wire.http.post("/uapi/hashkey", content=body, headers={"appkey": wire.app_key, "appsecret": SECRET})
    assert hashkey.status_code == 403 and hashkey.json()["error_code"] == "SBX01004"


HUGE = "9" * 4400  # more digits than int() reads


def test_quantities_and_prices_longer_than_kis_allows_are_refused(wire: Wire) -> None:
    assert envelope(wire.post(ORDER, "VTTC0012U", wire.order(ORD_QTY=HUGE))) == (200, "SBX02001")
    assert envelope(wire.post(ORDER, "VTTC0011U", wire.order(ORD_QTY=HUGE, SLL_TYPE="01"))) == (200, "SBX02001")
    assert envelope(wire.post(ORDER, "VTTC0012U", wire.order(ORD_UNPR="1" + "0" * 40))) == (200, "SBX02001")
    modify = {"CANO": wire.cano, "ACNT_PRDT_CD": wire.product, "KRX_FWDG_ORD_ORGNO": "06010", "ORGN_ODNO": "1", "ORD_DVSN": "00", "RVSE_CNCL_DVSN_CD": "01", "ORD_QTY": HUGE, "ORD_UNPR": "1", "QTY_ALL_ORD_YN": "N"}
    assert envelope(wire.post(MODIFY, "VTTC0013U", modify)) == (200, "SBX02001")
    overseas = {"CANO": wire.cano, "ACNT_PRDT_CD": wire.product, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": HUGE, "OVRS_ORD_UNPR": "1.00", "ORD_DVSN": "00"}
    assert envelope(wire.post(OVERSEAS_ORDER, "VTTT1002U", overseas)) == (200, "SBX02001")
    assert "longer than 10" in wire.post(OVERSEAS_ORDER, "VTTT1002U", overseas).json()["msg1"]


def test_an_integer_too_long_to_read_is_not_json_to_the_sandbox(wire: Wire) -> None:
    assert envelope(wire.post(ORDER, "VTTC0012U", b'{"ORD_QTY": ' + HUGE.encode() + b"}")) == (500, "SBX01004")


@pytest.mark.parametrize("key", ["²", "٣", "１"])
def test_continuation_keys_are_ascii_digits(wire: Wire, key: str) -> None:
    assert envelope(wire.balance(CTX_AREA_NK100=key)) == (200, "SBX02001")


def test_a_secret_that_is_not_ascii_is_just_wrong(wire: Wire) -> None:
    headers = {**wire.headers("VTTC8434R"), "appsecret": "é".encode("latin-1")}
    assert envelope(wire.http.get(BALANCE, params={"CANO": wire.cano, "ACNT_PRDT_CD": wire.product}, headers=headers)) == (500, "EGW00105")
    token = wire.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": "é-key", "appsecret": "é"})
    assert token.status_code == 200  # any app key, its first secret sticks: é is as good a secret as any


def test_any_order_the_state_holds_renders(wire: Wire) -> None:
    """Rendering is total: an order at a price no request may carry any more (a 41-digit resting
    sell poisoned every later inquire_daily_ccld with HTTP 500) still reads."""
    state = wire.sandbox.state
    book = state.account(wire.cano, wire.product)
    state.place(book, "buy", "005930", None, 1, None, "01")
    poison = state.place(book, "sell", "005930", None, 1, Decimal("1" * 41), "00")
    today = state.kst_now().strftime("%Y%m%d")
    query = {"CANO": wire.cano, "ACNT_PRDT_CD": wire.product, "INQR_STRT_DT": today, "INQR_END_DT": today, "SLL_BUY_DVSN_CD": "00", "CCLD_DVSN": "00", "INQR_DVSN": "00", "INQR_DVSN_1": "", "INQR_DVSN_3": "00", "EXCG_ID_DVSN_CD": "KRX"}
    reply = wire.http.get(DAILY_ORDERS, params=query, headers=wire.headers("VTTC0081R"))
    assert reply.status_code == 200 and reply.json()["rt_cd"] == "0", reply.text
    assert {row["odno"]: row["ord_unpr"] for row in reply.json()["output1"]}[poison.odno] == "1" * 41


def test_a_client_leaving_mid_body_is_answered_in_the_envelope(mock_sandbox: RunningSandbox, spec: Spec) -> None:
    """Over ASGI, as the server hands it on: part of a body, then the client is gone."""
    app = create_app(spec, mock_sandbox.state)
    messages = iter([{"type": "http.request", "body": b'{"grant', "more_body": True}, {"type": "http.disconnect"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/oauth2/tokenP", "raw_path": b"/oauth2/tokenP", "query_string": b"", "headers": [(b"content-type", b"application/json")]}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 403 and json.loads(sent[1]["body"])["error_code"] == "SBX01006"


# -- a property: whatever a request carries, the answer is KIS's ---------------------------------

SPECIAL = ["", " ", "0", "00", "-1", "1.5", "1e999", "NaN", "Infinity", "1_000", "²", "٣", "１２", "\u0000", "%", "Q005930", "9" * 4400, "1" + "0" * 40]
hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=24),
    st.from_regex(r"\A[0-9]{1,45}\Z"),
    st.from_regex(r"\A[0-9]{1,24}\.[0-9]{1,12}\Z"),
)
hostile_json = st.recursive(
    st.one_of(hostile_text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


class InProcess:
    """The app without a server (fast enough for hundreds of requests), with an account that holds
    shares to sell and a token."""

    def __init__(self, spec: Spec, env: str) -> None:
        _, state = build(env, spec, rate_limit_per_second=0)
        book = state.account("12345678", "01")
        state.place(book, "buy", "005930", None, 100, None, "01")
        state.place(book, "buy", "AAPL", "NASD", 10, Decimal(200), "00")
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(spec, state)), base_url="http://sandbox")
        issued = self.send("POST", "/oauth2/tokenP", content=json.dumps({"grant_type": "client_credentials", "appkey": "property-key", "appsecret": SECRET}).encode())
        self.headers = {"authorization": f"Bearer {issued.json()['access_token']}", "appkey": "property-key", "appsecret": SECRET, "custtype": "P"}

    def send(self, method: str, url: str, **options: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **options))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


class Sandboxes(dict[str, InProcess]):
    """A mock and a real sandbox in process, and their spec (shown briefly when a case fails)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__({env: InProcess(spec, env) for env in ("mock", "real")})
        self.spec = spec

    def __repr__(self) -> str:
        return "Sandboxes(mock, real)"


@pytest.fixture(scope="module")
def in_process(spec: Spec) -> Iterator[Sandboxes]:
    sandboxes = Sandboxes(spec)
    yield sandboxes
    for app in sandboxes.values():
        app.close()


@functools.cache
def valid_request(spec: Spec, qualname: str, env: str, side: str | None) -> tuple[dict[str, Any], str]:
    """A request the sandbox accepts (the spec's examples, rules met) and its TR_ID."""
    op = spec.operation(qualname)
    period = op.tr.periods[0] if op.tr is not None and op.has_period else None
    values, _ = valid_wire_values(spec, op, Variant(env, side, period))
    tr_id = op.tr.lookup(env, market_of(spec, op, values), side, period) if op.tr is not None else None
    return values, tr_id or ""


def field_value(spec: Spec, op: Operation, wire: str, get: bool) -> st.SearchStrategy[Any]:
    """Mostly values the field's own pattern or codes allow (valid, and as extreme as they come),
    else anything."""
    field = next((field for field in op.fields if field.wire == wire), None)
    candidates = [hostile_text] if get else [hostile_text, hostile_json]
    if field is not None and field.pattern:
        candidates += [st.from_regex(field.pattern)] * 3
    if field is not None and field.wire_codes is not None:
        candidates += [st.sampled_from(spec.code_table(field.wire_codes).values)] * 3
    return st.one_of(candidates)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_body_and_query_gets_kis_envelope(in_process: Sandboxes, data: st.DataObject) -> None:
    spec = in_process.spec
    op = spec.operation(data.draw(st.sampled_from([op.qualname for op in spec.operations]), label="operation"))
    env = data.draw(st.sampled_from(op.envs), label="env")
    side = data.draw(st.sampled_from(["buy", "sell"]), label="side") if op.has_side else None
    values, tr_id = valid_request(spec, op.qualname, env, side)
    sandbox = in_process[env]
    credentials = {"app_key": "property-key", "app_secret": SECRET}  # not the token: revoking it would end the run
    values = {**values, **{field.wire: credentials[field.bind] for field in op.fields if field.bind in credentials}}
    names = st.sampled_from([field.wire for field in op.fields]) if op.fields else st.text(max_size=8)
    for wire in data.draw(st.lists(st.one_of(names, names, st.text(max_size=8)), max_size=3, unique=True), label="changed"):
        values[wire] = data.draw(field_value(spec, op, wire, op.method == "GET"), label=wire)
    if data.draw(st.sampled_from([False] * 9 + [True]), label="spoil tr_id"):
        tr_id = data.draw(st.sampled_from(["VTTC0802U", "TTTC0012U", "FHKST01010100", "x" * 40, "0", ""]), label="tr_id")
    sent = {**sandbox.headers, "tr_id": tr_id}
    if op.method == "GET":
        raw_query = st.text(max_size=40).map(lambda text: quote(text, safe="=&%+"))  # any query, as a URL carries it
        query = data.draw(st.one_of(st.just(urlencode(values)), st.just(urlencode(values)), raw_query), label="query")
        reply = sandbox.send("GET", f"{op.path}?{query}", headers=sent)
    else:
        reply = sandbox.send("POST", op.path, content=json.dumps(values).encode(), headers={**sent, "content-type": "application/json"})
    names_sent = [name.decode("latin-1") for name, _ in reply.headers.raw]
    assert names_sent[:3] == ["Content-Type", "Content-Length", "Date"] and reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    event(f"{reply.status_code} {body.get('msg_cd') or body.get('error_code') or 'ok'}")  # --hypothesis-show-statistics
    if op.kind == "auth":
        assert reply.status_code == 200 or (reply.status_code == 403 and body["error_code"] not in ("", "SBX00500")), body
    else:
        assert body["rt_cd"] in ("0", "1") and (body["rt_cd"] == "0") == (reply.status_code == 200 and body["msg_cd"] in ("APBK0013", "KIOK0000")), body
        assert body["msg_cd"] != "SBX00500" and isinstance(body["msg1"], str), body
