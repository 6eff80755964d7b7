"""Request models have exactly the spec's fields; prepared calls carry what the spec says.

Parametrised from the spec model, so an operation added to the spec is checked here too; and
KIS's workbook examples (tests/fixtures/kis_workbook_2026_09_11) built exactly, with the traps
KIS documents: TR_IDs by period, quotation TR_IDs the same on mock, cancel-only markets, and one
Exchange for both code vocabularies.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from kisgen.builder.names import python_name_clash
from kisgen.model import Operation
from kis_client import Exchange, QuoteExchange, ValidationError
from kis_client._calls import CallContext, PreparedCall
from kis_client._secrets import Credentials
from kis_client.domestic_stock.inquire_asking_price_exp_ccn import prepare_domestic_stock_inquire_asking_price_exp_ccn
from kis_client.domestic_stock.inquire_balance import prepare_domestic_stock_inquire_balance
from kis_client.domestic_stock.inquire_daily_ccld import prepare_domestic_stock_inquire_daily_ccld
from kis_client.domestic_stock.inquire_daily_itemchartprice import prepare_domestic_stock_inquire_daily_itemchartprice
from kis_client.domestic_stock.inquire_price import prepare_domestic_stock_inquire_price
from kis_client.domestic_stock.inquire_time_itemchartprice import prepare_domestic_stock_inquire_time_itemchartprice
from kis_client.domestic_stock.order_cash import prepare_domestic_stock_order_cash
from kis_client.overseas_price.dailyprice import prepare_overseas_price_dailyprice
from kis_client.overseas_price.price import prepare_overseas_price_price
from kis_client.overseas_stock.order import prepare_overseas_stock_order
from kis_client.overseas_stock.order_rvsecncl import prepare_overseas_stock_order_rvsecncl
from tests.conftest import operation_module, repo_spec
from tests.helpers_http import APP_KEY, APP_SECRET, TOKEN
from tests.kis_workbook import DOCUMENTED, EXAMPLES, example_params, workbook
from tests.spec_examples import Variant, valid_arguments, variants

SPEC = repo_spec()
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


@pytest.mark.parametrize(("op", "variant"), [(op, variant) for op, variant in CALLS if any(field.bind for field in op.fields)], ids=lambda v: getattr(v, "qualname", str(v)))
def test_bound_fields_come_from_the_client(op: Operation, variant: Variant) -> None:
    params = prepare(op, variant).params
    source = {"account_number": ACCOUNT[0], "account_product": ACCOUNT[1], "app_key": "app-key-for-tests", "app_secret": "app-secret-for-tests", "token": "token-for-tests"}
    bound = {field.wire: source[field.bind] for field in op.fields if field.bind is not None}
    assert {wire: params[wire] for wire in bound} == bound


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


@pytest.mark.parametrize(("op", "variant"), [(op, variant) for op, variant in CALLS if any(field.has_default for field in op.parameters)], ids=lambda v: getattr(v, "qualname", str(v)))
def test_defaults_fill_what_the_caller_left_out(op: Operation, variant: Variant) -> None:
    arguments = valid_arguments(SPEC, op, variant)
    params = prepare(op, variant).params
    expected: dict[str, str] = {}
    for field in op.parameters:
        if field.py_name in arguments:
            continue  # a rule of this variant asked for another value than the default
        if field.default is not None and not field.required:
            expected[field.wire] = field.default
        if field.default_by_side:
            expected[field.wire] = dict(field.default_by_side)[variant.side]  # type: ignore[index]
    assert {wire: params[wire] for wire in expected} == expected


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
    bare = CallContext("mock", None, None, Credentials("app-key-for-tests", "app-secret-for-tests"), lambda: "token-for-tests")
    with pytest.raises(ValidationError) as raised:
        prepare_domestic_stock_inquire_balance(bare)
    assert set(raised.value.fields) == {"CANO", "ACNT_PRDT_CD"}


# -- KIS's workbook examples --------------------------------------------------------------------

def workbook_context(env: str) -> CallContext:
    return CallContext(env, "12345678", "01", Credentials(APP_KEY, APP_SECRET), lambda: TOKEN)


def test_every_documented_operation_has_an_example() -> None:
    assert set(EXAMPLES) == set(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_documented_example_is_prepared_exactly(name: str) -> None:
    example = EXAMPLES[name]
    function = getattr(operation_module(SPEC.operation(name)), "prepare_" + name.replace(".", "_"))
    call: PreparedCall = function(workbook_context(example["env"]), **example["args"])
    assert (call.operation.method, call.operation.path) == (DOCUMENTED[name]["method"], DOCUMENTED[name]["path"])
    assert call.tr_id == example["tr_id"]
    assert dict(call.params) == example_params(name)


QUOTATIONS = [
    (prepare_domestic_stock_inquire_price, {"fid_input_iscd": "005930"}, "FHKST01010100"),
    (prepare_domestic_stock_inquire_asking_price_exp_ccn, {"fid_input_iscd": "005930"}, "FHKST01010200"),
    (prepare_domestic_stock_inquire_daily_itemchartprice, {"fid_input_iscd": "005930", "fid_input_date_1": "20220411", "fid_input_date_2": "20220509", "fid_period_div_code": "D", "fid_org_adj_prc": "0"}, "FHKST03010100"),
    (prepare_domestic_stock_inquire_time_itemchartprice, {"fid_input_iscd": "005930", "fid_input_hour_1": "100000"}, "FHKST03010200"),
    (prepare_overseas_price_price, {"excd": Exchange.NASD, "symb": "AAPL"}, "HHDFS00000300"),
    (prepare_overseas_price_dailyprice, {"excd": Exchange.NASD, "symb": "AAPL", "gubn": "0", "modp": "1"}, "HHDFS76240000"),
]


@pytest.mark.parametrize(("prepare_call", "args", "tr_id"), QUOTATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_quotation_tr_id_unchanged_on_mock(prepare_call: Any, args: dict[str, Any], tr_id: str) -> None:
    assert prepare_call(workbook_context("real"), **args).tr_id == tr_id
    assert prepare_call(workbook_context("mock"), **args).tr_id == tr_id


@pytest.mark.parametrize(("env", "period", "tr_id"), [("real", "within_3_months", "TTTC0081R"), ("real", "before_3_months", "CTSC9215R"), ("mock", "within_3_months", "VTTC0081R"), ("mock", "before_3_months", "VTSC9215R")])
def test_period_picks_the_tr_id(env: str, period: Any, tr_id: str) -> None:
    call = prepare_domestic_stock_inquire_daily_ccld(workbook_context(env), period=period, inqr_strt_dt="20220810", inqr_end_dt="20220810")
    assert call.tr_id == tr_id


def test_unknown_period_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_domestic_stock_inquire_daily_ccld(workbook_context("real"), period="inner", inqr_strt_dt="20220810", inqr_end_dt="20220810")  # type: ignore[arg-type]
    assert raised.value.fields == ("period",)


# -- cancel-only markets: KIS lets Shanghai, Shenzhen and Vietnam orders be cancelled, not modified


@pytest.mark.parametrize("exchange", [Exchange.SHAA, Exchange.SZAA, Exchange.HASE, Exchange.VNSE])
def test_cancel_only_market_refuses_modify(exchange: Exchange) -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_overseas_stock_order_rvsecncl(workbook_context("real"), ovrs_excg_cd=exchange, pdno="600000", orgn_odno="1234", rvse_cncl_dvsn_cd="01", ord_qty="1", ovrs_ord_unpr="10.5")
    assert raised.value.fields == ("RVSE_CNCL_DVSN_CD",)
    assert "cancel_only_markets" in str(raised.value)


@pytest.mark.parametrize(("exchange", "tr_id"), [(Exchange.SHAA, "TTTS0302U"), (Exchange.SZAA, "TTTS0306U"), (Exchange.HASE, "TTTS0312U"), (Exchange.VNSE, "TTTS0312U")])
def test_cancel_only_market_accepts_cancel(exchange: Exchange, tr_id: str) -> None:
    call = prepare_overseas_stock_order_rvsecncl(workbook_context("real"), ovrs_excg_cd=exchange, pdno="600000", orgn_odno="1234", rvse_cncl_dvsn_cd="02", ord_qty="1", ovrs_ord_unpr="0")
    assert call.tr_id == tr_id


@pytest.mark.parametrize("exchange", [Exchange.NASD, Exchange.SEHK, Exchange.TKSE])
def test_other_markets_accept_modify(exchange: Exchange) -> None:
    call = prepare_overseas_stock_order_rvsecncl(workbook_context("mock"), ovrs_excg_cd=exchange, pdno="BA", orgn_odno="1234", rvse_cncl_dvsn_cd="01", ord_qty="1", ovrs_ord_unpr="226.00")
    assert call.params["RVSE_CNCL_DVSN_CD"] == "01"


# -- one Exchange enum, two vocabularies: quotations send the quotation code (NASD → NAS)


@pytest.mark.parametrize(("given", "wire"), [
    (Exchange.NASD, "NAS"), (Exchange.NYSE, "NYS"), (Exchange.AMEX, "AMS"), (Exchange.SEHK, "HKS"),
    (Exchange.SHAA, "SHS"), (Exchange.SZAA, "SZS"), (Exchange.TKSE, "TSE"), (Exchange.HASE, "HNX"), (Exchange.VNSE, "HSX"),
    ("NASD", "NAS"), ("NYS", "NYS"), (QuoteExchange.BAQ, "BAQ"), ("BAY", "BAY"), (QuoteExchange.BAA, "BAA"),
])
def test_exchange_encoded_as_quote_code(given: Any, wire: str) -> None:
    assert prepare_overseas_price_price(workbook_context("mock"), excd=given, symb="AAPL").params["EXCD"] == wire


@pytest.mark.parametrize("given", ["XXX", "nas", ""])
def test_unknown_exchange_code_rejected(given: str) -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_overseas_price_price(workbook_context("real"), excd=given, symb="AAPL")
    assert raised.value.fields == ("EXCD",)


def test_day_session_code_not_documented_for_daily_bars() -> None:
    with pytest.raises(ValidationError) as raised:
        prepare_overseas_price_dailyprice(workbook_context("real"), excd=QuoteExchange.BAQ, symb="AAPL", gubn="0", modp="1")
    assert "regular_session_codes" in str(raised.value)


def test_trading_operations_keep_trading_codes() -> None:
    call = prepare_overseas_stock_order_rvsecncl(workbook_context("real"), ovrs_excg_cd=Exchange.NASD, pdno="AAPL", orgn_odno="1", rvse_cncl_dvsn_cd="02", ord_qty="1", ovrs_ord_unpr="0")
    assert call.params["OVRS_EXCG_CD"] == "NASD"


EXCD_CODES: dict[str, list[str]] = workbook("requests.yaml")["excd_codes"]


@pytest.mark.parametrize("name", sorted(EXCD_CODES))
def test_documented_quote_codes_pass_unchanged_and_only_those(name: str) -> None:
    prepare_call = prepare_overseas_price_price if name == "overseas_price.price" else prepare_overseas_price_dailyprice
    extra = {"gubn": "0", "modp": "1"} if name == "overseas_price.dailyprice" else {}
    for code in EXCD_CODES["overseas_price.price"]:
        arguments: dict[str, Any] = {"excd": code, "symb": "600000", **extra}
        if code in EXCD_CODES[name]:
            assert prepare_call(workbook_context("mock"), **arguments).params["EXCD"] == code
        else:
            with pytest.raises(ValidationError):
                prepare_call(workbook_context("mock"), **arguments)


def test_a_paging_helper_documents_its_arguments_by_the_call() -> None:
    """The call's docstring gives each argument its label and codes; its _pages and row helpers say
    they take the same, rather than repeating them (the area modules grow with the work)."""
    from kis_client.domestic_stock.api import DomesticStockApi

    call, pages, rows = (getattr(DomesticStockApi, name).__doc__ or "" for name in ("inquire_balance", "inquire_balance_pages", "inquire_balance_holdings"))
    assert "afhr_flpr_yn: 시간외단일가·거래소여부 (AFHR_FLPR_YN)" in call
    for helper in (pages, rows):
        assert "Args:\n            The same as inquire_balance's." in helper and "afhr_flpr_yn:" not in helper
    assert "following tr_cont and CTX_AREA_FK100, CTX_AREA_NK100 to the last" in pages
