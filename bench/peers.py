"""The pydantic v2 models the benchmark compares with: the same rules as the spec, by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

OrdDvsn = Literal["00", "01", "02", "03", "04", "05", "06", "07", "11", "12", "13", "14", "15", "16", "21", "22", "23", "24"]
MARKET_TYPE = {"01", "03", "04", "13", "14", "15", "16"}


class OrderCash(BaseModel):
    """domestic_stock.order_cash, mock buy: patterns, code enums and the market-order rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CANO: Annotated[str, Field(pattern=r"^[0-9]{8}$")]
    ACNT_PRDT_CD: Annotated[str, Field(pattern=r"^[0-9]{2}$")]
    PDNO: Annotated[str, Field(pattern=r"^Q?[0-9A-Z]{6}$")]
    ORD_DVSN: OrdDvsn
    ORD_QTY: Annotated[str, Field(pattern=r"^[1-9][0-9]*$")]
    ORD_UNPR: Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)$")]
    SLL_TYPE: Literal["", "01", "02", "05"]
    EXCG_ID_DVSN_CD: Literal["KRX", "NXT", "SOR"]
    CNDT_PRIC: Annotated[str, Field(pattern=r"^([0-9]+)?$")]

    @model_validator(mode="after")
    def market_order_price_zero(self) -> OrderCash:
        if self.ORD_DVSN in MARKET_TYPE and self.ORD_UNPR != "0":
            raise ValueError("ORD_UNPR must be '0' for a market order")
        return self


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
