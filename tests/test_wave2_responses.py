"""Issue-10 responses: every documented field is in the spec (wire name, label, kind), and the
typed parsers read KIS's quirks: other spellings, a moved output key, numbers sent as JSON numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kisgen.model import Output, Spec
from kisgen.pipeline import load_spec
from kis_client._calls import Reply
from kis_client.auth.revoke import parse_auth_revoke, prepare_auth_revoke
from kis_client.domestic_stock.inquire_daily_ccld import parse_domestic_stock_inquire_daily_ccld, prepare_domestic_stock_inquire_daily_ccld
from kis_client.domestic_stock.inquire_psbl_sell import parse_domestic_stock_inquire_psbl_sell, prepare_domestic_stock_inquire_psbl_sell
from kis_client.overseas_price.dailyprice import parse_overseas_price_dailyprice, prepare_overseas_price_dailyprice
from kis_client.overseas_price.price import parse_overseas_price_price, prepare_overseas_price_price
from tests.wave2_support import context, fixture

DOCUMENTED: dict[str, dict[str, Any]] = fixture("responses.yaml")["operations"]
SHAPES = {"array": ("list", "list_of_one"), "object": ("object",), "scalar": ("object",)}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def documented_fields() -> list[tuple[str, str, str, dict[str, str]]]:
    return [
        (name, key, wire, field)
        for name, response in DOCUMENTED.items()
        for key, output in response["outputs"].items()
        for wire, field in output["fields"].items()
    ]


def output_of(spec: Spec, name: str, key: str) -> Output:
    op = spec.operation(name)
    wanted = None if key == "(body)" else key
    return next(output for output in op.response.outputs if output.key == wanted)


@pytest.mark.parametrize(("name", "key", "wire", "documented"), documented_fields(), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_documented_field_is_in_the_spec(spec: Spec, name: str, key: str, wire: str, documented: dict[str, str]) -> None:
    output = output_of(spec, name, key)
    field = next((f for f in output.fields if f.wire == wire), None)
    assert field is not None, f"{name} {key}.{wire} missing"
    assert field.kind == documented["kind"]
    # A label that differs must say, in its note, what KIS's workbook calls it.
    assert field.label == documented["label"] or documented["label"] in (field.note or "")


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_outputs_and_envelope(spec: Spec, name: str) -> None:
    op = spec.operation(name)
    documented = DOCUMENTED[name]
    assert op.response.envelope == documented["envelope"]
    for key, output in documented["outputs"].items():
        ours = output_of(spec, name, key)
        assert ours.shape in SHAPES[output["shape"].split()[0]]
        assert {f.wire for f in ours.fields} == set(output["fields"])


def reply(body: Any) -> Reply:
    return Reply(200, {"tr_cont": "D"}, body)


OK = {"rt_cd": "0", "msg_cd": "KIOK0510", "msg1": "조회가 완료되었습니다"}


def daily_ccld_row(**overrides: str) -> dict[str, str]:
    row = {"ord_dt": "20220810", "odno": "0000002101", "pdno": "005930", "ord_qty": "1", "excg_id_dvsn_Cd": "KRX", "ord_tmd": "091512"}
    row.update(overrides)
    return row


@pytest.mark.parametrize("spelling", ["cncl_cfrm_qty", "cnc_cfrm_qty"])
def test_cancel_confirm_quantity_under_either_spelling(spelling: str) -> None:
    call = prepare_domestic_stock_inquire_daily_ccld(context("real"), period="within_3_months", inqr_strt_dt="20220810", inqr_end_dt="20220810")
    body = {**OK, "ctx_area_fk100": "", "ctx_area_nk100": "", "output1": [daily_ccld_row(**{spelling: "3"})], "output2": {"tot_ord_qty": "1", "pchs_avg_pric": "0.0000"}}
    response = parse_domestic_stock_inquire_daily_ccld(call, reply(body))
    (row,) = response.orders
    assert row.cncl_cfrm_qty == 3
    assert row.extra == {}
    assert response.totals is not None and response.totals.pchs_avg_pric == Decimal("0.0000")


def test_capital_c_spelling_is_read_and_written_back() -> None:
    call = prepare_domestic_stock_inquire_daily_ccld(context("real"), period="within_3_months", inqr_strt_dt="20220810", inqr_end_dt="20220810")
    body = {**OK, "output1": [daily_ccld_row()], "output2": {}}
    (row,) = parse_domestic_stock_inquire_daily_ccld(call, reply(body)).orders
    assert row.excg_id_dvsn_cd == "KRX"
    assert row.to_dict("wire")["excg_id_dvsn_Cd"] == "KRX"


def test_corrected_labels_keep_kis_wording_in_the_note(spec: Spec) -> None:
    totals = output_of(spec, "domestic_stock.inquire_daily_ccld", "output2")
    labels = {f.wire: (f.label, f.note or "") for f in totals.fields}
    assert labels["tot_ccld_amt"][0] == "총체결금액" and "매입평균가격" in labels["tot_ccld_amt"][1]
    nrec = next(f for f in output_of(spec, "overseas_price.dailyprice", "output1").fields if f.wire == "nrec")
    assert "전일종가" not in nrec.label and "전일종가" in (nrec.note or "")


@pytest.mark.parametrize("key", ["output", "output1"])
def test_sellable_quantity_under_output_or_output1(key: str) -> None:
    call = prepare_domestic_stock_inquire_psbl_sell(context("real"), pdno="000660")
    body = {**OK, key: {"pdno": "000660", "ord_psbl_qty": "12", "pchs_avg_pric": "54388.4874", "evlu_pfls_rt": "39.36"}}
    response = parse_domestic_stock_inquire_psbl_sell(call, reply(body))
    assert response.sellable is not None
    assert response.sellable.ord_psbl_qty == 12
    assert response.sellable.pchs_avg_pric == Decimal("54388.4874")
    assert response.extra == {}


@pytest.mark.parametrize("code", [200, "200"])
def test_revoke_code_as_json_number_or_string(code: Any) -> None:
    call = prepare_auth_revoke(context("real"))
    response = parse_auth_revoke(call, reply({"code": code, "message": "접근토큰 폐기에 성공하였습니다"}))
    assert response.result is not None and response.result.code == 200


def test_overseas_price_rate_with_leading_space() -> None:
    call = prepare_overseas_price_price(context("mock"), excd="NAS", symb="AAPL")
    body = {**OK, "output": {"rsym": "DNASAAPL", "zdiv": "4", "base": "189.9800", "last": "190.5000", "sign": "0", "diff": "0.5200", "rate": " 0.00", "tvol": "1", "tamt": "190", "ordy": "매도불가"}}
    price = parse_overseas_price_price(call, reply(body)).price
    assert price is not None
    assert (price.rate, price.last, price.ordy) == (Decimal("0.00"), Decimal("190.5000"), "매도불가")


def test_overseas_daily_bars_with_signed_rate() -> None:
    call = prepare_overseas_price_dailyprice(context("real"), excd="NAS", symb="TSLA", gubn="0", modp="1")
    body = {**OK, "output1": {"rsym": "DNASTSLA", "zdiv": "4", "nrec": "2"}, "output2": [
        {"xymd": "20220406", "clos": "1045.7600", "sign": "5", "diff": "45.5000", "rate": "-4.17", "pbid": "", "vbid": ""},
        {"xymd": "20220405", "clos": "1091.2600", "sign": "2", "diff": "57.7000", "rate": "+5.61"},
    ]}
    response = parse_overseas_price_dailyprice(call, reply(body))
    assert response.summary is not None and response.summary.nrec == 2
    assert [(bar.xymd, bar.rate, bar.pbid) for bar in response.bars] == [
        (date(2022, 4, 6), Decimal("-4.17"), None),
        (date(2022, 4, 5), Decimal("5.61"), None),
    ]
