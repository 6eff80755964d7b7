"""Typed responses: every spec field on its model with its kind's type, KIS's own examples
(tests/fixtures/responses) parsed without loss, every field KIS's workbook documents in the spec
(tests/fixtures/kis_workbook_2026_09_11), and KIS's quirks read: other spellings, a moved output
key, numbers sent as JSON numbers, a blank object where a list is documented."""

from __future__ import annotations

import copy
import dataclasses
import json
import typing
from unittest import mock
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import kis_client
from kisgen.model import Operation, Output
from kis_client import ResponseParseError
from kis_client._calls import PreparedCall, Reply
from kis_client._models import Model, Rows
from kis_client._parsing import _BadValue, parse_carefully
from tests.conftest import operation_module, repo_spec
from tests.kis_workbook import workbook

SPEC = repo_spec()
FIXTURES = Path(__file__).parent / "fixtures" / "responses"
SCHEMAS = Path(kis_client.__file__).parent / "schemas"
KIND_TYPES: dict[str, type] = {"int": int, "decimal": Decimal, "date": date, "time": dtime, "datetime": datetime, "code": str, "text": str, "flag": bool}
OUTPUTS = [(op, output) for op in SPEC.operations for output in op.response.outputs]


def body_of(operation: str) -> Any:
    return json.loads((FIXTURES / f"{operation}.json").read_text(encoding="utf-8"))


def parse(operation: str, body: Any, tr_cont: str = "") -> Any:
    op = SPEC.operation(operation)
    module = operation_module(op)
    call = PreparedCall(module.OPERATION, None, {})
    return getattr(module, f"parse_{op.function_suffix}")(call, Reply(200, {"tr_cont": tr_cont}, body))


def output_id(value: Any) -> str:
    return str(getattr(value, "qualname", None) or getattr(value, "name", value))


# ---------------------------------------------------------------------------------------------
# Every field, with the type its kind implies


@pytest.mark.parametrize(("op", "output"), OUTPUTS, ids=output_id)
def test_every_spec_field_is_on_its_model_with_its_kind_type(op: Operation, output: Output) -> None:
    module = operation_module(op)
    model: Any = getattr(module, output.class_name)
    assert "__dataclass_fields__" in vars(model)  # decorated with @dataclass itself
    assert issubclass(model, Model)
    assert model.__dataclass_params__.frozen and "__slots__" in model.__dict__
    hints = typing.get_type_hints(model, vars(module))
    names = [f.name for f in dataclasses.fields(model)]
    assert names == [field.py_name for field in output.fields] + ["extra"]
    for field in output.fields:
        kind = KIND_TYPES[field.kind]
        assert hints[field.py_name] == (kind if field.always_sent else kind | None), field.wire
        assert model._WIRE[field.py_name] == field.wire
        assert model._LABELS[field.py_name] == field.label
    assert float not in {arg for name in names[:-1] for arg in typing.get_args(hints[name])}


@pytest.mark.parametrize("op", SPEC.operations, ids=output_id)
def test_every_response_has_its_outputs_raw_and_extra(op: Operation) -> None:
    module = operation_module(op)
    model = getattr(module, op.response.class_name)
    assert model.__dataclass_params__.frozen and "__slots__" in model.__dict__
    hints = typing.get_type_hints(model, vars(module))
    envelope = [field.py_name for field in SPEC.envelope] if op.response.envelope else []
    paging = ["continuation"] if op.pagination is not None else []
    assert [f.name for f in dataclasses.fields(model)] == envelope + [output.name for output in op.response.outputs] + paging + ["raw", "extra"]
    for output in op.response.outputs:
        inner = getattr(module, output.class_name)
        expected = Rows[inner] if output.is_list else inner if output.always_sent else inner | None
        assert hints[output.name] == expected, output.name


SEED_OPERATIONS = {
    "auth.token", "domestic_stock.order_cash", "domestic_stock.order_rvsecncl", "domestic_stock.inquire_balance",
    "overseas_stock.order", "overseas_stock.inquire_balance", "overseas_stock.inquire_present_balance",
}


def test_every_seed_operation_has_a_fixture_and_every_fixture_an_operation() -> None:
    with_fixture = {path.stem for path in FIXTURES.glob("*.json")}
    assert with_fixture <= {op.qualname for op in SPEC.operations}
    assert with_fixture == SEED_OPERATIONS


# ---------------------------------------------------------------------------------------------
# KIS's examples, parsed exactly


def test_domestic_balance_parses_digit_for_digit() -> None:
    body = body_of("domestic_stock.inquire_balance")
    reply = parse("domestic_stock.inquire_balance", body)
    assert (reply.rt_cd, reply.msg_cd) == ("0", "KIOK0510")
    assert [row.pdno for row in reply.holdings] == ["009150", "005930"]  # the blank padding row is gone
    loan, cash = reply.holdings
    assert loan.pchs_avg_pric == Decimal("135440.2517") and str(loan.pchs_avg_pric) == "135440.2517"
    assert str(loan.fltt_rt) == "-100.00000000"
    assert loan.bfdy_cprs_icdc == -184500
    assert loan.hldg_qty == 1657 and type(loan.hldg_qty) is int
    assert loan.pchs_amt == 224424497
    assert loan.loan_dt == date(2021, 12, 23)
    assert loan.expd_dt is None and cash.loan_dt is None
    assert loan.item_mgna_rt_name is None  # "" is None
    assert str(loan.stck_loan_unpr) == "123000.0000"
    assert format(loan.evlu_erng_rt, "f") == "0.00000000"  # str() would say 0E-8; the digits are kept
    assert cash.evlu_pfls_amt == -8000 and cash.evlu_pfls_rt == Decimal("-1.12")
    assert loan.extra == {} and cash.extra == {}
    summary = reply.summary
    assert summary is not None  # output2 is a list holding one object
    assert summary.dnca_tot_amt == 346455
    assert summary.evlu_pfls_smtl_amt == -756922 and summary.asst_icdc_amt == -36890
    assert summary.fncg_gld_auto_rdpt_yn is None
    assert reply.raw is body
    assert reply.extra == {}


def test_overseas_balance_parses_digit_for_digit() -> None:
    body = body_of("overseas_stock.inquire_balance")
    reply = parse("overseas_stock.inquire_balance", body)
    (row,) = reply.holdings  # KIS's all-blank second row is dropped
    assert row.ovrs_pdno == "TSLA"
    assert str(row.frcr_evlu_pfls_amt) == "-3547254.185235"
    assert str(row.ovrs_stck_evlu_amt) == "791913.60000000"
    assert str(row.now_pric2) == "1064.400000"
    assert row.ovrs_cblc_qty == 744 and row.loan_dt is None
    assert reply.summary is not None
    assert str(reply.summary.ovrs_rlzt_pfls_amt2) == "-5780841.48713"
    assert str(reply.summary.tot_pftrt) == "-81.74964327"
    assert reply.raw is body


def test_present_balance_parses() -> None:
    reply = parse("overseas_stock.inquire_present_balance", body_of("overseas_stock.inquire_present_balance"))
    (row,) = reply.holdings
    assert (row.pdno, row.std_pdno, row.item_lnkg_excg_cd) == ("AAPL", "US0378331005", "NAS")
    assert str(row.cblc_qty13) == "40.00000000" and str(row.evlu_pfls_amt2) == "-1092370.00000"
    assert row.pchs_rmnd_wcrc_amt == 5986768
    assert reply.deposits == ()
    assert reply.totals is not None and str(reply.totals.evlu_erng_rt1) == "-21.67000000"


def test_flags_are_bools_and_a_lone_object_is_a_one_row_list() -> None:
    body = body_of("overseas_stock.inquire_present_balance")
    body["output2"] = [
        {"crcy_cd": "USD", "acpl_cstd_crcy_yn": "Y", "frcr_dncl_amt_2": "1234.56"},
        {"crcy_cd": "HKD", "acpl_cstd_crcy_yn": "N", "frcr_dncl_amt_2": "0.00"},
    ]
    reply = parse("overseas_stock.inquire_present_balance", body)
    assert [(row.crcy_cd, row.acpl_cstd_crcy_yn) for row in reply.deposits] == [("USD", True), ("HKD", False)]
    assert reply.deposits[0].frcr_dncl_amt_2 == Decimal("1234.56")
    body["output2"] = body["output2"][0]
    assert [row.crcy_cd for row in parse("overseas_stock.inquire_present_balance", body).deposits] == ["USD"]


@pytest.mark.parametrize(
    ("operation", "orgno", "odno", "tmd"),
    [
        ("domestic_stock.order_cash", "06010", "0001569157", dtime(15, 52, 11)),
        ("domestic_stock.order_rvsecncl", "06010", "0001569139", dtime(13, 14, 38)),
        ("overseas_stock.order", "01790", "0000004336", dtime(16, 5, 24)),
    ],
)
def test_order_outputs_keep_leading_zeros_and_read_the_time(operation: str, orgno: str, odno: str, tmd: dtime) -> None:
    reply = parse(operation, body_of(operation))
    assert (reply.order.krx_fwdg_ord_orgno, reply.order.odno, reply.order.ord_tmd) == (orgno, odno, tmd)
    assert reply.msg_cd == "APBK0013"


def test_token_reply_takes_a_json_number() -> None:
    reply = parse("auth.token", body_of("auth.token"))
    assert reply.token.expires_in == 86400
    assert reply.token.token_type == "Bearer"
    assert reply.token.access_token_token_expired == datetime(2026, 11, 26, 9, 0, 0)
    assert "eyJ0eXAi" not in repr(reply.token) and "eyJ0eXAi" not in repr(reply)


def test_unknown_fields_go_to_extra() -> None:
    body = body_of("domestic_stock.inquire_balance")
    body["output1"][0]["prdt_dvsn"] = "01"  # KIS's staff-only field, not in the spec
    body["output2"][0]["new_amt"] = "5"
    body["output9"] = []
    reply = parse("domestic_stock.inquire_balance", body)
    assert reply.holdings[0].extra == {"prdt_dvsn": "01"}
    assert reply.holdings[1].extra == {}
    assert reply.summary.extra == {"new_amt": "5"}
    assert reply.extra == {"output9": []}


def test_a_missing_documented_field_is_none() -> None:
    body = body_of("overseas_stock.inquire_balance")
    del body["output1"][0]["now_pric2"]
    del body["output2"]
    reply = parse("overseas_stock.inquire_balance", body)
    assert reply.holdings[0].now_pric2 is None
    assert reply.summary is None


@pytest.mark.parametrize(
    ("operation", "where", "output", "field", "value"),
    [
        ("domestic_stock.inquire_balance", ("output1", 1, "hldg_qty"), "output1", "hldg_qty", "1O"),
        ("domestic_stock.inquire_balance", ("output1", 0, "pchs_avg_pric"), "output1", "pchs_avg_pric", "135,440.25"),
        ("domestic_stock.inquire_balance", ("output1", 0, "loan_dt"), "output1", "loan_dt", "2021-12-23"),
        ("domestic_stock.inquire_balance", ("output2", 0, "dnca_tot_amt"), "output2", "dnca_tot_amt", "346455.5"),
        ("domestic_stock.inquire_balance", ("output2", 0, "fncg_gld_auto_rdpt_yn"), "output2", "fncg_gld_auto_rdpt_yn", "X"),
        ("overseas_stock.inquire_balance", ("output2", "tot_pftrt"), "output2", "tot_pftrt", "NaN"),
        ("overseas_stock.order", ("output", "ORD_TMD"), "output", "ORD_TMD", "25:00"),
    ],
)
def test_a_bad_value_raises_naming_everything_with_the_raw_body(operation: str, where: tuple[Any, ...], output: str, field: str, value: str) -> None:
    body = body_of(operation)
    target = body
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(ResponseParseError) as raised:
        parse(operation, body)
    error = raised.value
    assert (error.operation, error.output, error.field, error.value) == (operation, output, field, value)
    assert error.raw == body
    assert operation in str(error) and field in str(error) and repr(value) in str(error)


# The stock orders KIS answers with KRX_FWDG_ORD_ORGNO, ODNO and ORD_TMD in an object output.
ORDERS = [
    op.qualname
    for op in SPEC.operations
    if op.kind == "order" and any(output.key == "output" and not output.is_list and {f.wire for f in output.fields if f.always_sent} == {"KRX_FWDG_ORD_ORGNO", "ODNO", "ORD_TMD"} for output in op.response.outputs)
]
RESERVATION_CHANGES = frozenset({"domestic_stock.order_resv_rvsecncl"})  # answers 정상처리여부 alone: no number to miss


def test_every_order_says_what_kis_always_sends() -> None:
    """An accepted order (or reservation) always has KIS's number for it: a reply without one is a
    parse error, never an order that looks final."""
    assert len(ORDERS) >= 4
    for op in SPEC.operations:
        if op.kind == "order" and op.qualname not in RESERVATION_CHANGES:
            assert any(field.always_sent for output in op.response.outputs for field in output.fields), op.qualname


@pytest.mark.parametrize("operation", ORDERS)
@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda output: output.pop("ODNO"), "output.ODNO"),
        (lambda output: output.update(ODNO=""), "output.ODNO"),
        (lambda output: output.update(ODNO=None), "output.ODNO"),
        (lambda output: output.pop("ORD_TMD"), "output.ORD_TMD"),
        (lambda output: output.pop("KRX_FWDG_ORD_ORGNO"), "output.KRX_FWDG_ORD_ORGNO"),
        (lambda output: output.clear(), "output.KRX_FWDG_ORD_ORGNO"),
    ],
    ids=["odno-missing", "odno-blank", "odno-null", "ord_tmd-missing", "orgno-missing", "all-missing"],
)
def test_an_order_reply_without_what_kis_always_sends_is_a_parse_error(operation: str, change: Any, where: str) -> None:
    output = {"KRX_FWDG_ORD_ORGNO": "06010", "ODNO": "0001569157", "ORD_TMD": "155211"}
    assert parse(operation, {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "", "output": dict(output)}).order.odno == "0001569157"
    change(output)
    body = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료 되었습니다.", "output": output}
    with pytest.raises(ResponseParseError) as raised:
        parse(operation, body)
    error = raised.value
    assert error.missing and error.raw == body
    assert str(error) == f"{operation}: {where} is missing, though KIS always sends it in a successful reply"


@pytest.mark.parametrize("operation", ORDERS)
@pytest.mark.parametrize("output", [None, "", [], "not an object"], ids=["absent", "blank", "empty-list", "a-string"])
def test_an_order_reply_without_its_output_is_a_parse_error(operation: str, output: Any) -> None:
    body = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": ""}
    if output is not None:
        body["output"] = output
    with pytest.raises(ResponseParseError) as raised:
        parse(operation, body)
    assert raised.value.operation == operation and raised.value.output == "output"


@pytest.mark.parametrize("key", ["ODNO", "odno"], ids=["as-kis-samples-map-it", "as-kis-portal-names-it"])
def test_a_bond_order_reads_its_number_in_either_case_and_never_without_it(key: str) -> None:
    reply = {"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "", "output": [{key: "0000117861", "krx_fwdg_ord_orgno": "00950", "ord_tmd": "131438"}]}
    assert [row.odno for row in parse("domestic_bond.buy", reply).output] == ["0000117861"]
    reply["output"][0][key] = ""
    with pytest.raises(ResponseParseError) as raised:
        parse("domestic_bond.buy", reply)
    assert raised.value.missing


def test_every_always_sent_field_has_a_source_in_the_spec() -> None:
    promised = {(op.qualname, field.wire) for op in SPEC.operations for output in op.response.outputs for field in output.fields if field.always_sent}
    orders = {op.qualname for op in SPEC.operations if op.kind == "order"}
    assert {(operation, wire) for operation in ORDERS for wire in ("KRX_FWDG_ORD_ORGNO", "ODNO", "ORD_TMD")} <= promised
    assert {operation for operation, _ in promised} <= orders  # only orders promise fields: a read's reply varies
    for op in SPEC.operations:
        for output in op.response.outputs:
            assert (output.always_sent_source is not None) == output.always_sent, (op.qualname, output.name)


def test_a_deeply_nested_value_makes_a_short_message() -> None:
    body = body_of("domestic_stock.inquire_balance")
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    body["output1"][0]["hldg_qty"] = deep
    with pytest.raises(ResponseParseError) as raised:
        parse("domestic_stock.inquire_balance", body)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize("value", ["1e999999999", "9" * 5000])
def test_a_huge_integer_is_refused_not_built(value: str) -> None:
    body = body_of("domestic_stock.inquire_balance")
    body["output1"][0]["hldg_qty"] = value
    with pytest.raises(ResponseParseError) as raised:
        parse("domestic_stock.inquire_balance", body)
    assert (raised.value.field, raised.value.value) == ("hldg_qty", value)


def test_a_padding_row_is_dropped_before_its_values_are_read() -> None:
    body = body_of("domestic_stock.inquire_balance")
    body["output1"][2]["hldg_qty"] = "abc"  # a padding row (blank pdno) with garbage is still dropped
    assert len(parse("domestic_stock.inquire_balance", body).holdings) == 2


# ---------------------------------------------------------------------------------------------
# Two paths, one answer: the straight-line parsers and parse_carefully

PLAIN_VALUES: dict[str, st.SearchStrategy[str]] = {
    "int": st.integers(-(10**15), 10**15).map(str),
    "decimal": st.decimals(min_value=-(10**9), max_value=10**9, places=4).map(str),
    "date": st.dates(min_value=date(1900, 1, 1)).map(lambda day: day.strftime("%Y%m%d")),
    "time": st.times().map(lambda moment: moment.strftime("%H%M%S")),
    "datetime": st.datetimes(min_value=datetime(1900, 1, 1)).map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")),
    "flag": st.sampled_from(["Y", "N"]),
    "code": st.text(max_size=8),
    "text": st.text(max_size=8),
}
MISSING = object()
ODD_VALUES: list[Any] = [
    *["", " ", " 12 ", "1_000", "744.00000000", "NaN", "-Infinity", "1e5", "abc", "2021-12-23"],
    *["00000000", "2021W011", "2021122", "202112231", "20211332", "٣", "Y", "N", "093015", "0", "-0"],
    *[0, 5, -3, 1.5, 0.0, float("nan"), True, False, None, [], {}, MISSING],
]


def as_kis_sends(field: Any) -> st.SearchStrategy[Any]:
    """A value in the JSON type the spec declares: numbers for `json: number`, else strings;
    never blank where KIS always sends the field."""
    if field.json == "number":
        return st.integers(0, 10**9)
    blank = st.nothing() if field.always_sent else st.just("")
    plain = PLAIN_VALUES[field.kind].filter(bool)
    if field.json == "any":
        return st.one_of(st.integers(0, 10**9), plain, blank)
    return st.one_of(plain, blank)


def parsers_of(op: Operation, output: Output) -> tuple[Any, Any]:
    module = operation_module(op)
    fields, known = getattr(module, output.name.upper() + "_FIELDS"), getattr(module, output.name.upper() + "_KEYS")
    draft, model = getattr(module, f"_{output.class_name}Draft"), getattr(module, output.class_name)
    return getattr(module, f"_parse_{output.name}"), lambda row: parse_carefully(row, draft, model, fields, known)


def outcome(parse: Any, row: dict[str, Any]) -> Any:
    try:
        result = parse(row)
    except _BadValue:
        return "refused"
    return result, repr(result), result.extra


def field_shape(field: Any) -> tuple[str, str, bool, bool]:
    """What decides a field's straight-line read (kisgen.views): its kind, its JSON type, whether
    KIS always sends it, and whether it has other spellings."""
    return (field.kind, field.json, field.always_sent, bool(field.aliases))


def output_shapes(output: Output) -> set[Any]:
    """The field shapes of an output, and whether its parser counts extras by ``len(row)`` (no
    aliases) or looks for them."""
    return {field_shape(field) for field in output.fields} | {("counts extras", not any(field.aliases for field in output.fields))}


def covering(outputs: list[tuple[Operation, Output]]) -> list[tuple[Operation, Output]]:
    """Few outputs that between them have every shape (greedy): the parsers are generated per
    field shape, so these stand for all, however many operations the spec has."""
    left = set().union(*(output_shapes(output) for _, output in outputs))
    chosen = []
    while left:
        best = max(outputs, key=lambda pair: len(output_shapes(pair[1]) & left))
        chosen.append(best)
        left -= output_shapes(best[1])
    return chosen


COVERING = covering(OUTPUTS)


def test_the_covering_outputs_have_every_shape_of_the_spec() -> None:
    assert set().union(*(output_shapes(output) for _, output in COVERING)) == set().union(*(output_shapes(output) for _, output in OUTPUTS))
    assert len(COVERING) < len(OUTPUTS)


def plain_row(output: Output) -> dict[str, Any]:
    """A row as KIS sends it: every field under its own name, a plain value of its kind."""
    values = {"int": "-12", "decimal": "12.50", "date": "20241129", "time": "093015", "datetime": "2024-11-29 09:30:15", "flag": "Y", "code": "01", "text": "텍스트"}
    return {field.wire: 12 if field.json == "number" else values[field.kind] for field in output.fields}


@pytest.mark.parametrize(("op", "output"), OUTPUTS, ids=output_id)
def test_every_output_reads_a_plain_row_on_the_straight_line(op: Operation, output: Output) -> None:
    fast, careful = parsers_of(op, output)
    row = plain_row(output)
    with mock.patch.object(operation_module(op), "parse_carefully", side_effect=AssertionError("took the careful path")):
        parsed = fast(row)
    assert parsed == careful(row)
    assert parsed.to_dict("wire").keys() == row.keys() and parsed.extra == {}


@pytest.mark.parametrize(("op", "output"), COVERING, ids=output_id)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_straight_line_and_careful_parsers_agree_on_any_value_in_any_field(op: Operation, output: Output, data: st.DataObject) -> None:
    plain = {data.draw(st.sampled_from((field.wire,) + field.aliases)): data.draw(st.one_of(PLAIN_VALUES[field.kind], st.just(""))) for field in output.fields}
    if data.draw(st.booleans()):
        plain["zz_new_field"] = "1"
    fast, careful = parsers_of(op, output)
    for field in output.fields:
        wire = next(key for key in (field.wire,) + field.aliases if key in plain)
        for odd in ODD_VALUES:
            row = {key: value for key, value in plain.items() if key != wire}
            if odd is not MISSING:
                row[wire] = odd
            assert outcome(fast, row) == outcome(careful, row), (field.wire, odd)


@pytest.mark.parametrize(("op", "output"), COVERING, ids=output_id)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_row_as_kis_sends_it_never_takes_the_careful_path(op: Operation, output: Output, data: st.DataObject) -> None:
    row = {data.draw(st.sampled_from((field.wire,) + field.aliases)): data.draw(as_kis_sends(field)) for field in output.fields}
    fast, careful = parsers_of(op, output)
    with mock.patch.object(operation_module(op), "parse_carefully", side_effect=AssertionError("took the careful path")):
        assert fast(row) == careful(row)


# ---------------------------------------------------------------------------------------------
# Plain data out: to_dict and as_records


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_to_dict_on_every_model(path: Path) -> None:
    reply = parse(path.stem, json.loads(path.read_text(encoding="utf-8")))
    plain = reply.to_dict()
    json.dumps(plain, default=str)  # nothing but plain values, lists and dicts
    op = SPEC.operation(path.stem)
    for output in op.response.outputs:
        value = getattr(reply, output.name)
        if output.is_list:
            assert plain[output.name] == [row.to_dict() for row in value]
        elif value is not None:
            assert plain[output.name] == value.to_dict()
            assert set(value.to_dict("wire")) == {field.wire for field in output.fields}
            assert set(value.to_dict("ko")) == {field.label for field in output.fields}


def test_as_records_with_each_kind_of_label() -> None:
    reply = parse("domestic_stock.inquire_balance", body_of("domestic_stock.inquire_balance"))
    python = reply.holdings.as_records()
    assert python == reply.holdings.as_records(labels="python")
    assert python[0]["pchs_avg_pric"] == Decimal("135440.2517") and python[0]["loan_dt"] == date(2021, 12, 23)
    wire = reply.holdings.as_records(labels="wire")
    korean = reply.holdings.as_records(labels="ko")
    assert len(python) == len(wire) == len(korean) == 2
    assert wire[0]["bfdy_cprs_icdc"] == -184500
    assert korean[0]["보유수량"] == 1657 and korean[0]["상품명"] == "삼성전기"
    output = SPEC.operation("domestic_stock.inquire_balance").response.outputs[0]
    assert list(korean[0]) == [field.label for field in output.fields]
    upper = parse("domestic_stock.order_cash", body_of("domestic_stock.order_cash"))
    assert upper.order.to_dict("wire") == {"KRX_FWDG_ORD_ORGNO": "06010", "ODNO": "0001569157", "ORD_TMD": dtime(15, 52, 11)}


# ---------------------------------------------------------------------------------------------
# The response JSON Schemas


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_response_schema_accepts_the_fixture(path: Path) -> None:
    schema = json.loads((SCHEMAS / f"{path.stem}.response.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    body = json.loads(path.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(body)) == []
    if SPEC.operation(path.stem).response.envelope:
        broken = copy.deepcopy(body)
        del broken["rt_cd"]
        assert not Draft202012Validator(schema).is_valid(broken)


# ---------------------------------------------------------------------------------------------
# The fields KIS's workbook documents, and its quirks

WORKBOOK: dict[str, dict[str, Any]] = workbook("responses.yaml")["operations"]
SHAPES = {"array": ("list", "list_of_one"), "object": ("object",), "scalar": ("object",)}


def output_of(operation: str, key: str) -> Output:
    wanted = None if key == "(body)" else key
    return next(output for output in SPEC.operation(operation).response.outputs if output.key == wanted)


@pytest.mark.parametrize("operation", sorted(WORKBOOK))
def test_every_documented_output_and_field_is_in_the_spec(operation: str) -> None:
    documented = WORKBOOK[operation]
    assert SPEC.operation(operation).response.envelope == documented["envelope"]
    for key, output in documented["outputs"].items():
        ours = output_of(operation, key)
        assert ours.shape in SHAPES[output["shape"].split()[0]], key
        assert {f.wire for f in ours.fields} == set(output["fields"]), key
        fields = {f.wire: f for f in ours.fields}
        for wire, field in output["fields"].items():
            assert fields[wire].kind == field["kind"], (key, wire)
            # A label that differs must say, in its note, what KIS's workbook calls it.
            assert fields[wire].label == field["label"] or field["label"] in (fields[wire].note or ""), (key, wire)


def daily_ccld_row(**overrides: str) -> dict[str, str]:
    row = {"ord_dt": "20220810", "odno": "0000002101", "pdno": "005930", "ord_qty": "1", "excg_id_dvsn_Cd": "KRX", "ord_tmd": "091512"}
    row.update(overrides)
    return row


INQUIRY_OK = {"rt_cd": "0", "msg_cd": "KIOK0510", "msg1": "조회가 완료되었습니다"}


@pytest.mark.parametrize("spelling", ["cncl_cfrm_qty", "cnc_cfrm_qty"])
def test_cancel_confirm_quantity_under_either_spelling(spelling: str) -> None:
    body = {**INQUIRY_OK, "ctx_area_fk100": "", "ctx_area_nk100": "", "output1": [daily_ccld_row(**{spelling: "3"})], "output2": {"tot_ord_qty": "1", "pchs_avg_pric": "0.0000"}}
    response = parse("domestic_stock.inquire_daily_ccld", body, "D")
    (row,) = response.orders
    assert row.cncl_cfrm_qty == 3
    assert row.extra == {}
    assert response.totals is not None and response.totals.pchs_avg_pric == Decimal("0.0000")


def test_capital_c_spelling_is_read_and_written_back() -> None:
    body = {**INQUIRY_OK, "output1": [daily_ccld_row()], "output2": {}}
    (row,) = parse("domestic_stock.inquire_daily_ccld", body, "D").orders
    assert row.excg_id_dvsn_cd == "KRX"
    assert row.to_dict("wire")["excg_id_dvsn_Cd"] == "KRX"


def test_corrected_labels_keep_kis_wording_in_the_note() -> None:
    labels = {f.wire: (f.label, f.note or "") for f in output_of("domestic_stock.inquire_daily_ccld", "output2").fields}
    assert labels["tot_ccld_amt"][0] == "총체결금액" and "매입평균가격" in labels["tot_ccld_amt"][1]
    nrec = next(f for f in output_of("overseas_price.dailyprice", "output1").fields if f.wire == "nrec")
    assert "전일종가" not in nrec.label and "전일종가" in (nrec.note or "")


@pytest.mark.parametrize("key", ["output", "output1"])
def test_sellable_quantity_under_output_or_output1(key: str) -> None:
    body = {**INQUIRY_OK, key: {"pdno": "000660", "ord_psbl_qty": "12", "pchs_avg_pric": "54388.4874", "evlu_pfls_rt": "39.36"}}
    response = parse("domestic_stock.inquire_psbl_sell", body, "D")
    assert response.sellable is not None
    assert response.sellable.ord_psbl_qty == 12
    assert response.sellable.pchs_avg_pric == Decimal("54388.4874")
    assert response.extra == {}


@pytest.mark.parametrize("code", [200, "200"])
def test_revoke_code_as_json_number_or_string(code: Any) -> None:
    response = parse("auth.revoke", {"code": code, "message": "접근토큰 폐기에 성공하였습니다"}, "D")
    assert response.result is not None and response.result.code == 200


def test_overseas_price_rate_with_leading_space() -> None:
    body = {**INQUIRY_OK, "output": {"rsym": "DNASAAPL", "zdiv": "4", "base": "189.9800", "last": "190.5000", "sign": "0", "diff": "0.5200", "rate": " 0.00", "tvol": "1", "tamt": "190", "ordy": "매도불가"}}
    price = parse("overseas_price.price", body, "D").price
    assert price is not None
    assert (price.rate, price.last, price.ordy) == (Decimal("0.00"), Decimal("190.5000"), "매도불가")


def test_overseas_daily_bars_with_signed_rate() -> None:
    body = {**INQUIRY_OK, "output1": {"rsym": "DNASTSLA", "zdiv": "4", "nrec": "2"}, "output2": [
        {"xymd": "20220406", "clos": "1045.7600", "sign": "5", "diff": "45.5000", "rate": "-4.17", "pbid": "", "vbid": ""},
        {"xymd": "20220405", "clos": "1091.2600", "sign": "2", "diff": "57.7000", "rate": "+5.61"},
    ]}
    response = parse("overseas_price.dailyprice", body, "D")
    assert response.summary is not None and response.summary.nrec == 2
    assert [(bar.xymd, bar.rate, bar.pbid) for bar in response.bars] == [
        (date(2022, 4, 6), Decimal("-4.17"), None),
        (date(2022, 4, 5), Decimal("5.61"), None),
    ]


BLANK_CCNL = {
    "ctx_area_fk200": "12345678^01^^20211027^20211027^00^00^%^^".ljust(200),
    "ctx_area_nk200": "".ljust(200),
    "output": {"ord_dt": "", "ord_gno_brno": "", "odno": "", "orgn_odno": "", "sll_buy_dvsn_cd": "", "ft_ord_qty": "", "ft_ccld_unpr3": "", "ord_tmd": "", "nccs_qty": ""},
    "rt_cd": "0",
    "msg_cd": "KIOK0560",
    "msg1": "조회할 내용이 없습니다                                                          ",
}


def test_blank_object_is_an_empty_list() -> None:
    response = parse("overseas_stock.inquire_ccnl", BLANK_CCNL, "D")
    assert response.orders.as_records() == []
    assert response.orders == ()


def test_blank_object_is_an_empty_list_for_open_orders() -> None:
    body = {**BLANK_CCNL, "output": {"odno": "", "nccs_qty": "", "ord_dt": ""}}
    assert parse("overseas_stock.inquire_nccs", body, "D").orders == ()
