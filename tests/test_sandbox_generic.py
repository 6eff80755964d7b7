"""A new operation in the spec is served with no new server code: its TR_IDs, fields and rules
are enforced and its response is built from its declarations, its price fields from the
sandbox's quotes of the symbol it names (generator/sandbox/quotes.py). The operations that have
state logic are named in the sandbox's handler table, which must name operations of the spec."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from kisgen.model import Spec
from kisgen.pipeline import load_spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kisgen.sandbox.inquiries import HANDLERS
from tests.conftest import FIXTURE_SPEC, PINNED_NOW, pinned_clock

QUOTATIONS = """\
# A quotation operation the sandbox has no code for.
source:
  document: test fixture
  date: 2026-11-25

operations:
  inquire_price:
    summary: 주식현재가 시세
    method: GET
    path: /uapi/domestic-stock/v1/quotations/inquire-price
    kind: read
    tr_id:
      real: TTTC9999R  # made up: the schema allows 9-12 characters, KIS's quotation TR_IDs have 13
    request:
      FID_COND_MRKT_DIV_CODE: {label: 시장분류코드, required: true, pattern: "^(J|NX|UN)$", example: J}
      FID_INPUT_ISCD: {label: 종목코드, required: true, pattern: "^[0-9A-Z]{6}$", example: "005930"}
    rules:
      - id: nxt_is_real_only
        text: 모의투자는 J만
        when: {env: mock}
        then: {FID_COND_MRKT_DIV_CODE: {equals: J}}
    response:
      outputs:
        output:
          name: price
          shape: object
          fields:
            stck_prpr: {label: 주식현재가, kind: int, example: "70000"}
            prdy_ctrt: {label: 전일대비율, kind: decimal, signed: true, example: "-1.25"}
            stck_bsop_date: {label: 영업일자, kind: date, example: "20261125"}
            hts_kor_isnm: {label: 종목명, kind: text, example: 삼성전자}
        output2:
          name: ticks
          shape: list
          row_key: stck_cntg_hour
          fields:
            stck_cntg_hour: {label: 체결시간, kind: time, example: "093000"}
            cntg_vol: {label: 체결거래량, kind: int, example: "120"}
        output3:
          name: days
          shape: list
          row_key: stck_bsop_date
          always_sent: {fields: [data_id], source: test fixture}
          fields:
            stck_bsop_date: {label: 영업일자, kind: date}
            data_id: {label: 자료번호, kind: code}
            acml_vol: {label: 누적거래량, kind: int}
"""

PATH = "/uapi/domestic-stock/v1/quotations/inquire-price"  # not in the fixture spec


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    spec_dir = tmp_path_factory.mktemp("spec")
    for source in FIXTURE_SPEC.glob("*.yaml"):
        shutil.copy(source, spec_dir / source.name)
    Path(spec_dir / "quotations.yaml").write_text(QUOTATIONS, encoding="utf-8")
    with running_sandbox("mock", spec=load_spec(spec_dir), rate_limit_per_second=0, clock=pinned_clock()) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def headers(extended: RunningSandbox) -> dict[str, str]:
    token = httpx.post(extended.base_url + "/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": "generic-key", "appsecret": "generic-secret"})
    return {"authorization": "Bearer " + token.json()["access_token"], "appkey": "generic-key", "appsecret": "generic-secret", "tr_id": "VTTC9999R", "custtype": "P"}


def test_the_new_operation_answers_from_its_declarations(extended: RunningSandbox, headers: dict[str, str]) -> None:
    reply = httpx.get(extended.base_url + PATH, params={"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}, headers=headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["rt_cd"] == "0"
    quotes, today = extended.state.quotes, PINNED_NOW.date()
    close, base = quotes.today("005930", False, today).close, quotes.previous_close("005930", False, today)
    assert body["output"]["stck_prpr"] == f"{extended.state.price('005930', False):f}" == f"{close:f}"
    assert body["output"]["prdy_ctrt"] == f"{((close - base) / base * 100).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
    assert body["output"]["stck_bsop_date"] == today.strftime("%Y%m%d")
    assert body["output"]["hts_kor_isnm"] == "삼성전자"  # no quote names it: its documented example
    assert [set(row) for row in body["output2"]] == [{"stck_cntg_hour", "cntg_vol"}]
    assert len(body["output2"][0]["stck_cntg_hour"]) == 6


def test_a_row_without_examples_still_has_its_key_and_what_is_always_sent(extended: RunningSandbox, headers: dict[str, str]) -> None:
    # Blank, the row key would make clients drop the row as padding, and a field KIS always
    # sends would make them refuse the reply.
    reply = httpx.get(extended.base_url + PATH, params={"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}, headers=headers)
    (day,) = reply.json()["output3"]
    assert len(day["stck_bsop_date"]) == 8 and day["stck_bsop_date"].isdigit()
    assert day["data_id"] != ""
    assert day["acml_vol"] == "0"


def test_the_new_operation_enforces_its_fields_and_rules(extended: RunningSandbox, headers: dict[str, str]) -> None:
    bad_field = httpx.get(extended.base_url + PATH, params={"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "5930"}, headers=headers)
    assert bad_field.json()["msg_cd"] == "SBX02001"
    broken_rule = httpx.get(extended.base_url + PATH, params={"FID_COND_MRKT_DIV_CODE": "NX", "FID_INPUT_ISCD": "005930"}, headers=headers)
    assert broken_rule.json()["msg_cd"] == "SBX02002" and "nxt_is_real_only" in broken_rule.json()["msg1"]


def test_the_new_operation_checks_its_tr_id(extended: RunningSandbox, headers: dict[str, str]) -> None:
    reply = httpx.get(extended.base_url + PATH, params={"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}, headers={**headers, "tr_id": "VTTC8434R"})
    assert reply.status_code == 500 and reply.json()["msg_cd"] == "SBX01001"


def test_every_handler_names_an_operation_of_the_spec(spec: Spec) -> None:
    # A renamed operation would otherwise lose its state logic without a sound: the sandbox
    # would answer it from its declared examples, which every other test accepts.
    assert set(HANDLERS) - {op.qualname for op in spec.operations} == set()
    assert {"auth.token", "domestic_stock.order_cash", "domestic_stock.inquire_balance", "overseas_stock.order"} <= set(HANDLERS)
