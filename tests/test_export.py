"""kisgen export openapi: an OpenAPI 3.1 document of the spec, validated by openapi-spec-validator
(of the fixture spec, which uses every construct of the spec language)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kisgen.cli import main
from kisgen.docs import code, text
from kisgen.export import openapi
from kisgen.pipeline import load_spec
from kisgen.schemas import request_schema, response_schema
from tests.conftest import FIXTURE_SPEC

SPEC = load_spec(FIXTURE_SPEC)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi(SPEC)


def _op(document: dict[str, Any], qualname: str) -> dict[str, Any]:
    op = SPEC.operation(qualname)
    item: dict[str, Any] = document["paths"][op.path][op.method.lower()]
    return item


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_validator_would_catch_a_broken_document(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    del _op(broken, "overseas_stock.order")["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken, cls=OpenAPIV31SpecValidator)


def test_every_operation_at_its_path_and_method(document: dict[str, Any]) -> None:
    found = {(path, method) for path, item in document["paths"].items() for method in item}
    assert found == {(op.path, op.method.lower()) for op in SPEC.operations}
    assert len({item["operationId"] for path in document["paths"].values() for item in path.values()}) == len(SPEC.operations)


def test_tr_id_header_lists_every_variant_with_the_override_and_its_source(document: dict[str, Any]) -> None:
    order = _op(document, "overseas_stock.order")
    tr_param = next(p for p in order["parameters"] if p.get("name") == "tr_id")
    assert tr_param["in"] == "header" and tr_param["required"]
    tr = SPEC.operation("overseas_stock.order").tr
    assert tr is not None
    assert sorted(tr_param["schema"]["enum"]) == sorted({cell.tr_id for cell in tr.cells})
    assert len(order["x-kis-tr-ids"]) == len(tr.cells) == 24
    us_sell_mock = [row for row in order["x-kis-tr-ids"] if (row["env"], row.get("market"), row.get("side")) == ("mock", "US", "sell")]
    assert len(us_sell_mock) == 1
    assert us_sell_mock[0]["tr_id"] == "VTTT1001U" and us_sell_mock[0]["origin"] == "override"
    assert "KIS API portal 2026-05-29" in us_sell_mock[0]["source"]
    assert "VTTT1006U" not in tr_param["schema"]["enum"]
    assert "tr_id" not in {p.get("name") for p in _op(document, "auth.token").get("parameters", [])}


def test_get_sends_query_parameters_with_codes_and_patterns(document: dict[str, Any]) -> None:
    balance = _op(document, "overseas_stock.inquire_balance")
    assert "requestBody" not in balance
    query = {p["name"]: p for p in balance["parameters"] if p.get("in") == "query"}
    assert list(query) == [field.wire for field in SPEC.operation("overseas_stock.inquire_balance").fields]
    assert query["CANO"]["required"] and query["CANO"]["schema"]["pattern"] == "^[0-9]{8}$"
    assert query["TR_CRCY_CD"]["schema"]["enum"] == ["USD", "HKD", "CNY", "JPY", "VND"]
    assert query["CTX_AREA_FK200"]["required"] is False and query["CTX_AREA_FK200"]["schema"]["maxLength"] == 200
    assert "tr_cont" in balance["responses"]["200"]["headers"]


def test_post_body_reuses_the_request_schemas_of_every_variant(document: dict[str, Any]) -> None:
    order = _op(document, "overseas_stock.order")
    assert "parameters" in order and not any(p.get("in") == "query" for p in order["parameters"])
    body = order["requestBody"]["content"]["application/json"]["schema"]
    refs = [alt["$ref"].rsplit("/", 1)[1] for alt in body["anyOf"]]
    assert refs == [f"overseas_stock.order.{env}.{side}.request" for env in ("real", "mock") for side in ("buy", "sell")]
    op = SPEC.operation("overseas_stock.order")
    component = document["components"]["schemas"]["overseas_stock.order.mock.sell.request"]
    expected = request_schema(SPEC, op, "mock", "sell", "")
    assert component == {k: v for k, v in expected.items() if k not in ("$schema", "$comment")}
    assert component["properties"]["ORD_DVSN"]["enum"] == ["00", "31", "32", "33", "34", "50"]
    single = _op(document, "domestic_stock.order_rvsecncl")["requestBody"]["content"]["application/json"]["schema"]
    assert single == {"anyOf": [{"$ref": f"#/components/schemas/domestic_stock.order_rvsecncl.{env}.request"} for env in ("real", "mock")]}


def test_body_schemas_accept_a_good_order_and_reject_a_bad_one(document: dict[str, Any]) -> None:
    schema = dict(document["components"]["schemas"]["overseas_stock.order.mock.sell.request"], **{"$schema": "https://json-schema.org/draft/2020-12/schema"})
    good = {
        "CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "ORD_QTY": "1",
        "OVRS_ORD_UNPR": "150.00", "CTAC_TLNO": "", "MGCO_APTM_ODNO": "", "SLL_TYPE": "00", "ORD_SVR_DVSN_CD": "0", "ORD_DVSN": "00",
    }
    assert list(Draft202012Validator(schema).iter_errors(good)) == []
    assert list(Draft202012Validator(schema).iter_errors(dict(good, ORD_DVSN="31")))  # mock accounts: limit only
    assert list(Draft202012Validator(schema).iter_errors(dict(good, OVRS_EXCG_CD="XXXX")))


def test_responses_reuse_the_response_schemas(document: dict[str, Any]) -> None:
    op = SPEC.operation("domestic_stock.inquire_balance")
    ref = _op(document, op.qualname)["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/domestic_stock.inquire_balance.response"
    expected = response_schema(SPEC, op, "")
    assert document["components"]["schemas"]["domestic_stock.inquire_balance.response"] == {k: v for k, v in expected.items() if k not in ("$schema", "$comment")}


def test_security_servers_and_common_headers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["kisBearer"] == {"type": "http", "scheme": "bearer", "description": "access token from auth.token"}
    assert schemes["appkey"] == {"type": "apiKey", "in": "header", "name": "appkey"}
    assert schemes["appsecret"] == {"type": "apiKey", "in": "header", "name": "appsecret"}
    assert _op(document, "domestic_stock.order_cash")["security"] == [{"kisBearer": [], "appkey": [], "appsecret": []}]
    assert _op(document, "auth.token")["security"] == []
    assert _op(document, "auth.hashkey")["security"] == [{"appkey": [], "appsecret": []}]
    assert [s["url"] for s in document["servers"]] == ["https://openapi.koreainvestment.com:9443", "https://openapivts.koreainvestment.com:29443"]
    params = document["components"]["parameters"]
    assert set(params) == {"custtype", "tr_cont"}  # the rest are security schemes, the body's media type, or tr_id
    assert params["custtype"]["schema"]["default"] == "P"
    refs = [p["$ref"] for p in _op(document, "overseas_stock.inquire_balance")["parameters"] if "$ref" in p]
    assert refs == ["#/components/parameters/custtype", "#/components/parameters/tr_cont"]


def test_cli_writes_the_file_or_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any]) -> None:
    target = tmp_path / "openapi.json"
    assert main(["--spec", str(FIXTURE_SPEC), "export", "openapi", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == document
    capsys.readouterr()
    assert main(["--spec", str(FIXTURE_SPEC), "export", "openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == document


@pytest.mark.parametrize(
    ("value", "as_text", "as_code"),
    [
        ("plain 한글", "plain 한글", "`plain 한글`"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "`<script>alert(1)</script>`"),
        ("NUL\x00 ESC\x1b[31m red", "NUL\\x00 ESC\\x1b[31m red", "`NUL\\x00 ESC\\x1b[31m red`"),
        ("a|b", "a\\|b", "`a\\|b`"),
        ("a`b", "a\\`b", "``a`b``"),
        ("`x`", "\\`x\\`", "`` `x` ``"),
        (" x ", " x ", "`  x  `"),
        ("R&D\nnext line", "R&amp;D next line", "`R&D\\nnext line`"),
        ("back\\slash", "back\\\\slash", "`back\\slash`"),
        ("\u202eevil", "\\u202eevil", "`\\u202eevil`"),
    ],
)
def test_spec_strings_are_shown_in_markdown_never_run(value: str, as_text: str, as_code: str) -> None:
    assert text(value) == as_text
    assert code(value) == as_code


def test_the_real_time_feed_rides_along_with_each_record_as_a_schema(document: dict[str, Any]) -> None:
    """OpenAPI has no WebSockets: x-kis-realtime carries the feed, components.schemas each record."""
    realtime = SPEC.realtime
    assert realtime is not None
    feed = document["x-kis-realtime"]
    assert feed["servers"] == [{"env": "real", "url": "ws://ops.koreainvestment.com:21000/tryitout"}, {"env": "mock", "url": "ws://ops.koreainvestment.com:31000/tryitout"}]
    assert feed["limits"]["registrations"] == 41 and feed["approval"]["operation"] == "auth.approval"
    assert [tr["tr_id"]["real"] for tr in feed["trs"]] == [tr.real_tr_id for tr in realtime.trs]
    notice = next(tr for tr in feed["trs"] if tr["tr_id"]["real"] == "H0STCNI0")
    assert notice["tr_id"]["mock"] == "H0STCNI9" and notice["encrypted"] is True
    schema = document["components"]["schemas"]["realtime.H0STCNI0"]
    assert notice["record"] == {"$ref": "#/components/schemas/realtime.H0STCNI0"}
    assert [item["title"] for item in schema["prefixItems"]] == [field.wire for field in realtime.tr("H0STCNI0").fields]
    validator = Draft202012Validator(schema)
    values = ["x"] * 26
    assert validator.is_valid(values) and validator.is_valid(values + ["added by KIS"]) and not validator.is_valid(values[:23])
