"""Validators accept the document's examples, reject what KIS refuses, and agree with the schemas.

Each request validator (kis_client.<area>.<operation>.validate_*) and the JSON Schema emitted for the same
operation, environment and side (generated/kis_client/schemas/*.request.json) must say the same
thing about every sample: valid by one exactly when valid by the other.

Both are generated from each field's declaration and each operation's rules. An operation
without rules checks each field on its own, so its agreement is that of its fields'
declarations: each distinct declaration is tried once, in the first variant that has it.
Operations with rules tie fields together, so every variant of each is tried, field by field and
in random combinations. The cost grows with the operations that have rules, not with all.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import kis_client
from kisgen.model import Operation
from kis_client import ValidationError
from kis_client._calls import CallContext
from kis_client._secrets import Credentials
from kis_client.domestic_stock.order_cash import prepare_domestic_stock_order_cash
from kis_client.domestic_stock.order_rvsecncl import prepare_domestic_stock_order_rvsecncl
from kis_client.overseas_stock.inquire_present_balance import prepare_overseas_stock_inquire_present_balance
from kis_client.overseas_stock.order import prepare_overseas_stock_order
from tests.conftest import operation_module, repo_spec
from tests.spec_examples import Variant, valid_wire_values

SPEC = repo_spec()
SCHEMAS = Path(kis_client.__file__).parent / "schemas"
REFERENCE = Path(__file__).parent / "fixtures" / "kis-open-api-reference.md"
OPERATIONS = [op for op in SPEC.operations if not op.request_any and op.fields]  # no fields: nothing to validate
VARIANTS = [(op, env, side) for op in OPERATIONS for env in op.envs for side in (("buy", "sell") if op.has_side else (None,))]


def declaration(field: Any) -> tuple[Any, ...]:
    """What the validator and the schema check of a field, whatever its name."""
    return (field.codes, field.encode, field.pattern, field.max_length, field.required, field.bind is not None)


def alone_variants() -> list[tuple[Operation, str, str | None]]:
    """Every variant of an operation with rules; of the others, the first that brings a field
    declaration not seen before."""
    chosen, seen = [], set()
    for op, env, side in VARIANTS:
        declarations = {declaration(field) for field in op.fields}
        if op.rules or declarations - seen:
            chosen.append((op, env, side))
            seen |= declarations
    return chosen


ALONE = alone_variants()

# Values that break one pattern or another. No trailing newlines: Python's ``re.search`` (which
# jsonschema uses for ``pattern``) lets ``$`` match before one, unlike ECMA-262 regexes and unlike
# the validators' ``fullmatch``; see test_trailing_newline_is_refused.
TRICKY: tuple[Any, ...] = ("", " ", "0", "00", "000", "1", "-1", "1.5", "0.0", "01", "abc", "ten", "00593", "0059300", "Q500001", "12345", "1234567", "123456789", "NAS", "KRX", "nasd", "X" * 201, "１", 1, None)


def context(env: str) -> CallContext:
    return CallContext(env, "12345678", "01", Credentials("app-key-for-tests", "app-secret-for-tests"), lambda: "token-for-tests")


@cache
def schema_validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_name(op: Operation, env: str, side: str | None) -> str:
    return ".".join(part for part in (op.qualname, env, side, "request.json") if part)


def likely_values(op: Operation, wire: str) -> list[Any]:
    """Values worth combining for one field: its codes, example, default and the rules' values."""
    field = op.field(wire)
    values: list[Any] = []
    if field.codes is not None:
        values += list(SPEC.code_table(field.codes).values)
    values += [v for v in (field.example, field.default, *dict(field.default_by_side).values()) if v is not None]
    for rule in op.rules:
        for constraint in rule.then:
            if constraint.wire == wire:
                values += list(constraint.values)
        for condition in rule.when:
            if condition.name == wire:
                values += list(condition.values)
    if field.pattern is not None and re.fullmatch(field.pattern, "55000"):
        values += ["55000", "0"]
    if field.pattern is not None and re.fullmatch(field.pattern, "150.25"):
        values += ["150.25", "0", "0.00"]
    if field.bind is not None:
        values.append("12345678" if wire == "CANO" else "01" if wire == "ACNT_PRDT_CD" else "secret")
    return list(dict.fromkeys(values)) or [""]


def base_sample(op: Operation) -> dict[str, Any]:
    sample = {}
    for field in op.fields:
        sample[field.wire] = likely_values(op, field.wire)[0] if field.example is None else field.example
    return sample


def by_validator(op: Operation, env: str, side: str | None, wire_values: dict[str, Any]) -> list[str]:
    model = getattr(operation_module(op), op.class_prefix + "Request")
    request = model(**{op.field(wire).py_name: value for wire, value in wire_values.items()})
    validate = getattr(operation_module(op), f"validate_{op.function_suffix}")
    problems = validate(request, env, side) if side is not None else validate(request, env)
    return sorted({problem.field for problem in problems})


def by_schema(op: Operation, env: str, side: str | None, wire_values: dict[str, Any]) -> bool:
    return schema_validator(schema_name(op, env, side)).is_valid(wire_values)


def verdicts(op: Operation, env: str, side: str | None, sample: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the validator, and whether the schema, accepts ``sample``."""
    fields = by_validator(op, env, side, sample)
    assert set(fields) <= set(sample), f"problems name fields that are not wire names: {fields}"
    return not fields, by_schema(op, env, side, sample)


def disagreement(op: Operation, env: str, side: str | None, sample: dict[str, Any]) -> str:
    validator_ok, schema_ok = verdicts(op, env, side, sample)
    return f"{schema_name(op, env, side)}: validator {'accepts' if validator_ok else 'refuses'} and schema {'accepts' if schema_ok else 'refuses'} {sample}"


def variant_id(value: Any) -> str:
    return getattr(value, "qualname", str(value))


def test_every_field_declaration_is_tried_alone() -> None:
    assert {declaration(field) for op, _, _ in ALONE for field in op.fields} == {declaration(field) for op in OPERATIONS for field in op.fields}
    assert {(op.qualname, env, side) for op, env, side in VARIANTS if op.rules} <= {(op.qualname, env, side) for op, env, side in ALONE}


@pytest.mark.parametrize(("op", "env", "side"), ALONE, ids=variant_id)
def test_each_field_value_alone_gets_the_same_verdict(op: Operation, env: str, side: str | None) -> None:
    base, _ = valid_wire_values(SPEC, op, Variant(env, side), start=base_sample(op))  # rules of the variant met
    assert verdicts(op, env, side, base) == (True, True), "the spec's examples must make a valid request"
    seen = set()
    for field in op.fields:
        for value in likely_values(op, field.wire) + list(TRICKY):
            sample = {**base, field.wire: value}
            validator_ok, schema_ok = verdicts(op, env, side, sample)
            assert validator_ok == schema_ok, disagreement(op, env, side, sample)
            seen.add(validator_ok)
    assert seen == {True, False}


@st.composite
def samples(draw: st.DrawFn, op: Operation) -> dict[str, Any]:
    """Mostly-plausible requests (so rules between fields meet), with up to two fields spoiled."""
    sample = {field.wire: draw(st.sampled_from(likely_values(op, field.wire))) for field in op.fields}
    for wire in draw(st.sets(st.sampled_from([field.wire for field in op.fields]), max_size=2)):
        sample[wire] = draw(st.sampled_from(TRICKY))
    return sample


@st.composite
def rule_samples(draw: st.DrawFn, op: Operation) -> tuple[str, str | None, dict[str, Any]]:
    """A variant of ``op`` and a sample for it: the rules' conditions cover env and side too."""
    env, side = draw(st.sampled_from([(env, side) for each, env, side in VARIANTS if each is op]))
    return env, side, draw(samples(op))


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.rules], ids=variant_id)
@settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validator_and_schema_agree_on_combinations(op: Operation, data: st.DataObject) -> None:
    env, side, sample = data.draw(rule_samples(op))
    validator_ok, schema_ok = verdicts(op, env, side, sample)
    assert validator_ok == schema_ok, disagreement(op, env, side, sample)


def test_trailing_newline_is_refused() -> None:
    op = SPEC.operation("domestic_stock.order_cash")
    sample = {**base_sample(op), "SLL_TYPE": "", "PDNO": "005930\n"}
    assert by_validator(op, "real", "buy", sample) == ["PDNO"]


# ---------------------------------------------------------------------------------------------
# The reference document's examples


def document_examples(heading: str) -> dict[str, dict[str, str]]:
    """The Request Body table under ``heading``: wire name -> value, once per side."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    section = section[section.index("**Request Body:**"):]
    result: dict[str, dict[str, str]] = {"buy": {}, "sell": {}}
    lines = [line for line in section.splitlines()[1:] if line.strip()]
    for line in lines[2:]:  # after the header and the |---| line
        if not line.startswith("|"):
            break
        name, _, example = (cell.strip() for cell in line.strip("|").split("|"))
        wire = name.strip("`")
        for side, word in (("buy", "매수시"), ("sell", "매도시")):
            by_side = re.search(word + r' `"([^"`]*)"`', example)
            first = re.search(r'`"([^"`]*)"`', example)
            assert first is not None, line
            result[side][wire] = by_side.group(1) if by_side else first.group(1)
    return result


DOMESTIC = document_examples("### 주문 (현금)")
OVERSEAS = document_examples("### 주문 — POST `/uapi/overseas-stock")


def test_the_document_examples_were_read() -> None:
    assert DOMESTIC["sell"]["SLL_TYPE"] == "01" and DOMESTIC["buy"]["SLL_TYPE"] == ""
    assert DOMESTIC["buy"]["PDNO"] == "005930" and DOMESTIC["buy"]["EXCG_ID_DVSN_CD"] == "KRX"
    assert OVERSEAS["sell"]["SLL_TYPE"] == "00" and OVERSEAS["buy"]["OVRS_ORD_UNPR"] == "150.00"
    assert set(DOMESTIC["buy"]) == {field.wire for field in SPEC.operation("domestic_stock.order_cash").fields}


def fill(op: Operation, document: dict[str, str], side: str) -> dict[str, str | None]:
    """The document's body; fields it leaves out take the spec's defaults."""
    sample: dict[str, str | None] = {}
    for field in op.fields:
        default = dict(field.default_by_side).get(side, field.default)
        sample[field.wire] = document.get(field.wire, default)
    return sample


@pytest.mark.parametrize("env", ["real", "mock"])
@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("excg", ["KRX", "SOR", "NXT"])
def test_domestic_document_example_is_accepted(env: str, side: str, excg: str) -> None:
    op = SPEC.operation("domestic_stock.order_cash")
    sample = {**fill(op, DOMESTIC[side], side), "EXCG_ID_DVSN_CD": excg}
    problems = by_validator(op, env, side, sample)
    # A mock account trades on KRX only (KIS API workbook 2026-09-11).
    assert problems == ([] if env == "real" or excg == "KRX" else ["EXCG_ID_DVSN_CD"])
    assert by_schema(op, env, side, sample) == (not problems)


@pytest.mark.parametrize("env", ["real", "mock"])
@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize("exchange", ["NASD", "NYSE", "AMEX", "SEHK", "SHAA", "SZAA", "TKSE", "HASE", "VNSE"])
def test_overseas_document_example_is_accepted_on_every_exchange(env: str, side: str, exchange: str) -> None:
    op = SPEC.operation("overseas_stock.order")
    sample = {**fill(op, OVERSEAS[side], side), "OVRS_EXCG_CD": exchange}
    assert by_validator(op, env, side, sample) == []
    assert by_schema(op, env, side, sample)


# ---------------------------------------------------------------------------------------------
# What KIS refuses is refused before sending


def refused(function: Any, env: str = "mock", **arguments: Any) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        function(context(env), **arguments)
    return raised.value


DOMESTIC_ORDER = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": "1", "ord_unpr": "55000"}
OVERSEAS_ORDER = {"side": "buy", "ovrs_excg_cd": "NASD", "pdno": "AAPL", "ord_qty": "1", "ovrs_ord_unpr": "150.00", "ord_dvsn": "00"}


@pytest.mark.parametrize(
    ("env", "changes", "field", "says"),
    [
        pytest.param("real", {"excg_id_dvsn_cd": ""}, "EXCG_ID_DVSN_CD", "is not a code", id="empty-exchange-id"),
        pytest.param("real", {"pdno": "00593"}, "PDNO", "does not match", id="five-digit-pdno"),
        pytest.param("real", {"ord_dvsn": "01"}, "ORD_UNPR", "market_order_price_zero", id="market-order-with-price"),
        pytest.param("real", {"ord_dvsn": "00", "ord_unpr": "0"}, "ORD_UNPR", "limit_order_needs_price", id="limit-order-without-price"),
        pytest.param("real", {"ord_qty": "ten"}, "ORD_QTY", "does not match", id="non-numeric-quantity"),
        pytest.param("real", {"ord_qty": "0"}, "ORD_QTY", "does not match", id="zero-quantity"),
        pytest.param("real", {"ord_qty": 1}, "ORD_QTY", "must be a string", id="integer-quantity"),
        pytest.param("mock", {"excg_id_dvsn_cd": "NXT"}, "EXCG_ID_DVSN_CD", "mock_krx_only", id="mock-with-nxt"),
        pytest.param("real", {"excg_id_dvsn_cd": "NXT", "ord_dvsn": "05"}, "ORD_DVSN", "nxt_order_types", id="nxt-pre-market"),
        pytest.param("real", {"sll_type": "01"}, "SLL_TYPE", "buy_has_no_sll_type", id="buy-with-sell-type"),
        pytest.param("real", {"ord_dvsn": "22"}, "CNDT_PRIC", "stop_limit_needs_condition_price", id="stop-limit-without-stop"),
        pytest.param("real", {"side": "hold"}, "side", "Side.BUY", id="unknown-side"),
    ],
)
def test_domestic_order_refusals(env: str, changes: dict[str, Any], field: str, says: str) -> None:
    error = refused(prepare_domestic_stock_order_cash, env, **{**DOMESTIC_ORDER, **changes})
    assert error.fields == (field,)
    assert says in str(error.problems[0].message)


@pytest.mark.parametrize(
    ("env", "changes", "field", "says"),
    [
        pytest.param("real", {"ord_dvsn": "01"}, "ORD_DVSN", "is not a code", id="market-order"),
        pytest.param("mock", {"ord_dvsn": "32"}, "ORD_DVSN", "mock_limit_only", id="mock-loo"),
        pytest.param("real", {"ord_dvsn": "31", "ovrs_ord_unpr": "0"}, "ORD_DVSN", "us_buy_order_types", id="us-buy-moo"),
        pytest.param("real", {"side": "sell", "ord_dvsn": "31"}, "OVRS_ORD_UNPR", "market_type_price_zero", id="moo-with-price"),
        pytest.param("real", {"ovrs_excg_cd": "TKSE", "ord_dvsn": "34"}, "ORD_DVSN", "other_markets_limit_only", id="japan-loc"),
        pytest.param("real", {"ovrs_excg_cd": "NAS"}, "OVRS_EXCG_CD", "is not a code", id="nas-is-not-an-order-exchange"),
        pytest.param("real", {"ovrs_ord_unpr": "0"}, "OVRS_ORD_UNPR", "limit_needs_price", id="limit-without-price"),
        pytest.param("real", {"side": "sell", "sll_type": ""}, "SLL_TYPE", "sell_sll_type", id="sell-without-sell-type"),
    ],
)
def test_overseas_order_refusals(env: str, changes: dict[str, Any], field: str, says: str) -> None:
    error = refused(prepare_overseas_stock_order, env, **{**OVERSEAS_ORDER, **changes})
    assert error.fields == (field,)
    assert says in str(error.problems[0].message)


@pytest.mark.parametrize(
    ("natn_cd", "tr_mket_cd", "ok"),
    [("000", "00", True), ("000", "01", False), ("840", "05", True), ("156", "05", False), ("392", "01", True), ("392", "00", False), ("704", "02", True), ("704", "03", False), ("344", "03", True), ("344", "00", False)],
)
def test_market_code_depends_on_country(natn_cd: str, tr_mket_cd: str, ok: bool) -> None:
    arguments = {"wcrc_frcr_dvsn_cd": "02", "natn_cd": natn_cd, "tr_mket_cd": tr_mket_cd, "inqr_dvsn_cd": "00"}
    if ok:
        assert prepare_overseas_stock_inquire_present_balance(context("real"), **arguments).params["TR_MKET_CD"] == tr_mket_cd
    else:
        assert refused(prepare_overseas_stock_inquire_present_balance, "real", **arguments).fields == ("TR_MKET_CD",)


def test_every_problem_is_reported_at_once() -> None:
    error = refused(
        prepare_domestic_stock_order_cash,
        "mock",
        side="sell", pdno="5930", ord_dvsn="01", ord_qty="one", ord_unpr="70000", sll_type="03", excg_id_dvsn_cd="",
    )
    assert sorted(error.fields) == ["EXCG_ID_DVSN_CD", "ORD_QTY", "ORD_UNPR", "PDNO", "SLL_TYPE"]
    assert "5 problems" in str(error)
    for field in error.fields:
        assert field in str(error)


def test_rvsecncl_quantity_follows_all_or_part() -> None:
    arguments = {"krx_fwdg_ord_orgno": "06010", "orgn_odno": "0001569157", "ord_dvsn": "00", "rvse_cncl_dvsn_cd": "02", "ord_unpr": "0"}
    assert prepare_domestic_stock_order_rvsecncl(context("mock"), ord_qty="0", qty_all_ord_yn="Y", **arguments).tr_id == "VTTC0013U"
    assert refused(prepare_domestic_stock_order_rvsecncl, ord_qty="5", qty_all_ord_yn="Y", **arguments).fields == ("ORD_QTY",)
    assert refused(prepare_domestic_stock_order_rvsecncl, ord_qty="0", qty_all_ord_yn="N", **arguments).fields == ("ORD_QTY",)


def test_a_rule_goes_into_the_schema_with_its_source() -> None:
    schema = (SCHEMAS / "overseas_stock.order_rvsecncl.real.request.json").read_text(encoding="utf-8")
    assert "cancel_only_markets" in schema and "source: KIS API workbook 2026-09-11" in schema
