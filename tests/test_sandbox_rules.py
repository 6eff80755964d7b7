"""The interpreter of the spec's request declarations (generator/rules.py), on the real spec."""

from __future__ import annotations

import pytest

from kisgen.model import Spec
from kisgen.rules import Situation, request_problems, with_defaults

BUY = Situation("mock", side="buy")
SELL = Situation("mock", side="sell")


def limit_buy(**changes: str) -> dict[str, str]:
    body = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1", "ORD_UNPR": "70000"}
    body.update(changes)
    return body


def problems(spec: Spec, qualname: str, values: dict[str, str], situation: Situation) -> list[tuple[str, str | None]]:
    op = spec.operation(qualname)
    return [(p.field, p.rule) for p in request_problems(spec, op, with_defaults(op, values, situation.side), situation)]


def test_a_conforming_request_has_no_problems(spec: Spec) -> None:
    assert problems(spec, "domestic_stock.order_cash", limit_buy(), BUY) == []
    assert problems(spec, "domestic_stock.order_cash", limit_buy(), SELL) == []  # SLL_TYPE defaults to 01


def test_what_kis_accepts_has_no_problems(spec: Spec) -> None:
    # KIS's samples send a sell with SLL_TYPE "" (blank means 01), and ask buying power at market with a price.
    assert problems(spec, "domestic_stock.order_cash", limit_buy(SLL_TYPE=""), SELL) == []
    assert problems(spec, "domestic_stock.order_cash", limit_buy(SLL_TYPE="03"), SELL) == [("SLL_TYPE", None)]  # not a code
    psbl = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_UNPR": "55000", "ORD_DVSN": "01", "CMA_EVLU_AMT_ICLD_YN": "N", "OVRS_ICLD_YN": "N"}
    assert problems(spec, "domestic_stock.inquire_psbl_order", psbl, Situation("mock")) == []


def test_defaults_follow_the_side(spec: Spec) -> None:
    op = spec.operation("domestic_stock.order_cash")
    assert with_defaults(op, limit_buy(), "buy")["SLL_TYPE"] == ""
    assert with_defaults(op, limit_buy(), "sell")["SLL_TYPE"] == "01"
    assert with_defaults(op, limit_buy(SLL_TYPE="02"), "sell")["SLL_TYPE"] == "02"


def test_field_declarations_are_checked(spec: Spec) -> None:
    values = limit_buy(PDNO="5930", ORD_DVSN="99")
    del values["ORD_QTY"]
    assert problems(spec, "domestic_stock.order_cash", values, BUY) == [("PDNO", None), ("ORD_DVSN", None), ("ORD_QTY", None)]


def test_a_non_string_value_is_a_problem(spec: Spec) -> None:
    values: dict[str, object] = {**limit_buy(), "ORD_QTY": 1}
    op = spec.operation("domestic_stock.order_cash")
    found = request_problems(spec, op, with_defaults(op, values, "buy"), BUY)
    assert [(p.field, p.message) for p in found] == [("ORD_QTY", "must be a string, got int")]


@pytest.mark.parametrize(
    ("changes", "situation", "rule"),
    [
        ({"ORD_DVSN": "01"}, BUY, "market_order_price_zero"),
        ({"ORD_UNPR": "0"}, BUY, "limit_order_needs_price"),
        ({"SLL_TYPE": "01"}, BUY, "buy_has_no_sll_type"),
        ({"ORD_DVSN": "22", "CNDT_PRIC": ""}, BUY, "stop_limit_needs_condition_price"),
        ({"CNDT_PRIC": "69000"}, BUY, "condition_price_only_for_stop_limit"),
        ({"EXCG_ID_DVSN_CD": "NXT"}, BUY, "mock_krx_only"),
        ({"EXCG_ID_DVSN_CD": "NXT", "ORD_DVSN": "02"}, Situation("real", side="buy"), "nxt_order_types"),
    ],
)
def test_each_rule_is_enforced(spec: Spec, changes: dict[str, str], situation: Situation, rule: str) -> None:
    assert rule in {found for _, found in problems(spec, "domestic_stock.order_cash", limit_buy(**changes), situation)}


def test_rules_on_market_and_env(spec: Spec) -> None:
    order = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "OVRS_EXCG_CD": "SEHK", "PDNO": "00700", "ORD_QTY": "1", "OVRS_ORD_UNPR": "300", "ORD_DVSN": "50"}
    hk_sell_real = Situation("real", side="sell", market="HK")
    assert problems(spec, "overseas_stock.order", order, hk_sell_real) == []
    hk_buy_real = Situation("real", side="buy", market="HK")
    assert ("ORD_DVSN", "hk_buy_limit_only") in problems(spec, "overseas_stock.order", order, hk_buy_real)
    assert ("ORD_DVSN", "mock_limit_only") in problems(spec, "overseas_stock.order", order, Situation("mock", side="sell", market="HK"))


def test_a_field_already_wrong_is_not_reported_again_by_a_rule(spec: Spec) -> None:
    assert problems(spec, "domestic_stock.order_cash", limit_buy(ORD_DVSN="01", ORD_UNPR="x"), BUY) == [("ORD_UNPR", None)]
