"""The spec language added for issue 10: quotation codes, encode, walks, aliases, rule sources,
the period Literal. Each mistake in a spec is reported as file:line: path: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kisgen.errors import SpecError
from kisgen.model import QUOTE_TABLE, Spec
from kisgen.pipeline import load_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def edited(tmp_path: Path, file: str, old: str, new: str) -> Path:
    directory = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", directory)
    text = (directory / file).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    (directory / file).write_text(text.replace(old, new), encoding="utf-8")
    return directory


def problems(directory: Path) -> str:
    with pytest.raises(SpecError) as raised:
        load_spec(directory)
    return str(raised.value)


def test_quote_codes_come_from_the_exchanges(spec: Spec) -> None:
    table = spec.code_table(QUOTE_TABLE)
    assert table.class_name == "QuoteExchange"
    assert table.values == ("NAS", "NYS", "AMS", "HKS", "SHS", "SZS", "TSE", "HNX", "HSX", "BAQ", "BAY", "BAA", "SHI", "SZI")
    assert {e.code: e.quote_code for e in spec.exchanges}["SEHK"] == "HKS"


def test_duplicate_quote_code_is_reported(tmp_path: Path) -> None:
    directory = edited(tmp_path, "markets.yaml", "quote_code: HKS}", "quote_code: NAS}")
    assert "spec/markets.yaml:" in (message := problems(directory))
    assert "quotation code 'NAS' is already used by NASD" in message


def test_encode_needs_the_exchange_table(tmp_path: Path) -> None:
    directory = edited(tmp_path, "overseas_stock.yaml", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: exchanges, example: SEHK}", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: tr_crcy_cd, encode: quote_code, example: USD}")
    assert "operations.inquire_psamount.request.OVRS_EXCG_CD.encode: `encode: quote_code` needs `codes: exchanges`" in problems(directory)


def test_rule_values_of_an_encoded_field_are_quote_codes(tmp_path: Path) -> None:
    directory = edited(tmp_path, "overseas_price.yaml", "then: {EXCD: {in: [NAS,", "then: {EXCD: {in: [NASD,")
    assert "'NASD': not a code of table 'quote_exchanges'" in problems(directory)


def test_walk_needs_a_list_output_field_of_its_kind(tmp_path: Path) -> None:
    directory = edited(tmp_path, "overseas_price.yaml", "walk: {field: BYMD, from_output: output2, row_field: xymd, kind: date}", "walk: {field: BYMD, from_output: output2, row_field: clos, kind: date}")
    assert "operations.dailyprice.walk.kind: 'clos' is a decimal, not a date" in problems(directory)
    directory = edited(tmp_path / "b", "overseas_price.yaml", "from_output: output2, row_field: xymd", "from_output: output1, row_field: xymd")
    assert "'output1' is not a list output of this operation" in problems(directory)
    directory = edited(tmp_path / "c", "overseas_price.yaml", "walk: {field: BYMD,", "walk: {field: AUTHX,")
    assert "walk.field: 'AUTHX' is not a request field the caller passes" in problems(directory)


def test_field_alias_must_not_be_another_field(tmp_path: Path) -> None:
    directory = edited(tmp_path, "domestic_stock.yaml", "aliases: [cnc_cfrm_qty]", "aliases: [rmn_qty]")
    assert "alias 'rmn_qty' is already a field of this output" in problems(directory)


def test_rule_source_and_encode_in_the_model(spec: Spec) -> None:
    op = spec.operation("overseas_stock.order_rvsecncl")
    rule = next(rule for rule in op.rules if rule.id == "cancel_only_markets")
    assert rule.source is not None and "2026-09-11" in rule.source
    assert [(c.subject, c.values) for c in rule.when] == [("market", ("SH", "SZ", "VN"))]
    assert spec.operation("overseas_price.price").field("EXCD").encode == "quote_code"


def test_real_only_operations_have_no_mock_cells(spec: Spec) -> None:
    for name in ("domestic_stock.inquire_psbl_rvsecncl", "domestic_stock.inquire_psbl_sell", "overseas_stock.inquire_nccs"):
        op = spec.operation(name)
        assert op.tr is not None and op.tr.mock == "unsupported"
        assert op.envs == ("real",)
        assert all(cell.env == "real" for cell in op.tr.cells)


def test_generated_code_carries_period_literal_walks_and_quote_codes() -> None:
    # The committed tree (`kisgen check` keeps it equal to what the spec renders).
    package = ROOT / "generated" / "kis_client"
    requests = (package / "domestic_stock" / "inquire_daily_ccld.py").read_text(encoding="utf-8")
    client = "".join(path.read_text(encoding="utf-8") for path in package.glob("*/api.py"))
    enums = (package / "enums.py").read_text(encoding="utf-8")
    assert "DomesticStockInquireDailyCcldPeriod = Literal[" in requests and '"within_3_months",\n    "before_3_months",' in requests
    assert "period: DomesticStockInquireDailyCcldPeriod," in client
    for walk in ("inquire_daily_itemchartprice_walk", "inquire_time_itemchartprice_walk", "dailyprice_walk"):
        assert f"    def {walk}(" in client and f"    async def {walk}(" in client
    assert "class QuoteExchange(CodeEnum):" in enums and '"NASD": "NAS",' in enums
    schema = (package / "schemas" / "overseas_stock.order_rvsecncl.real.request.json").read_text(encoding="utf-8")
    assert "cancel_only_markets" in schema and "source: KIS API workbook 2026-09-11" in schema
