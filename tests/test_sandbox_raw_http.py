"""A conforming KIS client that is not ours: plain httpx requests written from KIS's reference
document alone (its facts copied below), with the liberties real clients take — a JSON body
sent as raw data, content-type with or without charset or absent, header names in any case,
extra headers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from tests.conftest import fresh_account, fresh_app_key

# From the reference document (KIS Open API 참고 문서, 2026-02-21).
TOKEN_PATH = "/oauth2/tokenP"  # body {"grant_type": "client_credentials", "appkey", "appsecret"}
ORDER_CASH_PATH = "/uapi/domestic-stock/v1/trading/order-cash"
DOMESTIC_BALANCE_PATH = "/uapi/domestic-stock/v1/trading/inquire-balance"
OVERSEAS_ORDER_PATH = "/uapi/overseas-stock/v1/trading/order"
MOCK_DOMESTIC_BUY = "VTTC0012U"
REAL_DOMESTIC_BUY = "TTTC0012U"
MOCK_DOMESTIC_BALANCE = "VTTC8434R"
MOCK_US_BUY = "VTTT1002U"
RETIRED_DOMESTIC_BUY = "TTTC0802U"  # "구 TR_ID ... 사전고지 없이 차단 가능"

# From KIS's workbook (2026-09-11): 해외주식 미체결내역 is 모의투자 미지원; KIS's sample client would
# still send VTTS3018R on mock.
OPEN_ORDERS_PATH = "/uapi/overseas-stock/v1/trading/inquire-nccs"
REAL_OPEN_ORDERS = "TTTS3018R"
SAMPLE_CODE_MOCK_OPEN_ORDERS = "VTTS3018R"
NOT_IN_THE_SPEC_PATH = "/uapi/domestic-stock/v1/quotations/inquire-nothing"  # no KIS API: every one KIS publishes is in the spec

SECRET = "raw-client-secret-0123456789"


class RawClient:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.http = httpx.Client(base_url=sandbox.base_url)
        self.app_key = fresh_app_key()
        self.cano, self.product = fresh_account().split("-")
        self.token = ""

    def issue(self) -> httpx.Response:
        body = {"grant_type": "client_credentials", "appkey": self.app_key, "appsecret": SECRET}
        # Raw data and no content-type at all, as `requests.post(url, data=json.dumps(...))` sends.
        return self.http.post(TOKEN_PATH, content=json.dumps(body))

    def headers(self, tr_id: str, **more: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",  # no charset, capitalised
            "Authorization": f"Bearer {self.token}",
            "APPKEY": self.app_key,
            "AppSecret": SECRET,
            "TR_ID": tr_id,
            "CustType": "P",
            "User-Agent": "someone-elses-bot/1.0",
            "X-Request-Id": "abc",
            **more,
        }

    def buy(self, tr_id: str = MOCK_DOMESTIC_BUY, **fields: str) -> httpx.Response:
        body = {
            "CANO": self.cano, "ACNT_PRDT_CD": self.product, "PDNO": "005930", "ORD_DVSN": "00",
            "ORD_QTY": "1", "ORD_UNPR": "71000", "SLL_TYPE": "", "EXCG_ID_DVSN_CD": "KRX", "CNDT_PRIC": "",
        }
        body.update(fields)
        return self.http.post(ORDER_CASH_PATH, content=json.dumps(body).encode(), headers=self.headers(tr_id))


@pytest.fixture
def raw(mock_sandbox: RunningSandbox) -> Iterator[RawClient]:
    client = RawClient(mock_sandbox)
    reply = client.issue()
    assert reply.status_code == 200
    client.token = reply.json()["access_token"]
    yield client
    client.http.close()


def test_a_token_from_raw_data_then_the_same_token_again(raw: RawClient) -> None:
    again = raw.issue().json()
    assert again["access_token"] == raw.token
    assert again["token_type"] == "Bearer" and isinstance(again["expires_in"], int)
    assert len(again["access_token_token_expired"]) == len("2026-11-26 09:00:00")


def test_an_order_and_the_balance_from_hand_written_requests(raw: RawClient) -> None:
    reply = raw.buy()
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert body["rt_cd"] == "0"
    assert set(body["output"]) == {"KRX_FWDG_ORD_ORGNO", "ODNO", "ORD_TMD"}
    # GET with only the account in the query: the other fields take KIS's defaults.
    balance = raw.http.get(DOMESTIC_BALANCE_PATH, params={"CANO": raw.cano, "ACNT_PRDT_CD": raw.product}, headers=raw.headers(MOCK_DOMESTIC_BALANCE, tr_cont=""))
    assert balance.status_code == 200 and balance.headers["tr_cont"] == "D"
    rows = balance.json()["output1"]
    assert [(row["pdno"], row["hldg_qty"], row["pchs_avg_pric"]) for row in rows] == [("005930", "1", "70000.0000")]
    assert isinstance(balance.json()["output2"], list) and len(balance.json()["output2"]) == 1


def test_lower_case_headers_and_a_charset_are_fine_too(raw: RawClient) -> None:
    headers = {name.lower(): value for name, value in raw.headers(MOCK_US_BUY).items()}
    headers["content-type"] = "application/json; charset=UTF-8"
    body = {"CANO": raw.cano, "ACNT_PRDT_CD": raw.product, "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1", "OVRS_ORD_UNPR": "150.00", "ORD_DVSN": "00", "SLL_TYPE": "", "ORD_SVR_DVSN_CD": "0"}
    reply = raw.http.post(OVERSEAS_ORDER_PATH, json=body, headers=headers)
    assert reply.status_code == 200 and reply.json()["rt_cd"] == "0", reply.text


@pytest.mark.parametrize(
    ("tr_id", "msg_cd"),
    [(REAL_DOMESTIC_BUY, "SBX01002"), (RETIRED_DOMESTIC_BUY, "SBX01001"), ("VTTC8434R", "SBX01001")],
)
def test_the_wrong_tr_id_answers_kis_envelope(raw: RawClient, tr_id: str, msg_cd: str) -> None:
    reply = raw.buy(tr_id)
    assert reply.status_code == 500
    assert reply.json()["rt_cd"] == "1" and reply.json()["msg_cd"] == msg_cd


def test_a_field_the_spec_forbids_answers_rt_cd_1(raw: RawClient) -> None:
    reply = raw.buy(EXCG_ID_DVSN_CD="")  # "빈문자열 불가!"
    assert reply.status_code == 200
    assert reply.json()["rt_cd"] == "1" and reply.json()["msg_cd"] == "SBX02001"
    assert "EXCG_ID_DVSN_CD" in reply.json()["msg1"]


def test_a_body_that_is_not_json_is_refused(raw: RawClient) -> None:
    reply = raw.http.post(ORDER_CASH_PATH, content=b"CANO=1", headers=raw.headers(MOCK_DOMESTIC_BUY))
    assert reply.json()["msg_cd"] == "SBX01004"


def test_an_expired_token_answers_egw00123(raw: RawClient, mock_sandbox: RunningSandbox) -> None:
    token = mock_sandbox.state.token_for(raw.token)
    token.expires_at = 0
    reply = raw.buy()
    assert reply.status_code == 500 and reply.json()["msg_cd"] == "EGW00123"


def test_an_unknown_token_answers_egw00121(raw: RawClient) -> None:
    raw.token = "not-a-token"
    assert raw.buy().json()["msg_cd"] == "EGW00121"


def test_a_new_token_within_a_minute_answers_the_oauth_envelope(raw: RawClient) -> None:
    revoked = raw.http.post("/oauth2/revokeP", json={"appkey": raw.app_key, "appsecret": SECRET, "token": raw.token})
    assert revoked.status_code == 200 and revoked.json() == {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}
    reply = raw.issue()
    assert reply.status_code == 403
    assert reply.json()["error_code"] == "EGW00133" and reply.json()["error_description"]


def test_a_wrong_secret_answers_egw00105(raw: RawClient) -> None:
    headers = raw.headers(MOCK_DOMESTIC_BUY, AppSecret="someone-else")
    reply = raw.http.post(ORDER_CASH_PATH, json={}, headers=headers)
    assert reply.json()["msg_cd"] == "EGW00105"


def test_hashkey_and_approval(raw: RawClient) -> None:
    order = json.dumps({"CANO": raw.cano, "PDNO": "005930"}).encode()
    reply = raw.http.post("/uapi/hashkey", content=order, headers={"content-type": "application/json", "appkey": raw.app_key, "appsecret": SECRET})
    assert reply.json() == {"BODY": {"CANO": raw.cano, "PDNO": "005930"}, "HASH": hashlib.sha256(order).hexdigest()}
    approval = raw.http.post("/oauth2/Approval", json={"grant_type": "client_credentials", "appkey": raw.app_key, "secretkey": SECRET})
    assert approval.status_code == 200 and len(approval.json()["approval_key"]) >= 20


def test_an_unknown_path_is_404(raw: RawClient) -> None:
    reply = raw.http.get(NOT_IN_THE_SPEC_PATH, headers=raw.headers("FHKST01010900"))
    assert reply.status_code == 404 and reply.json()["msg_cd"] == "SBX00404"


@pytest.mark.parametrize("tr_id", [REAL_OPEN_ORDERS, SAMPLE_CODE_MOCK_OPEN_ORDERS])
def test_a_real_only_inquiry_on_mock_is_refused_whatever_the_tr_id(raw: RawClient, mock_sandbox: RunningSandbox, tr_id: str) -> None:
    executed = mock_sandbox.state.executed
    query = {"CANO": raw.cano, "ACNT_PRDT_CD": raw.product, "OVRS_EXCG_CD": "NASD", "SORT_SQN": "", "CTX_AREA_FK200": "", "CTX_AREA_NK200": ""}
    reply = raw.http.get(OPEN_ORDERS_PATH, params=query, headers=raw.headers(tr_id))
    assert reply.status_code == 500
    body = reply.json()
    assert body["rt_cd"] == "1" and body["msg_cd"] == "SBX01005"
    assert "모의투자" in body["msg1"] and "overseas_stock.inquire_nccs" in body["msg1"] and "real" in body["msg1"]
    assert mock_sandbox.state.executed == executed


def test_a_real_only_inquiry_answers_on_a_real_sandbox(real_sandbox: RunningSandbox) -> None:
    client = RawClient(real_sandbox)
    client.token = client.issue().json()["access_token"]
    query = {"CANO": client.cano, "ACNT_PRDT_CD": client.product, "OVRS_EXCG_CD": "NASD", "SORT_SQN": "", "CTX_AREA_FK200": "", "CTX_AREA_NK200": ""}
    reply = client.http.get(OPEN_ORDERS_PATH, params=query, headers=client.headers(REAL_OPEN_ORDERS))
    client.http.close()
    assert reply.status_code == 200 and reply.json()["rt_cd"] == "0", reply.text
    # Nothing open: KIS sends one object of blank values rather than an empty list.
    blank = reply.json()["output"]
    assert isinstance(blank, dict) and "odno" in blank and set(blank.values()) == {""}


def test_only_the_app_keys_the_sandbox_is_given_exist(spec: Spec) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, app_keys={"known-key": SECRET}) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:

        def issue(app_key: str, secret: str) -> httpx.Response:
            return http.post(TOKEN_PATH, json={"grant_type": "client_credentials", "appkey": app_key, "appsecret": secret})

        unknown, wrong_secret, known = issue("made-up-key", SECRET), issue("known-key", "wrong"), issue("known-key", SECRET)
        assert (unknown.status_code, unknown.json()["error_code"]) == (403, "EGW00103")
        assert (wrong_secret.status_code, wrong_secret.json()["error_code"]) == (403, "EGW00105")
        assert known.status_code == 200
        hashkey = http.post("/uapi/hashkey", json={"CANO": "12345678"}, headers={"appkey": "made-up-key", "appsecret": SECRET})
        assert hashkey.json()["error_code"] == "EGW00103"
        headers = {"authorization": f"Bearer {known.json()['access_token']}", "appkey": "known-key", "appsecret": SECRET, "tr_id": MOCK_DOMESTIC_BALANCE, "custtype": "P"}
        balance = http.get(DOMESTIC_BALANCE_PATH, params={"CANO": "12345678", "ACNT_PRDT_CD": "01"}, headers=headers)
        assert balance.json()["rt_cd"] == "0"
