"""A value that does not fit a kind the import inferred (kind_inferred) never makes a reply
unreadable: the field is None, the value stays in the row's extra as KIS sent it, with a warning;
a value that does not fit a kind read in KIS's documents is still a ResponseParseError."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from kis_client._calls import PreparedCall, Reply
from kis_client.errors import ResponseParseError
from kisgen.pipeline import load_spec
from tests.conftest import operation_module

SPEC = load_spec()
ETF = "etfetn.inquire_price"  # imported: its price fields' kinds were inferred


def parse(operation: str, body: Any) -> Any:
    op = SPEC.operation(operation)
    module = operation_module(op)
    return getattr(module, f"parse_{op.function_suffix}")(PreparedCall(module.OPERATION, None, {}), Reply(200, {}, body))


def etf_reply(**fields: Any) -> dict[str, Any]:
    output = {field.wire: "" for field in SPEC.operation(ETF).response.outputs[0].fields}
    output.update({"stck_prpr": "35000", "prdy_ctrt": "0.25", **fields})
    return {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다.", "output": output}


def test_the_etf_quote_has_inferred_kinds() -> None:
    fields = {field.wire: field for field in SPEC.operation(ETF).response.outputs[0].fields}
    assert fields["stck_prpr"].kind == "decimal" and fields["stck_prpr"].kind_inferred
    assert fields["prdy_ctrt"].kind == "decimal" and fields["prdy_ctrt"].kind_inferred


def test_a_value_that_fits_is_typed() -> None:
    quote = parse(ETF, etf_reply()).output
    assert (quote.stck_prpr, quote.prdy_ctrt, dict(quote.extra)) == (Decimal(35000), Decimal("0.25"), {})


def test_a_value_that_does_not_fit_an_inferred_kind_is_kept_in_extra(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kis_client"):
        quote = parse(ETF, etf_reply(prdy_ctrt="N/A")).output
    assert quote.prdy_ctrt is None and quote.extra == {"prdy_ctrt": "N/A"}
    assert quote.stck_prpr == Decimal(35000)  # the rest of the row as ever
    (record,) = caplog.records
    assert "prdy_ctrt='N/A'" in record.getMessage() and "inferred" in record.getMessage()


def test_a_value_that_does_not_fit_a_documented_kind_is_an_error() -> None:
    body = {
        "rt_cd": "0",
        "msg_cd": "MCA00000",
        "msg1": "",
        "output1": [{"pdno": "005930", "prdt_name": "삼성전자", "hldg_qty": "ten", "pchs_avg_pric": "70000.0000"}],
        "output2": [{}],
    }
    with pytest.raises(ResponseParseError) as raised:
        parse("domestic_stock.inquire_balance", body)
    assert (raised.value.field, raised.value.value) == ("hldg_qty", "ten") and raised.value.raw == body
