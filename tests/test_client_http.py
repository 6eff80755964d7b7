"""KisClient over real HTTP to a KIS stand-in on 127.0.0.1: what goes on the wire is the spec's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kisgen.model import Operation
from kisgen.pipeline import load_spec
from tests.helpers_http import TOKEN, Answer, FakeKis, Recorded, fake_kis
from tests.spec_examples import Variant, default_env, valid_arguments, variants
from kis_client import KisApiError, KisClient

SPEC = load_spec()
APP_KEY, APP_SECRET = "PSappkeyfortests0001", "appsecret-for-tests-0001"
REFERENCE = Path(__file__).parent / "fixtures" / "kis-open-api-reference.md"
OK = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."}
# An accepted order: KIS always sends its number, branch and time (always_sent in the spec).
ORDER_OK = {**OK, "output": {"KRX_FWDG_ORD_ORGNO": "06010", "ODNO": "0001569157", "ORD_TMD": "155211"}}


def accepted(op: Operation) -> dict[str, Any]:
    """A successful reply to ``op``: what KIS always sends in it, in each output's shape."""
    if op.kind != "order":
        return OK
    body: dict[str, Any] = dict(ORDER_OK)
    for output in op.response.outputs:
        row = {field.wire: "155211" if field.kind == "time" else "0001569157" for field in output.fields if field.always_sent}
        if output.key is not None and row:
            body[output.key] = [row] if output.is_list else row
    return body
AUTH_REPLIES: dict[str, Any] = {
    "auth.revoke": {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"},
    "auth.approval": {"approval_key": "approval-key-for-tests"},
    "auth.hashkey": {"HASH": "8b3fd3f0"},
}


@pytest.fixture
def server() -> Any:
    with fake_kis() as fake:
        yield fake


def client_for(fake: FakeKis, **options: Any) -> KisClient:
    return KisClient(APP_KEY, APP_SECRET, account="12345678-01", base_url=fake.url, token_cache=False, rate_limit=0, **options)


def expected_headers(op: Operation, tr_id: str | None) -> dict[str, str]:
    values = {"token": TOKEN, "app_key": APP_KEY, "app_secret": APP_SECRET, "tr_id": tr_id or "", "tr_cont": ""}
    templates = {header.name: header.value for header in SPEC.headers}
    return {name: templates[name].format(**values) for name in op.headers}


# What the client fills in for each kind of bound field.
BOUND = {"account_number": "12345678", "account_product": "01", "app_key": APP_KEY, "app_secret": APP_SECRET, "token": TOKEN}

# Each operation on its default environment (mock unless KIS offers it on real only), every side and period.
CALLS = [
    (op, variant)
    for op in SPEC.operations
    if op.qualname != f"auth.{SPEC.token.operation}"
    for variant in variants(op, envs=(default_env(op),))
]


@pytest.mark.parametrize(("op", "variant"), CALLS, ids=lambda v: getattr(v, "qualname", str(v)))
def test_each_operation_sends_what_the_spec_says(server: FakeKis, op: Operation, variant: Variant) -> None:
    server.answer(op.path, AUTH_REPLIES.get(op.qualname, accepted(op)))
    with client_for(server, env=variant.env) as client:
        method = getattr(getattr(client, op.area), op.name)
        if op.request_any:
            method({"CANO": "12345678", "ORD_QTY": "1"})
        else:
            method(**valid_arguments(SPEC, op, variant))
    (sent,) = server.to(op.path)
    assert sent.method == op.method
    if op.request_any:
        wire: dict[str, Any] = sent.json()
        assert wire == {"CANO": "12345678", "ORD_QTY": "1"}
    elif op.method == "POST":
        wire = sent.json()
        assert set(wire) == {field.wire for field in op.fields}
        assert sent.query == {}
        if op.kind != "auth":
            assert all(key.isupper() for key in wire)
    else:
        assert sent.body == b""
        assert set(sent.query) == {field.wire for field in op.fields}
        assert all(len(values) == 1 for values in sent.query.values())
        wire = {key: values[0] for key, values in sent.query.items()}
    if not op.request_any:
        assert {field.wire: wire[field.wire] for field in op.fields if field.bind} == {field.wire: BOUND[field.bind] for field in op.fields if field.bind}
    tr_id = None
    if op.tr is not None:
        market = SPEC.exchange_market(wire[op.tr.market_field]) if op.tr.market_field else None
        tr_id = op.tr.lookup(variant.env, market=market, side=variant.side, period=variant.period)
        assert tr_id is not None
    headers = expected_headers(op, tr_id)
    assert {name: sent.headers.get(name) for name in headers} == headers
    assert ("tr_id" in sent.headers) == (op.tr is not None)


def test_token_is_issued_once_as_the_spec_says_and_reused(server: FakeKis) -> None:
    server.answer("/uapi/domestic-stock/v1/trading/inquire-balance", OK)
    with client_for(server) as client:
        for _ in range(3):
            client.domestic_stock.inquire_balance()
    (issue,) = server.to("/oauth2/tokenP")
    assert issue.method == "POST"
    assert issue.json() == {"grant_type": "client_credentials", "appkey": APP_KEY, "appsecret": APP_SECRET}
    assert "authorization" not in issue.headers
    assert issue.headers["content-type"] == "application/json; charset=utf-8"
    reads = server.to("/uapi/domestic-stock/v1/trading/inquire-balance")
    assert [request.headers["authorization"] for request in reads] == [f"Bearer {TOKEN}"] * 3
    assert server.requests[0] is issue


def test_order_body_and_typed_reply(server: FakeKis) -> None:
    server.answer(
        "/uapi/domestic-stock/v1/trading/order-cash",
        {**OK, "output": {"KRX_FWDG_ORD_ORGNO": "06010", "ODNO": "0001569157", "ORD_TMD": "155211"}},
    )
    with client_for(server) as client:
        reply = client.domestic_stock.order_cash(side="sell", pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="55000")
    (sent,) = server.to("/uapi/domestic-stock/v1/trading/order-cash")
    assert sent.headers["tr_id"] == "VTTC0011U"
    assert sent.headers["custtype"] == "P"
    assert sent.json() == {
        "CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1",
        "ORD_UNPR": "55000", "SLL_TYPE": "01", "EXCG_ID_DVSN_CD": "KRX", "CNDT_PRIC": "",
    }
    assert reply.order is not None
    assert (reply.order.odno, reply.order.krx_fwdg_ord_orgno, str(reply.order.ord_tmd)) == ("0001569157", "06010", "15:52:11")


def test_pages_follow_tr_cont_and_the_continuation_keys(server: FakeKis) -> None:
    def page(request: Recorded) -> Answer:
        first = request.headers.get("tr_cont", "") == ""
        row = {"pdno": "005930" if first else "000660", "hldg_qty": "10" if first else "3"}
        keys = {"ctx_area_fk100": "12345678^01^FK" + " " * 86, "ctx_area_nk100": "NK-PAGE-2" + " " * 91} if first else {"ctx_area_fk100": "", "ctx_area_nk100": ""}
        return Answer({**OK, "output1": [row, {"pdno": "", "hldg_qty": ""}], "output2": [{"dnca_tot_amt": "100"}], **keys}, headers={"tr_cont": "M" if first else "D"})

    server.routes["/uapi/domestic-stock/v1/trading/inquire-balance"] = page
    with client_for(server) as client:
        pages = list(client.domestic_stock.inquire_balance_pages())
    assert [[(row.pdno, row.hldg_qty) for row in p.holdings] for p in pages] == [[("005930", 10)], [("000660", 3)]]
    first, second = server.to("/uapi/domestic-stock/v1/trading/inquire-balance")
    assert (first.headers["tr_cont"], first.query["CTX_AREA_FK100"], first.query["CTX_AREA_NK100"]) == ("", [""], [""])
    assert second.headers["tr_cont"] == "N"
    assert second.query["CTX_AREA_FK100"] == ["12345678^01^FK" + " " * 86]  # sent back verbatim, padding kept
    assert second.query["CTX_AREA_NK100"] == ["NK-PAGE-2" + " " * 91]
    assert pages[0].continuation is not None and pages[0].continuation.has_more
    assert pages[1].continuation is not None and not pages[1].continuation.has_more


def test_hashkey_option_signs_orders_and_only_orders(server: FakeKis) -> None:
    server.answer("/uapi/hashkey", {"HASH": "hash-of-the-order-body"})
    server.answer("/uapi/domestic-stock/v1/trading/order-cash", ORDER_OK)
    server.answer("/uapi/domestic-stock/v1/trading/inquire-balance", OK)
    with client_for(server, hashkey=True) as client:
        client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="55000")
        client.domestic_stock.inquire_balance()
    (signing,) = server.to("/uapi/hashkey")
    (order,) = server.to("/uapi/domestic-stock/v1/trading/order-cash")
    (read,) = server.to("/uapi/domestic-stock/v1/trading/inquire-balance")
    assert signing.json() == order.json()
    assert (signing.headers["appkey"], signing.headers["appsecret"]) == (APP_KEY, APP_SECRET)
    assert order.headers["hashkey"] == "hash-of-the-order-body"
    assert "hashkey" not in read.headers


def test_overseas_sell_on_mock_sends_the_corrected_tr_id(server: FakeKis) -> None:
    server.answer("/uapi/overseas-stock/v1/trading/order", ORDER_OK)
    with client_for(server) as client:
        client.overseas_stock.order(side="sell", ovrs_excg_cd="NYSE", pdno="IBM", ord_qty="2", ovrs_ord_unpr="190.50", ord_dvsn="00")
    (sent,) = server.to("/uapi/overseas-stock/v1/trading/order")
    assert sent.headers["tr_id"] == "VTTT1001U"
    assert sent.json()["SLL_TYPE"] == "00"


@pytest.mark.parametrize("status", [200, 500])
def test_error_envelope_becomes_kis_api_error(server: FakeKis, status: int) -> None:
    path = "/uapi/domestic-stock/v1/trading/order-cash"
    server.answer(path, {"rt_cd": "1", "msg_cd": "APBK1664", "msg1": "주문가능금액을 초과 했습니다"}, status=status)
    with client_for(server) as client, pytest.raises(KisApiError) as raised:
        client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="55000")
    error = raised.value
    assert (error.rt_cd, error.msg_cd, error.msg1) == ("1", "APBK1664", "주문가능금액을 초과 했습니다")
    assert error.tr_id == "VTTC0012U"
    assert len(server.to(path)) == 1  # an order KIS refused is not sent again
    for secret in (APP_KEY, APP_SECRET, TOKEN):
        assert secret not in str(error)


def test_invalid_request_sends_nothing(server: FakeKis) -> None:
    from kis_client import ValidationError

    with client_for(server) as client, pytest.raises(ValidationError):
        client.domestic_stock.order_cash(side="buy", pdno="00593", ord_dvsn="00", ord_qty="1", ord_unpr="55000")
    assert server.requests == []


def document_base_urls() -> dict[str, str]:
    text = REFERENCE.read_text(encoding="utf-8")
    return {"real" if label == "실전" else "mock": url for label, url in re.findall(r"\| (실전|모의) \| `(https://[^`]+)` \|", text)}


def test_mock_is_the_default_and_real_needs_asking() -> None:
    urls = document_base_urls()
    assert set(urls) == {"real", "mock"}
    default = KisClient(APP_KEY, APP_SECRET, token_cache=False)
    assert (default.env.value, default.base_url) == ("mock", urls["mock"])
    real = KisClient(APP_KEY, APP_SECRET, env="real", token_cache=False)
    assert (real.env.value, real.base_url) == ("real", urls["real"])
    assert KisClient(APP_KEY, APP_SECRET, env="real", base_url="http://127.0.0.1:1/", token_cache=False).base_url == "http://127.0.0.1:1"
    with pytest.raises(ValueError):
        KisClient(APP_KEY, APP_SECRET, env="paper", token_cache=False)
    for client in (default, real):
        client.close()


def test_from_env_defaults_to_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIS_APP_KEY", APP_KEY)
    monkeypatch.setenv("KIS_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("KIS_ACCOUNT", "12345678-01")
    monkeypatch.delenv("KIS_ENV", raising=False)
    monkeypatch.delenv("KIS_BASE_URL", raising=False)
    client = KisClient.from_env(token_cache=False)
    assert (client.env.value, client.account, client.base_url) == ("mock", "12345678-01", document_base_urls()["mock"])
    client.close()


@pytest.mark.parametrize(
    ("word", "env"),
    [("real", "real"), ("REAL", "real"), ("prod", "real"), ("Prod", "real"), ("mock", "mock"), ("MOCK", "mock"), ("vps", "mock"), ("VPS", "mock"), ("demo", "mock"), ("Demo", "mock")],
)
def test_kis_env_takes_kis_words_in_any_case(monkeypatch: pytest.MonkeyPatch, word: str, env: str) -> None:
    monkeypatch.setenv("KIS_APP_KEY", APP_KEY)
    monkeypatch.setenv("KIS_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("KIS_ENV", word)
    monkeypatch.delenv("KIS_BASE_URL", raising=False)
    client = KisClient.from_env(token_cache=False)
    assert (client.env.value, client.base_url) == (env, document_base_urls()[env])
    client.close()


def test_an_unknown_kis_env_says_what_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIS_APP_KEY", APP_KEY)
    monkeypatch.setenv("KIS_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("KIS_ENV", "paper")
    with pytest.raises(ValueError) as raised:
        KisClient.from_env(token_cache=False)
    assert str(raised.value) == "environment variable KIS_ENV is 'paper'; it must be one of real, prod, mock, vps, demo (any case)"


@pytest.mark.parametrize(("op", "variant"), [(op, variant) for op, variant in CALLS if op.tr is not None], ids=lambda v: getattr(v, "qualname", str(v)))
def test_custtype_goes_on_every_call_with_a_tr_id(server: FakeKis, op: Operation, variant: Variant) -> None:
    # KIS's own client sends it always; users report HTTP 500 for POSTs without it.
    server.answer(op.path, accepted(op))
    from kis_client.enums import CustomerType

    with client_for(server, env=variant.env, custtype=CustomerType.CORPORATE) as client:
        getattr(getattr(client, op.area), op.name)(**valid_arguments(SPEC, op, variant))
    (sent,) = server.to(op.path)
    assert sent.headers["custtype"] == "B"
