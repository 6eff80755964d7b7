"""The pydantic v2 models the benchmark compares with: the same rules as the spec, by hand."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

OrdDvsn = Literal["00", "01", "02", "03", "04", "05", "06", "07", "11", "12", "13", "14", "15", "16", "21", "22", "23", "24"]
NO_PRICE = {"01", "03", "04", "13", "14", "15", "16"}  # market-type orders: ORD_UNPR "0"
PRICED = {"00", "02", "05", "06", "07", "11", "12", "21", "22", "23", "24"}
NXT_TYPES = {"00", "03", "04", "11", "12", "13", "14", "15", "16", "21", "22", "23", "24"}
SOR_TYPES = {"00", "01", "03", "04", "11", "12", "13", "14", "15", "16"}
POSITIVE = re.compile(r"^[1-9][0-9]*$")
TR_IDS = {("real", "buy"): "TTTC0012U", ("real", "sell"): "TTTC0011U", ("mock", "buy"): "VTTC0012U", ("mock", "sell"): "VTTC0011U"}


class OrderCash(BaseModel):
    """domestic_stock.order_cash: the spec's patterns, lengths, code tables and all nine of its
    rules, the environment and side given as validation context (as kis_client's validator
    takes them). Every broken rule is reported, in one error, as kis_client lists them all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CANO: Annotated[str, Field(pattern=r"^[0-9]{8}$")]
    ACNT_PRDT_CD: Annotated[str, Field(pattern=r"^[0-9]{2}$")]
    PDNO: Annotated[str, Field(pattern=r"^Q?[0-9A-Z]{6}$")]
    ORD_DVSN: OrdDvsn
    ORD_QTY: Annotated[str, Field(pattern=r"^[1-9][0-9]*$", max_length=10)]
    ORD_UNPR: Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)$", max_length=19)]
    SLL_TYPE: Literal["", "01", "02", "05"]
    EXCG_ID_DVSN_CD: Literal["KRX", "NXT", "SOR"]
    CNDT_PRIC: Annotated[str, Field(pattern=r"^([0-9]+)?$", max_length=19)]

    @model_validator(mode="after")
    def rules(self, info: ValidationInfo) -> OrderCash:
        context: dict[str, str] = info.context or {}
        env, side = context["env"], context["side"]
        broken = []
        if self.ORD_DVSN in NO_PRICE and self.ORD_UNPR != "0":
            broken.append("market_order_price_zero")
        if self.ORD_DVSN in PRICED and POSITIVE.fullmatch(self.ORD_UNPR) is None:
            broken.append("limit_order_needs_price")
        if side == "buy" and self.SLL_TYPE != "":
            broken.append("buy_has_no_sll_type")
        if side == "sell" and self.SLL_TYPE not in ("01", "02", "05"):
            broken.append("sell_has_sll_type")
        if self.ORD_DVSN == "22" and POSITIVE.fullmatch(self.CNDT_PRIC) is None:
            broken.append("stop_limit_needs_condition_price")
        if self.ORD_DVSN != "22" and self.CNDT_PRIC != "":
            broken.append("condition_price_only_for_stop_limit")
        if self.EXCG_ID_DVSN_CD == "NXT" and self.ORD_DVSN not in NXT_TYPES:
            broken.append("nxt_order_types")
        if self.EXCG_ID_DVSN_CD == "SOR" and self.ORD_DVSN not in SOR_TYPES:
            broken.append("sor_order_types")
        if env == "mock" and self.EXCG_ID_DVSN_CD != "KRX":
            broken.append("mock_krx_only")
        if broken:
            raise ValueError("broken rules: " + ", ".join(broken))
        return self


def prepare_order_cash(env: str, account: str, side: str, pdno: str, ord_dvsn: str, ord_qty: str, ord_unpr: str, sll_type: str | None = None, excg_id_dvsn_cd: str | None = None, cndt_pric: str | None = None) -> tuple[str, dict[str, Any]]:
    """What kis_client's prepare_domestic_stock_order_cash does, with pydantic: defaults filled
    in (SLL_TYPE by side), every field and rule checked, the TR_ID looked up, the wire body made."""
    if env not in ("real", "mock"):
        raise ValueError(f"env {env!r}")
    if side not in ("buy", "sell"):
        raise ValueError(f"side {side!r}")
    cano, product = account.split("-")
    body = {
        "CANO": cano, "ACNT_PRDT_CD": product, "PDNO": pdno, "ORD_DVSN": ord_dvsn, "ORD_QTY": ord_qty, "ORD_UNPR": ord_unpr,
        "SLL_TYPE": ("" if side == "buy" else "01") if sll_type is None else sll_type,
        "EXCG_ID_DVSN_CD": "KRX" if excg_id_dvsn_cd is None else excg_id_dvsn_cd,
        "CNDT_PRIC": "" if cndt_pric is None else cndt_pric,
    }
    order = OrderCash.model_validate(body, context={"env": env, "side": side})
    return TR_IDS[(env, side)], order.model_dump()


def _blank(value: Any) -> Any:
    return None if value == "" else value


Int = Annotated[int | None, BeforeValidator(_blank)]
Dec = Annotated[Decimal | None, BeforeValidator(_blank)]
Text = Annotated[str | None, BeforeValidator(_blank)]


def _yyyymmdd(value: Any) -> Any:
    if value == "" or value is None:
        return None
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


Day = Annotated[date | None, BeforeValidator(_yyyymmdd)]


class HoldingRow(BaseModel):
    """One row of domestic_stock.inquire_balance output1, typed like kis_client's."""

    model_config = ConfigDict(frozen=True, extra="allow")

    pdno: Text
    prdt_name: Text
    trad_dvsn_name: Text
    bfdy_buy_qty: Int
    bfdy_sll_qty: Int
    thdt_buyqty: Int
    thdt_sll_qty: Int
    hldg_qty: Int
    ord_psbl_qty: Int
    pchs_avg_pric: Dec
    pchs_amt: Int
    prpr: Int
    evlu_amt: Int
    evlu_pfls_amt: Int
    evlu_pfls_rt: Dec
    evlu_erng_rt: Dec
    loan_dt: Day
    loan_amt: Int
    stln_slng_chgs: Int
    expd_dt: Day
    fltt_rt: Dec
    bfdy_cprs_icdc: Int
    item_mgna_rt_name: Text
    grta_rt_name: Text
    sbst_pric: Int
    stck_loan_unpr: Dec


class HoldingsPage(BaseModel):
    output1: list[HoldingRow]
