"""The model: every TR_ID resolved (rule, override, `mock: same`, `mock: unsupported`) and the
checks a schema cannot make (TR_ID used twice, override of a missing entry, undeclared market or
exchange, names that are not Python identifiers), each reported as file:line: path: message."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from kisgen.errors import SpecError
from kisgen.builder.names import python_name_clash
from kisgen.model import QUOTE_TABLE, Spec, TrCell
from kisgen.pipeline import load_spec
from tests.conftest import FIXTURE_SPEC, REPO, repo_spec


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(FIXTURE_SPEC, target)
    return target


def edit(spec_dir: Path, name: str, old: str, new: str) -> int:
    """Replace ``old`` (which must occur once) by ``new``; return the line it starts on."""
    path = spec_dir / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems(spec_dir: Path) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_spec(spec_dir)
    return [str(problem) for problem in raised.value.problems]


def cells(spec: Spec, operation: str) -> list[tuple[str, str | None, str | None, str, str]]:
    tr = spec.operation(operation).tr
    assert tr is not None
    return [(c.env, c.market, c.side, c.tr_id, c.how) for c in tr.cells]


# ---------------------------------------------------------------------------------------------
# Resolving TR_IDs


def test_mock_rule_replaces_t_and_c_with_v() -> None:
    spec = load_spec(FIXTURE_SPEC)
    assert cells(spec, "domestic_stock.order_cash") == [
        ("real", None, "buy", "TTTC0012U", "spec"), ("mock", None, "buy", "VTTC0012U", "rule"),
        ("real", None, "sell", "TTTC0011U", "spec"), ("mock", None, "sell", "VTTC0011U", "rule"),
    ]
    assert cells(spec, "overseas_stock.inquire_present_balance") == [("real", None, None, "CTRP6504R", "spec"), ("mock", None, None, "VTRP6504R", "rule")]


def test_mock_rule_replaces_j_with_v(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "real: TTTS3012R", "real: JTTS3012R")
    assert cells(load_spec(spec_dir), "overseas_stock.inquire_balance") == [("real", None, None, "JTTS3012R", "spec"), ("mock", None, None, "VTTS3012R", "rule")]


def test_override_wins_over_the_rule_and_keeps_its_source() -> None:
    tr = load_spec(FIXTURE_SPEC).operation("overseas_stock.order").tr
    assert tr is not None
    overridden = [c for c in tr.cells if c.how == "override"]
    assert overridden == [TrCell("mock", "US", "sell", None, "VTTT1001U", "override", overridden[0].source)]
    assert "2026-09-11" in (overridden[0].source or "")
    assert sum(1 for c in tr.cells if c.how == "rule") == 11


def test_mock_same(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "real: CTRP6504R", "real: CTRP6504R\n      mock: same")
    spec = load_spec(spec_dir)
    assert cells(spec, "overseas_stock.inquire_present_balance") == [("real", None, None, "CTRP6504R", "spec"), ("mock", None, None, "CTRP6504R", "same")]


def test_mock_unsupported(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "real: CTRP6504R", "real: CTRP6504R\n      mock: unsupported")
    spec = load_spec(spec_dir)
    assert cells(spec, "overseas_stock.inquire_present_balance") == [("real", None, None, "CTRP6504R", "spec")]
    assert spec.operation("overseas_stock.inquire_present_balance").envs == ("real",)


def test_rule_that_cannot_derive_says_what_to_do(spec_dir: Path) -> None:
    line = edit(spec_dir, "overseas_stock.yaml", "real: CTRP6504R", "real: ATRP6504R")
    assert problems(spec_dir) == [
        f"spec/overseas_stock.yaml:{line}: operations.inquire_present_balance.tr_id.real: the mock rule cannot derive a TR_ID from 'ATRP6504R' (first letter not in T, J, C); set `mock: same` or `mock: unsupported`, or add an override"
    ]


def test_override_on_unsupported_mock_is_refused(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "      by: [market, side]\n      market_field: OVRS_EXCG_CD\n", "      by: [market, side]\n      market_field: OVRS_EXCG_CD\n      mock: unsupported\n")
    (problem,) = problems(spec_dir)
    assert "operations.order.tr_id.mock_overrides.0: a mock override on an operation without mock support" in problem


# ---------------------------------------------------------------------------------------------
# Checks a schema cannot make


def test_tr_id_used_twice(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "real: TTTS3012R", "real: TTTC8434R")
    found = problems(spec_dir)
    assert any(
        p.startswith("spec/overseas_stock.yaml:")
        and p.endswith("operations.inquire_balance.tr_id: real TR_ID TTTC8434R is used twice: domestic_stock.inquire_balance (all) and overseas_stock.inquire_balance (all)")
        for p in found
    ), found
    assert any("mock TR_ID VTTC8434R is used twice" in p for p in found)


def test_tr_id_used_twice_within_one_table(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "HK: {buy: TTTS1002U, sell: TTTS1001U}", "HK: {buy: TTTS1002U, sell: TTTS0307U}")
    found = problems(spec_dir)
    assert any("real TR_ID TTTS0307U is used twice: overseas_stock.order (HK, sell) and overseas_stock.order (JP, sell)" in p for p in found), found


def test_override_of_a_missing_entry(spec_dir: Path) -> None:
    line = edit(spec_dir, "overseas_stock.yaml", "- when: {market: US, side: sell}", "- when: {market: KR, side: sell}")
    assert f"spec/overseas_stock.yaml:{line}: operations.order.tr_id.mock_overrides.0.when: no TR_ID entry for {{'market': 'KR', 'side': 'sell'}} to override" in problems(spec_dir)


def test_exchange_in_an_undeclared_market(spec_dir: Path) -> None:
    line = edit(spec_dir, "markets.yaml", "NYSE: {label: 뉴욕, market: US,", "NYSE: {label: 뉴욕, market: EU,")
    assert problems(spec_dir) == [f"spec/markets.yaml:{line}: exchanges.NYSE.market: market 'EU' is not declared under `markets` (spec/markets.yaml)"]


def test_market_without_exchange(spec_dir: Path) -> None:
    edit(spec_dir, "markets.yaml", "  HASE: {label: 베트남 하노이, market: VN, quote_code: HNX}\n  VNSE: {label: 베트남 호치민, market: VN, quote_code: HSX}\n", "")
    line = (spec_dir / "markets.yaml").read_text(encoding="utf-8").splitlines().index('  VN: {label: 베트남, country: 베트남, natn_cd: "704", currency: VND, timezone: Asia/Ho_Chi_Minh}') + 1
    assert f"spec/markets.yaml:{line}: markets.VN: market 'VN' has no exchange under `exchanges`" in problems(spec_dir)


def test_tr_table_names_an_undeclared_market(spec_dir: Path) -> None:
    line = edit(spec_dir, "overseas_stock.yaml", "        VN: {buy: TTTS0311U, sell: TTTS0310U}\n", "        VN: {buy: TTTS0311U, sell: TTTS0310U}\n        EU: {buy: TTTS9911U, sell: TTTS9910U}\n")
    assert problems(spec_dir) == [f"spec/overseas_stock.yaml:{line + 1}: operations.order.tr_id.real.EU: market 'EU' is not declared under `markets`"]


def test_an_undeclared_exchange_used_as_a_value(spec_dir: Path) -> None:
    line = edit(spec_dir, "overseas_stock.yaml", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: exchanges, example: NASD}", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: exchanges, example: NASDAQ}")
    assert problems(spec_dir) == [f"spec/overseas_stock.yaml:{line}: operations.order.request.OVRS_EXCG_CD.example: 'NASDAQ': not a code of table 'exchanges'"]


def test_a_rule_on_an_undeclared_market(spec_dir: Path) -> None:
    line = edit(spec_dir, "overseas_stock.yaml", "when: {market: [HK], side: buy}", "when: {market: [HKG], side: buy}")
    assert problems(spec_dir) == [f"spec/overseas_stock.yaml:{line}: operations.order.rules.3.when.market: 'HKG' is not a declared market"]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        pytest.param('      CNDT_PRIC: {label: 조건가격, pattern: "^([0-9]+)?$", max_length: 19, default: ""}\n', '      CNDT_PRIC: {label: 조건가격, pattern: "^([0-9]+)?$", max_length: 19, default: ""}\n      CLASS: {label: 분류}\n', "field 'CLASS' gives the Python name 'class', which is reserved or not an identifier", id="request-field-keyword"),
        pytest.param('      CNDT_PRIC: {label: 조건가격, pattern: "^([0-9]+)?$", max_length: 19, default: ""}\n', '      CNDT_PRIC: {label: 조건가격, pattern: "^([0-9]+)?$", max_length: 19, default: ""}\n      SIDE: {label: 매매}\n', "field 'SIDE' gives the Python name 'side', which is reserved or not an identifier", id="request-field-reserved"),
        pytest.param("            ORD_TMD: {label: 주문시각, kind: time, example: \"131438\"}\n", "            ORD_TMD: {label: 주문시각, kind: time, example: \"131438\"}\n            from: {label: 출처, kind: text}\n", "'from' is not a usable Python name", id="response-field-keyword"),
        pytest.param("  order_rvsecncl:\n", "  import:\n", "operation name 'import' is not a Python identifier", id="operation-name-keyword"),
    ],
)
def test_names_must_be_python_identifiers(spec_dir: Path, old: str, new: str, says: str) -> None:
    line = edit(spec_dir, "domestic_stock.yaml", old, new)
    (problem,) = problems(spec_dir)
    assert problem.startswith("spec/domestic_stock.yaml:")
    assert int(problem.split(":")[1]) in (line, line + 1)
    assert says in problem


def test_semantic_problems_are_all_reported_at_once(spec_dir: Path) -> None:
    edit(spec_dir, "markets.yaml", "NYSE: {label: 뉴욕, market: US,", "NYSE: {label: 뉴욕, market: EU,")
    edit(spec_dir, "overseas_stock.yaml", "- when: {market: US, side: sell}", "- when: {market: KR, side: sell}")
    edit(spec_dir, "domestic_stock.yaml", "real: TTTC8434R", "real: TTTC0013U")
    found = problems(spec_dir)
    assert {p.split(":")[0] for p in found} == {"spec/markets.yaml", "spec/overseas_stock.yaml", "spec/domestic_stock.yaml"}


def test_area_name_comes_from_the_file_name_and_must_be_an_identifier(spec_dir: Path) -> None:
    (spec_dir / "domestic_stock.yaml").rename(spec_dir / "domestic-stock.yaml")
    (problem,) = problems(spec_dir)
    assert problem.startswith("spec/domestic-stock.yaml:")
    assert problem.endswith(": a spec file name is lower_snake_case with .yaml: its name is a Python name in the client")


def _names_beside_fields(module: Path, fields: set[str]) -> set[str]:
    """Every lower-case name a generated function with request-field parameters uses besides
    those fields: its other parameters, its locals, what it imports, the module names and
    builtins it calls."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
        if not fields & {argument.arg for argument in arguments}:
            continue
        for node in ast.walk(function):
            name = node.id if isinstance(node, ast.Name) else node.arg if isinstance(node, ast.arg) else (node.asname or node.name) if isinstance(node, ast.alias) else None
            # Upper-case and _-prefixed names cannot clash: a field's Python name is its lower-case
            # wire name, which starts with a letter.
            if name is not None and name not in fields and name.islower() and not name.startswith("_"):
                names.add(name)
    return names


def test_no_field_may_take_a_name_the_generated_functions_use_beside_it() -> None:
    spec = repo_spec()  # the committed client's functions, and the fields of its spec
    fields = {field.py_name for op in spec.operations for field in op.fields}
    # The area modules (client methods) and the operation modules (prepare_*, validate_*).
    modules = sorted((REPO / "generated" / "kis_client").glob("*/*.py"))
    used = set().union(*(_names_beside_fields(module, fields) for module in modules))
    assert {"max_calls", "walk_back", "int", "call", "self"} <= used  # the _walk helper's own names
    assert {name for name in used if python_name_clash(name) is None} == set()


@pytest.mark.parametrize("wire", ["INT", "WALK_BACK", "CALLS", "ROW", "REPLY", "PAGE_CALL", "MAX_CALLS", "LIST"])
def test_a_field_named_like_a_helper_name_is_refused(spec_dir: Path, wire: str) -> None:
    old = "      FID_INPUT_DATE_1: {label: 입력 날짜 1 (조회 시작일자)"  # a field of the daily chart, which has a _walk
    line = edit(spec_dir, "domestic_stock.yaml", old, f"      {wire}: {{label: 이름}}\n{old}")
    (problem,) = problems(spec_dir)
    assert problem.startswith(f"spec/domestic_stock.yaml:{line}: ") and f"field {wire!r} gives the Python name {wire.lower()!r}, which" in problem


def test_mock_instead_names_what_a_mock_account_uses(spec_dir: Path) -> None:
    spec = load_spec(spec_dir)
    instead = {op.qualname: op.mock_instead.operation for op in spec.operations if op.mock_instead is not None}
    assert instead == {
        "domestic_stock.inquire_psbl_rvsecncl": "domestic_stock.inquire_daily_ccld",
        "domestic_stock.inquire_psbl_sell": "domestic_stock.inquire_balance",
        "overseas_stock.inquire_nccs": "overseas_stock.inquire_ccnl",
    }


def test_the_hashkey_section_names_the_operation_its_header_and_reply_field(spec_dir: Path) -> None:
    hashkey = load_spec(spec_dir).hashkey
    assert hashkey is not None
    assert (hashkey.qualname, hashkey.header, hashkey.reply_field) == ("auth.hashkey", "hashkey", "HASH")
    edit(spec_dir, "auth.yaml", "hashkey:\n  operation: hashkey\n  header: hashkey\n  reply_field: HASH\n", "")
    without = load_spec(spec_dir)
    assert without.hashkey is None and without.operation("auth.hashkey").name == "hashkey"  # an operation like any other


def test_mock_instead_must_name_an_operation_mock_accounts_have(spec_dir: Path) -> None:
    line = edit(spec_dir, "domestic_stock.yaml", "      operation: domestic_stock.inquire_balance\n", "      operation: domestic_stock.inquire_psbl_rvsecncl\n")
    (problem,) = problems(spec_dir)
    assert problem == f"spec/domestic_stock.yaml:{line}: operations.inquire_psbl_sell.mock_instead.operation: 'domestic_stock.inquire_psbl_rvsecncl' is not an operation a mock account has"


def test_mock_instead_is_only_for_real_only_operations(spec_dir: Path) -> None:
    old = "    note: 한 번의 호출에 최대 100건 (실전/모의)"
    line = edit(spec_dir, "domestic_stock.yaml", old, "    mock_instead: {operation: overseas_price.dailyprice, how: 해외 일봉}\n" + old)
    (problem,) = problems(spec_dir)
    assert problem == f"spec/domestic_stock.yaml:{line}: operations.inquire_daily_itemchartprice.mock_instead: domestic_stock.inquire_daily_itemchartprice works on a mock account; `mock_instead` is for a real-only operation"


# ---------------------------------------------------------------------------------------------
# Response declarations


def line_of(spec_dir: Path, name: str, text: str) -> int:
    return (spec_dir / name).read_text(encoding="utf-8").splitlines().index(text) + 1


def test_duplicate_response_field_is_refused(spec_dir: Path) -> None:
    old = '            ODNO: {label: 주문번호, kind: code, example: "0000004336"}'
    edit(spec_dir, "overseas_stock.yaml", old, old + '\n            ODNO: {label: 주문번호, kind: code}')
    line = line_of(spec_dir, "overseas_stock.yaml", "            ODNO: {label: 주문번호, kind: code}")
    assert problems(spec_dir) == [f"spec/overseas_stock.yaml:{line}: operations.order.response.outputs.output.fields.ODNO: duplicate key 'ODNO' (first defined on line {line - 1})"]


def test_unknown_kind_is_refused(spec_dir: Path) -> None:
    edit(spec_dir, "domestic_stock.yaml", 'hldg_qty: {label: 보유수량, kind: int, example: "1657"}', 'hldg_qty: {label: 보유수량, kind: float, example: "1657"}')
    (problem,) = problems(spec_dir)
    line = next(i for i, text in enumerate((spec_dir / "domestic_stock.yaml").read_text(encoding="utf-8").splitlines(), 1) if "kind: float" in text)
    assert problem.startswith(f"spec/domestic_stock.yaml:{line}: operations.inquire_balance.response.outputs.output1.fields.hldg_qty.kind: 'float' is not one of")


def test_shape_without_fields_is_refused(spec_dir: Path) -> None:
    path = spec_dir / "overseas_stock.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("          name: summary") - 1  # output2 of inquire_balance
    end = lines.index("  inquire_present_balance:") - 1
    path.write_text("\n".join(lines[: start + 3] + lines[end:]) + "\n", encoding="utf-8")
    (problem,) = problems(spec_dir)
    assert problem.startswith(f"spec/overseas_stock.yaml:{start + 1}: operations.inquire_balance.response.outputs.output2: ")
    assert "'fields' is required" in problem


def test_two_fields_of_one_output_may_not_share_a_label(spec_dir: Path) -> None:
    # as_records(labels="ko") keys each row by label; a shared label would drop a column.
    edit(spec_dir, "overseas_stock.yaml", "now_pric2: {label: 현재가격2,", "now_pric2: {label: 외화매입금액1,")
    line = line_of(spec_dir, "overseas_stock.yaml", '            now_pric2: {label: 외화매입금액1, kind: decimal, example: "1064.400000"}')
    assert problems(spec_dir) == [f"spec/overseas_stock.yaml:{line}: operations.inquire_balance.response.outputs.output1.fields.now_pric2.label: label '외화매입금액1' is also the label of 'frcr_pchs_amt1'"]


# ---------------------------------------------------------------------------------------------
# Quotation codes, encode, walks, aliases, rule sources


def test_quote_codes_come_from_the_exchanges() -> None:
    spec = load_spec(FIXTURE_SPEC)
    table = spec.code_table(QUOTE_TABLE)
    assert table.class_name == "QuoteExchange"
    assert table.values == ("NAS", "NYS", "AMS", "HKS", "SHS", "SZS", "TSE", "HNX", "HSX", "BAQ", "BAY", "BAA", "SHI", "SZI")
    assert {e.code: e.quote_code for e in spec.exchanges}["SEHK"] == "HKS"


def test_duplicate_quote_code_is_reported(spec_dir: Path) -> None:
    line = edit(spec_dir, "markets.yaml", "quote_code: HKS}", "quote_code: NAS}")
    found = problems(spec_dir)
    assert any(problem.startswith(f"spec/markets.yaml:{line}: ") and "quotation code 'NAS' is already used by NASD" in problem for problem in found), found


def test_encode_needs_the_exchange_table(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_stock.yaml", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: exchanges, example: SEHK}", "OVRS_EXCG_CD: {label: 해외거래소코드, required: true, codes: tr_crcy_cd, encode: quote_code, example: USD}")
    assert any("operations.inquire_psamount.request.OVRS_EXCG_CD.encode: `encode: quote_code` needs `codes: exchanges`" in problem for problem in problems(spec_dir))


def test_rule_values_of_an_encoded_field_are_quote_codes(spec_dir: Path) -> None:
    edit(spec_dir, "overseas_price.yaml", "then: {EXCD: {in: [NAS,", "then: {EXCD: {in: [NASD,")
    assert any("'NASD': not a code of table 'quote_exchanges'" in problem for problem in problems(spec_dir))


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("walk: {field: BYMD, from_output: output2, row_field: xymd, kind: date}", "walk: {field: BYMD, from_output: output2, row_field: clos, kind: date}", "operations.dailyprice.walk.kind: 'clos' is a decimal, not a date"),
        ("from_output: output2, row_field: xymd", "from_output: output1, row_field: xymd", "'output1' is not a list output of this operation"),
        ("walk: {field: BYMD,", "walk: {field: AUTHX,", "walk.field: 'AUTHX' is not a request field the caller passes"),
    ],
    ids=["kind", "output", "field"],
)
def test_walk_needs_a_list_output_field_of_its_kind(spec_dir: Path, old: str, new: str, says: str) -> None:
    edit(spec_dir, "overseas_price.yaml", old, new)
    assert any(says in problem for problem in problems(spec_dir))


def test_field_alias_must_not_be_another_field(spec_dir: Path) -> None:
    edit(spec_dir, "domestic_stock.yaml", "aliases: [cnc_cfrm_qty]", "aliases: [rmn_qty]")
    assert any("alias 'rmn_qty' is already a field of this output" in problem for problem in problems(spec_dir))


def test_rule_source_and_encode_in_the_model() -> None:
    spec = load_spec(FIXTURE_SPEC)
    op = spec.operation("overseas_stock.order_rvsecncl")
    rule = next(rule for rule in op.rules if rule.id == "cancel_only_markets")
    assert rule.source is not None and "2026-09-11" in rule.source
    assert [(c.subject, c.values) for c in rule.when] == [("market", ("SH", "SZ", "VN"))]
    assert spec.operation("overseas_price.price").field("EXCD").encode == "quote_code"
