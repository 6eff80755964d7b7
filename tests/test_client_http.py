"""KisClient against a KIS stand-in (an in-process transport): what goes on the wire is the spec's,
KIS's workbook examples exactly, pages with their continuation keys, and chart walks that stop."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kisgen.model import Operation
from tests.conftest import repo_spec
from tests.helpers_http import APP_KEY, APP_SECRET, OK, TOKEN, Answer, FakeKis, Recorded
from tests.kis_workbook import DOCUMENTED, EXAMPLES, example_params
from tests.spec_examples import Variant, default_env, valid_arguments, variants
from kis_client import Exchange, KisApiError, KisClient

SPEC = repo_spec()
REFERENCE = Path(__file__).parent / "fixtures" / "kis-open-api-reference.md"
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
def server() -> FakeKis:
    return FakeKis()


def client_for(fake: FakeKis, **options: Any) -> KisClient:
    return fake.client(**options)


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


# -- KIS's workbook examples on the wire ---------------------------------------------------------

KIS_HEADERS = {"content-type", "authorization", "appkey", "appsecret", "tr_id", "custtype", "tr_cont", "hashkey"}


def documented_answer(request: Recorded) -> Answer:
    if request.path == "/oauth2/revokeP":
        return Answer({"code": 200, "message": "접근토큰 폐기에 성공하였습니다"})
    if request.path == "/oauth2/Approval":
        return Answer({"approval_key": "a2585daf-8c09-4587-9fce-8ab893000000"})
    if request.path == "/uapi/hashkey":
        return Answer({"BODY": request.json(), "HASH": "8b84068222a49302f7ef58226d90403f62e216828f8103465f900de0e7be2f0f"})
    if request.method == "POST":  # an accepted order: KIS always sends its number, branch and time
        return Answer({**OK, "output": {"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": "0000004336", "ORD_TMD": "160524"}})
    return Answer(OK)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_documented_example_goes_on_the_wire_exactly(name: str) -> None:
    example = EXAMPLES[name]
    area, operation = name.split(".")
    kis = FakeKis(fallback=documented_answer)
    with kis.client(env=example["env"]) as client:
        method = getattr(getattr(client, area), operation)
        args = dict(example["args"])
        if "body" in args:
            method(args.pop("body"))
        else:
            method(**args)
    (request,) = kis.api_requests
    facts = DOCUMENTED[name]
    assert (request.method, request.path) == (facts["method"], facts["path"])
    if facts["method"] == "GET":
        assert request.params == example_params(name)
        assert request.body == b""
    else:
        assert request.json() == example_params(name)
        assert request.query == {}
    headers = {key: value for key, value in request.headers.items() if key in KIS_HEADERS}
    expected = set(facts["headers"]) | ({"content-type"} if facts["method"] == "POST" else set()) | ({"tr_cont"} if "continuation" in facts else set())
    if example["tr_id"] is not None:
        expected.add("custtype")  # on every call with a TR_ID, whatever the workbook marks
    assert set(headers) == expected
    if example["tr_id"] is not None:
        assert headers["tr_id"] == example["tr_id"]
    if "authorization" in headers:
        assert headers["authorization"] == f"Bearer {TOKEN}"
    if "tr_cont" in headers:
        assert headers["tr_cont"] == ""


def test_an_exchange_goes_on_the_wire_as_its_quotation_code() -> None:
    kis = FakeKis(fallback=lambda request: Answer({**OK, "output": {}}))
    with kis.client() as client:
        client.overseas_price.price(excd=Exchange.NYSE, symb="IBM")
    (sent,) = kis.api_requests
    assert sent.params["EXCD"] == "NYS"


# -- continuation keys come back verbatim, spaces included ------------------------------------

FK100 = "12345678^01^20220103^20220103^ ^00^00^".ljust(100)
NK100 = "0000012345^".ljust(100)
FK200 = "12345678^01^^20211027^20211027^00^00^NASD^^".ljust(200)
NK200 = "20211027^0000001234^".ljust(200)


def two_pages(fk_key: str, nk_key: str, fk: str, nk: str, row: dict[str, str]) -> Any:
    def answer(request: Recorded) -> Answer:
        first = request.headers.get("tr_cont", "") == ""
        body: dict[str, Any] = {**OK, fk_key: fk if first else "".ljust(len(fk)), nk_key: nk if first else "".ljust(len(nk))}
        body["output" if "200" in fk_key else "output1"] = [row]
        body["output2"] = {}
        return Answer(body, headers={"tr_cont": "M" if first else "D"})

    return answer


def test_continuation_key_100_sent_back_verbatim() -> None:
    kis = FakeKis(fallback=two_pages("ctx_area_fk100", "ctx_area_nk100", FK100, NK100, {"odno": "0000002101", "ord_dt": "20220103"}))
    with kis.client() as client:
        pages = list(client.domestic_stock.inquire_daily_ccld_pages(period="within_3_months", inqr_strt_dt="20220103", inqr_end_dt="20220103"))
    sent = kis.api_requests
    assert len(pages) == 2 and len(sent) == 2
    assert (sent[0].params["CTX_AREA_FK100"], sent[0].headers["tr_cont"]) == ("", "")
    assert sent[1].params["CTX_AREA_FK100"] == FK100
    assert sent[1].params["CTX_AREA_NK100"] == NK100
    assert sent[1].headers["tr_cont"] == "N"
    assert pages[0].continuation is not None and pages[0].continuation.fk == FK100


def test_continuation_key_200_sent_back_verbatim() -> None:
    kis = FakeKis(fallback=two_pages("ctx_area_fk200", "ctx_area_nk200", FK200, NK200, {"odno": "0000001234", "ord_dt": "20211027"}))
    with kis.client(env="real") as client:
        pages = list(client.overseas_stock.inquire_ccnl_pages(pdno="%", ord_strt_dt="20211027", ord_end_dt="20211027", ovrs_excg_cd=Exchange.NASD))
    sent = kis.api_requests
    assert len(pages) == 2
    assert sent[1].params["CTX_AREA_FK200"] == FK200
    assert sent[1].params["CTX_AREA_NK200"] == NK200
    assert sent[1].headers["tr_cont"] == "N"


# -- chart walks stop ------------------------------------------------------------------------

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2024, 8, 31)


def daily_bars(request: Recorded) -> Answer:
    """Up to 100 calendar-day bars ending at FID_INPUT_DATE_2, none before FIRST_DAY."""
    asked = request.params["FID_INPUT_DATE_2"]
    end = min(LAST_DAY, date(int(asked[:4]), int(asked[4:6]), int(asked[6:])))
    start = max(FIRST_DAY, end - timedelta(days=99))
    days = [end - timedelta(days=n) for n in range((end - start).days + 1)]
    return Answer({**OK, "output1": {"stck_prpr": "70000"}, "output2": [{"stck_bsop_date": d.strftime("%Y%m%d"), "stck_clpr": "70000"} for d in days]})


DAILY_CHART = {"fid_input_iscd": "005930", "fid_period_div_code": "D", "fid_org_adj_prc": "0"}


def test_daily_walk_stops_when_no_older_bars() -> None:
    kis = FakeKis(fallback=daily_bars)
    with kis.client() as client:
        responses = list(client.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_date_1="20000101", fid_input_date_2="20240831", **DAILY_CHART))
    assert [request.params["FID_INPUT_DATE_2"] for request in kis.api_requests] == ["20240831", "20240523", "20240213", "20231231"]
    assert [len(response.bars) for response in responses] == [100, 100, 44, 0]
    assert min(bar.stck_bsop_date for response in responses for bar in response.bars if bar.stck_bsop_date) == FIRST_DAY


def test_daily_walk_stops_at_the_start_date() -> None:
    kis = FakeKis(fallback=daily_bars)
    with kis.client(env="real") as client:
        responses = list(client.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_date_1="20240601", fid_input_date_2="20240831", **DAILY_CHART))
    assert len(responses) == 1
    assert len(kis.api_requests) == 1


def test_walk_stops_when_kis_ignores_the_bound() -> None:
    same = Answer({**OK, "output1": {}, "output2": [{"stck_bsop_date": "20240105"}, {"stck_bsop_date": "20240104"}]})
    kis = FakeKis(fallback=lambda request: same)
    with kis.client() as client:
        responses = list(client.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_date_1="20000101", fid_input_date_2="20240105", **DAILY_CHART))
    assert len(kis.api_requests) == 2
    assert len(responses) == 2


def test_walk_respects_max_calls() -> None:
    kis = FakeKis(fallback=daily_bars)
    with kis.client() as client:
        responses = list(client.domestic_stock.inquire_daily_itemchartprice_walk(fid_input_date_1="20000101", fid_input_date_2="20240831", max_calls=2, **DAILY_CHART))
    assert len(responses) == 2
    assert len(kis.api_requests) == 2


def minute_bars(request: Recorded) -> Answer:
    """Up to 30 one-minute bars at or before FID_INPUT_HOUR_1, from 09:00:00 on."""
    hour = request.params["FID_INPUT_HOUR_1"]
    upto = int(hour[:2]) * 60 + int(hour[2:4])
    minutes = list(range(upto, 9 * 60 - 1, -1))[:30]
    return Answer({**OK, "output1": {}, "output2": [{"stck_bsop_date": "20241125", "stck_cntg_hour": f"{m // 60:02d}{m % 60:02d}00"} for m in minutes]})


def test_minute_walk_goes_back_by_time_and_stops() -> None:
    kis = FakeKis(fallback=minute_bars)
    with kis.client(env="real") as client:
        responses = list(client.domestic_stock.inquire_time_itemchartprice_walk(fid_input_iscd="005930", fid_input_hour_1="100000"))
    assert [request.params["FID_INPUT_HOUR_1"] for request in kis.api_requests] == ["100000", "093059", "090059", "085959"]
    assert [len(response.bars) for response in responses] == [30, 30, 1, 0]


def test_overseas_daily_walk_moves_bymd() -> None:
    def answer(request: Recorded) -> Answer:
        bymd = request.params["BYMD"]
        if bymd == "":
            return Answer({**OK, "output1": {"nrec": "2"}, "output2": [{"xymd": "20241122"}, {"xymd": "20241121"}]})
        if bymd == "20241120":
            return Answer({**OK, "output1": {"nrec": "1"}, "output2": [{"xymd": "20241120"}]})
        return Answer({**OK, "output1": {"nrec": "0"}, "output2": []})

    kis = FakeKis(fallback=answer)
    with kis.client() as client:
        responses = list(client.overseas_price.dailyprice_walk(excd=Exchange.NASD, symb="TSLA", gubn="0", modp="1"))
    assert [request.params["BYMD"] for request in kis.api_requests] == ["", "20241120", "20241119"]
    assert {request.params["EXCD"] for request in kis.api_requests} == {"NAS"}
    assert [len(response.bars) for response in responses] == [2, 1, 0]


def test_async_walk_stops() -> None:
    kis = FakeKis(fallback=minute_bars)

    async def walk() -> list[int]:
        async with kis.async_client() as client:
            return [len(response.bars) async for response in client.domestic_stock.inquire_time_itemchartprice_walk(fid_input_iscd="005930", fid_input_hour_1="091000")]

    assert asyncio.run(walk()) == [11, 0]
    assert [request.params["FID_INPUT_HOUR_1"] for request in kis.api_requests] == ["091000", "085959"]
