"""Request models have exactly the spec's fields; prepared calls carry what the spec says.

Parametrised from the spec model, so an operation added to the spec is checked here too.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from kisgen.builder.names import python_name_clash
from kisgen.model import Operation
from kisgen.pipeline import load_spec
from kis_client._calls import CallContext, PreparedCall
from kis_client._secrets import Credentials
from kis_client.domestic_stock.inquire_balance import prepare_domestic_stock_inquire_balance
from kis_client.domestic_stock.order_cash import prepare_domestic_stock_order_cash
from kis_client.overseas_stock.order import prepare_overseas_stock_order
from tests.conftest import operation_module
from tests.spec_examples import Variant, valid_arguments, variants

SPEC = load_spec()
OPERATIONS = [op for op in SPEC.operations if not op.request_any]
ACCOUNT = ("87654321", "22")


def context(env: str = "mock") -> CallContext:
    return CallContext(env, *ACCOUNT, Credentials("app-key-for-tests", "app-secret-for-tests"), lambda: "token-for-tests")


def prepare(op: Operation, variant: Variant, **changes: Any) -> PreparedCall:
    """A prepared call from the spec's examples, rules met, with ``changes`` on top."""
    function = getattr(operation_module(op), f"prepare_{op.function_suffix}")
    result: PreparedCall = function(context(variant.env), **{**valid_arguments(SPEC, op, variant), **changes})
    return result


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.qualname)
def test_request_model_has_exactly_the_spec_fields(op: Operation) -> None:
    model: Any = getattr(operation_module(op), op.class_prefix + "Request")
    assert "__dataclass_fields__" in vars(model)  # decorated with @dataclass itself
    assert [f.name for f in dataclasses.fields(model)] == [field.py_name for field in op.fields]
    assert all(f.type == "str" for f in dataclasses.fields(model))
    assert model.__dataclass_params__.frozen
    instance = model(**{field.py_name: f"v{index}" for index, field in enumerate(op.fields)})
    assert instance.to_wire() == {field.wire: f"v{index}" for index, field in enumerate(op.fields)}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.qualname)
def test_python_names_are_snake_case_of_wire_names(op: Operation) -> None:
    # A name Python or the generated code holds takes a trailing underscore (TYPE → type_).
    assert [field.py_name for field in op.fields] == [field.wire.lower() + ("_" if python_name_clash(field.wire.lower()) else "") for field in op.fields]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.qualname)
def test_prepare_takes_every_parameter_and_no_bound_field(op: Operation) -> None:
    function = getattr(operation_module(op), f"prepare_{op.function_suffix}")
    parameters = inspect.signature(function).parameters
    expected = (["side"] if op.has_side else []) + (["period"] if op.has_period else []) + [field.py_name for field in op.parameters]
    assert sorted(name for name in parameters if name != "ctx") == sorted(expected)
    for field in op.parameters:
        required = field.required and not field.has_default
        assert (parameters[field.py_name].default is inspect.Parameter.empty) == required, field.wire


CALLS = [(op, variant) for op in OPERATIONS for variant in variants(op)]
ACCOUNT_BINDS = {"account_number", "account_product"}


@pytest.mark.parametrize(("op", "variant"), CALLS, ids=lambda v: getattr(v, "qualname", str(v)))
def test_prepared_call_has_method_path_tr_id_and_keys(op: Operation, variant: Variant) -> None:
    call = prepare(op, variant)
    assert call.operation.qualname == op.qualname
    assert call.operation.method == op.method
    assert call.operation.path == op.path
    assert set(call.params) == {field.wire for field in op.fields}
    if op.tr is None:
        assert call.tr_id is None
    else:
        market = None
        if op.tr.market_field is not None:
            market = SPEC.exchange_market(call.params[op.tr.market_field])
        assert call.tr_id == op.tr.lookup(variant.env, market=market, side=variant.side, period=variant.period)
        assert call.tr_id is not None
    assert call.tr_cont == ""


@pytest.mark.parametrize(("op", "variant"), CALLS, ids=lambda v: getattr(v, "qualname", str(v)))
def test_bound_fields_come_from_the_client(op: Operation, variant: Variant) -> None:
    params = prepare(op, variant).params
    source = {"account_number": ACCOUNT[0], "account_product": ACCOUNT[1], "app_key": "app-key-for-tests", "app_secret": "app-secret-for-tests", "token": "token-for-tests"}
    bound = [field for field in op.fields if field.bind is not None]
    for field in bound:
        assert params[field.wire] == source[field.bind]  # type: ignore[index]


@pytest.mark.parametrize(("op", "variant"), CALLS, ids=lambda v: getattr(v, "qualname", str(v)))
def test_the_account_is_needed_exactly_when_bound(op: Operation, variant: Variant) -> None:
    """A quotation binds no account and works on a client without one; an account read does not."""
    from kis_client import ValidationError

    account_fields = {field.wire for field in op.fields if field.bind in ACCOUNT_BINDS}
    function = getattr(operation_module(op), f"prepare_{op.function_suffix}")
    bare = CallContext(variant.env, None, None, Credentials("app-key-for-tests", "app-secret-for-tests"), lambda: "token-for-tests")
    if account_fields:
        with pytest.raises(ValidationError) as raised:
            function(bare, **valid_arguments(SPEC, op, variant))
        assert set(raised.value.fields) == account_fields
    else:
        call: PreparedCall = function(bare, **valid_arguments(SPEC, op, variant))
        assert call.params == prepare(op, variant).params


@pytest.mark.parametrize(("op", "variant"), CALLS, ids=lambda v: getattr(v, "qualname", str(v)))
def test_defaults_fill_what_the_caller_left_out(op: Operation, variant: Variant) -> None:
    arguments = valid_arguments(SPEC, op, variant)
    params = prepare(op, variant).params
    for field in op.parameters:
        if field.py_name in arguments:
            continue  # a rule of this variant asked for another value than the default
        if field.default is not None and not field.required:
            assert params[field.wire] == field.default, field.wire
        if field.default_by_side:
            assert params[field.wire] == dict(field.default_by_side)[variant.side], field.wire  # type: ignore[index]


def test_overseas_order_tr_id_follows_the_exchange() -> None:
    op = SPEC.operation("overseas_stock.order")
    for exchange, expected in [("NYSE", "VTTT1001U"), ("SEHK", "VTTS1001U"), ("VNSE", "VTTS0310U"), ("HASE", "VTTS0310U")]:
        assert prepare(op, Variant("mock", "sell"), ovrs_excg_cd=exchange).tr_id == expected
    assert prepare(op, Variant("real", "sell"), ovrs_excg_cd="NYSE").tr_id == "TTTT1006U"


def test_the_domestic_order_body_is_the_documented_one() -> None:
    call = prepare(SPEC.operation("domestic_stock.order_cash"), Variant("real", "sell"), pdno="005930", ord_unpr="55000")
    assert dict(call.params) == {
        "CANO": "87654321", "ACNT_PRDT_CD": "22", "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1",
        "ORD_UNPR": "55000", "SLL_TYPE": "01", "EXCG_ID_DVSN_CD": "KRX", "CNDT_PRIC": "",
    }
    assert call.tr_id == "TTTC0011U"


def test_enum_members_are_sent_as_their_codes() -> None:
    from kis_client.enums import Exchange, OrdDvsn, Side

    call = prepare_domestic_stock_order_cash(context(), side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.LIMIT, ord_qty="3", ord_unpr="70000")
    assert call.params["ORD_DVSN"] == "00" and type(call.params["ORD_DVSN"]) is str
    assert call.tr_id == "VTTC0012U"
    order = prepare_overseas_stock_order(context("real"), side=Side.BUY, ovrs_excg_cd=Exchange.TKSE, pdno="7203", ord_qty="100", ovrs_ord_unpr="2500", ord_dvsn="00")
    assert order.params["OVRS_EXCG_CD"] == "TKSE" and type(order.params["OVRS_EXCG_CD"]) is str
    assert order.tr_id == "TTTS0308U"


def test_no_account_is_a_validation_problem_not_a_blank_field() -> None:
    from kis_client import ValidationError

    bare = CallContext("mock", None, None, Credentials("app-key-for-tests", "app-secret-for-tests"), lambda: "token-for-tests")
    with pytest.raises(ValidationError) as raised:
        prepare_domestic_stock_inquire_balance(bare)
    assert set(raised.value.fields) == {"CANO", "ACNT_PRDT_CD"}
