"""What the sandbox sends over the wire: KIS's header names, read the way KIS's own sample client
reads them, and KIS's envelope for every request however odd (bodies, query strings, targets).
"""

from __future__ import annotations

import json
import socket
from collections import namedtuple
from collections.abc import Iterator
from typing import Any

import h11
import httpx
import pytest

from generator.sandbox import RunningSandbox
from tests.conftest import fresh_account, fresh_app_key

SECRET = "wire-secret-0123456789"
ORDER = "/uapi/domestic-stock/v1/trading/order-cash"
MODIFY = "/uapi/domestic-stock/v1/trading/order-rvsecncl"
OVERSEAS_ORDER = "/uapi/overseas-stock/v1/trading/order"
BALANCE = "/uapi/domestic-stock/v1/trading/inquire-balance"
DAILY_ORDERS = "/uapi/domestic-stock/v1/trading/inquire-daily-ccld"
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
        "paged read": wire.balance(),
        "business error": wire.post(ORDER, "VTTC0012U", wire.order(ORD_QTY="0")),
        "gateway error": wire.http.get(BALANCE, headers={**wire.headers("VTTC8434R"), "authorization": "Bearer nope"}),
        "no such path": wire.http.get("/uapi/nothing", headers=wire.headers("VTTC8434R")),
        "hashkey": wire.http.post("/uapi/hashkey", json=wire.order(), headers={"appkey": wire.app_key, "appsecret": SECRET}),
        "oauth error": wire.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": wire.app_key, "appsecret": "wrong"}),
    }
    assert [reply.status_code for reply in replies.values()] == [200, 200, 200, 200, 500, 404, 200, 403]
    for kind, reply in replies.items():
        names = [name.decode("latin-1") for name, _ in reply.headers.raw]
        assert {"Content-Type", "Content-Length", "Date"} <= set(names), kind
        assert {name for name in names if name.islower()} <= KIS_OWN_HEADERS, kind
        header, body = read_like_kis_sample(reply)
        assert header._fields == tuple(name for name in names if name.islower()) and body._fields == tuple(reply.json())
    header, body = read_like_kis_sample(replies["order"])
    assert header.tr_id == "VTTC0012U" and len(header.gt_uid) == 32 and body.rt_cd == "0"
    assert read_like_kis_sample(replies["paged read"])[0].tr_cont == "D"
    assert read_like_kis_sample(replies["business error"])[1].msg_cd == "SBX02001"


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
