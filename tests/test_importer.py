"""kisgen import: drafts from KIS's samples (a fixture repository in their shape), corrections
on top of them, and the layout rules that keep curated and imported facts apart."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kisgen.cli import main
from kisgen.diff import diff_specs
from kisgen.errors import SpecError
from kisgen.importer import infer_kind, parse_codes
from kisgen.pipeline import load_spec, render_spec
from kisgen.write import write_files
from tests import kis_fixture_repo
from tests.conftest import FIXTURE_SPEC

SPEC_DIR = FIXTURE_SPEC
TRADING = "imported/domestic_stock_trading.yaml"
INFO = "imported/domestic_stock_info.yaml"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kis_fixture_repo.build(tmp_path_factory.mktemp("kis"))


@pytest.fixture(scope="module")
def imported(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's spec with two fixture categories imported."""
    spec_dir = spec_copy(tmp_path_factory.mktemp("imported"))
    assert import_(spec_dir, repo, "--category", "domestic_stock_trading", "--category", "[국내주식] 종목정보") == 0
    return spec_dir


def spec_copy(directory: Path) -> Path:
    spec_dir = directory / "spec"
    shutil.copytree(SPEC_DIR, spec_dir)
    shutil.copy(kis_fixture_repo.PORTAL, spec_dir / "sources" / "kis_portal.json")
    return spec_dir


def import_(spec_dir: Path, repo: Path, *args: str) -> int:
    return main(["--spec", str(spec_dir), "import", str(repo), *args])


def operation(spec_dir: Path, file: str, name: str) -> dict[str, Any]:
    data = yaml.safe_load((spec_dir / file).read_text(encoding="utf-8"))
    result: dict[str, Any] = data["operations"][name]
    return result


def evidence(op: dict[str, Any], fact: str) -> list[dict[str, Any]]:
    return [entry for entry in op["evidence"] if entry["fact"] == fact]


def test_what_is_drafted_and_what_is_skipped(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = load_spec(imported)
    names = {op.qualname for op in spec.operations if "/imported/domestic_stock_" in op.file and "ranking" not in op.file}
    assert names == {f"domestic_stock.{name}" for name in ("credit_order", "holdings", "period_orders", "quote_board", "rank_list")}
    assert spec.operation("domestic_stock.holdings").file == "spec/imported/domestic_stock_trading.yaml"  # the area joins domestic_stock


def test_skipped_apis_say_why(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = spec_copy(tmp_path)
    assert import_(spec_dir, repo, "--category", "domestic_stock_info") == 0
    out = capsys.readouterr().out
    assert "  skipped fixture_info/odd_chain: TR_ID chain by nat_dv, ord_dv: more than one selector; draft it by hand\n" in out
    assert "  skipped fixture_info/hostile: no TR_ID in the sample\n" in out
    tables = yaml.safe_load((spec_dir / INFO).read_text(encoding="utf-8"))["codes"]
    assert "  skipped fixture_info/bare_reply: no response fields in the sample or the portal\n" in out
    # Not bare_reply's FID_SIDE_CODE table: it was skipped. rank_list's optional 순위 정렬 구분 코드 is
    # sent blank unless given, which none of its codes is: free text.
    assert list(tables) == ["quote_board_fid_cond_mrkt_div_code"]


def test_mock_tr_ids_only_from_evidence(imported: Path) -> None:
    spec = load_spec(imported)
    # the portal lists it as 모의투자 미지원: real-only
    assert spec.operation("domestic_stock.quote_board").envs == ("real",)
    # not in the portal, and only kis_auth's rule would give a mock TR_ID: real-only too
    rank = operation(imported, INFO, "rank_list")
    assert rank["tr_id"] == {"real": "FHPST99020000", "mock": "unsupported"}
    assert "T/J/C→V rule alone is not evidence" in evidence(rank, "tr_id.mock")[0]["from"]
    # the portal lists the mock TR_ID, which is what the rule gives
    holdings = spec.operation("domestic_stock.holdings")
    assert holdings.tr is not None and holdings.tr.lookup("mock") == "VTTC9901R"
    assert evidence(operation(imported, TRADING, "holdings"), "tr_id.mock")[0]["from"] == "KIS API portal (test fixture) lists VTTC9901R for 테스트 잔고 목록"
    # KIS wrote the mock TR_IDs only in comments
    credit = operation(imported, TRADING, "credit_order")
    assert credit["tr_id"] == {"by": ["side"], "real": {"buy": "TTTC9921U", "sell": "TTTC9922U"}}
    assert [(e["value"], e["at"]) for e in evidence(credit, "tr_id.mock")] == [
        ("VTTC9921U", "examples_llm/fixture_trading/credit_order/credit_order.py:26"),
        ("VTTC9922U", "examples_llm/fixture_trading/credit_order/credit_order.py:28"),
    ]


def test_period_chain(imported: Path) -> None:
    op = load_spec(imported).operation("domestic_stock.period_orders")
    assert op.tr is not None
    cells = {(cell.env, cell.period): cell.tr_id for cell in op.tr.cells}
    assert cells == {("real", "before"): "CTSC9912R", ("mock", "before"): "VTSC9912R", ("real", "inner"): "TTTC9911R", ("mock", "inner"): "VTTC9911R"}


def test_request_fields(imported: Path) -> None:
    spec = load_spec(imported)
    board = spec.operation("domestic_stock.quote_board")
    market = board.field("FID_COND_MRKT_DIV_CODE")
    assert market.required and market.codes is not None and spec.code_table(market.codes).values == ("J", "NX")
    assert board.field("FID_INPUT_ISCD").codes is None  # "기타: 업종코드": the list is not closed
    assert board.field("FID_COND_SCR_DIV_CODE").default == "11"  # the only value the sample accepts
    assert board.field("FID_ETC_CLS_CODE").default == ""  # a value the sample always sends
    assert board.field("FID_COND_MRKT_DIV_CODE").example == "J"  # from the chk_ file
    holdings = spec.operation("domestic_stock.holdings")
    assert holdings.field("CANO").bind == "account_number"
    assert holdings.field("INQR_DVSN").codes == "inqr_dvsn_balance"  # the spec's own table, same codes
    rank = spec.operation("domestic_stock.rank_list")
    assert [(f.wire, f.required) for f in rank.fields] == [("FID_INPUT_ISCD", True), ("FID_RANK_SORT_CLS_CODE", False), ("FID_VOL_CNT", False)]


def test_paging_and_outputs(imported: Path) -> None:
    spec = load_spec(imported)
    holdings = spec.operation("domestic_stock.holdings")
    assert holdings.pagination is not None
    assert [(key.request, key.response, key.output) for key in holdings.pagination.keys] == [("CTX_AREA_FK100", "ctx_area_fk100", None), ("CTX_AREA_NK100", "ctx_area_nk100", None)]
    rank = spec.operation("domestic_stock.rank_list").pagination
    assert rank is not None and rank.keys == ()  # KIS's sample follows tr_cont and sends nothing back
    board = spec.operation("domestic_stock.quote_board")
    assert [(o.key, o.shape) for o in board.response.outputs] == [("output1", "object"), ("output2", "list")]
    kinds = {f.wire: (f.kind, f.kind_inferred) for f in board.response.outputs[0].fields}
    assert kinds == {
        "hts_kor_isnm": ("text", False), "stck_prpr": ("decimal", True), "prdy_vrss_sign": ("code", True), "prdy_ctrt": ("decimal", True),
        "stck_bsop_date": ("date", True), "stck_clpr": ("decimal", True), "acml_vol": ("decimal", True), "mod_yn": ("code", True), "date": ("text", False),
    }
    # KIS's mapping lists stck_prpr a second time: output2's columns start there.
    assert [f.wire for f in board.response.outputs[1].fields] == ["stck_prpr"]
    assert board.response.outputs[0].fields[-1].py_name == "date_"  # `date` is a name every model uses
    notes = [e["from"] for e in operation(imported, INFO, "quote_board")["evidence"] if e["fact"].startswith("response.outputs")]
    assert any("lists stck_prpr again: a later output starts there" in note for note in notes)
    assert any(note.startswith("'date' is a name every response model uses") for note in notes)


@pytest.mark.parametrize(
    ("wire", "label", "numeric", "kind"),
    [
        ("stck_prpr", "주식 현재가", False, "decimal"),
        ("stck_prpr", "비고", False, "text"),  # the name alone is not enough
        ("acnt_note", "수량", False, "text"),  # nor the label alone
        ("prdy_vrss_sign", "전일 대비 부호", False, "code"),
        ("loan_dt", "대출일자", False, "date"),
        ("loan_dt", "대출", False, "text"),
        ("hldg_qty", "보유", True, "decimal"),  # NUMERIC_COLUMNS counts as the label's word
        ("stck_cntg_hour", "체결 시간", False, "text"),  # times vary in width at KIS: text
    ],
)
def test_kinds_are_inferred_conservatively(wire: str, label: str, numeric: bool, kind: str) -> None:
    assert infer_kind(wire, label, numeric)[0] == kind


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("조건 시장 분류 코드 (ex. J:KRX, NX:NXT, UN:통합)", (("J", "KRX"), ("NX", "NXT"), ("UN", "통합"))),
        ('분류 구분 코드 ("0": 전체, "1": 보통주)', (("0", "전체"), ("1", "보통주"))),
        ("조회구분 (ex. 01 – 대출일별 | 02 – 종목별)", (("01", "대출일별"), ("02", "종목별"))),
        ("입력 종목코드 (0000:전체, 기타:업종코드)", None),  # open-ended
        ("0 : 전체", None),  # one code is an example, not a table
        ("0:상승률1:상승폭2:보합", None),  # run together
        ("종목코드 (ex. 005930)", None),
    ],
)
def test_code_tables_only_where_every_code_is_listed(text: str, codes: tuple[tuple[str, str], ...] | None) -> None:
    assert parse_codes(text) == codes


def test_the_draft_generates_and_type_checks(imported: Path, tmp_path: Path) -> None:
    from mypy import api

    root = tmp_path / "root"
    root.mkdir()
    write_files(render_spec(imported), root)
    methods = "".join(path.read_text(encoding="utf-8") for path in (root / "generated" / "kis_client").glob("*/api.py"))
    assert "def quote_board(" in methods and "def holdings_pages(" in methods
    out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "mypy"), str(root / "generated" / "kis_client")])
    assert status == 0, out + err


def test_reimport_is_idempotent(imported: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {path: (imported / path).read_bytes() for path in (TRADING, INFO)}
    assert import_(imported, repo, "--category", "domestic_stock_trading", "--category", "domestic_stock_info") == 0
    assert "wrote 0 file(s)" in capsys.readouterr().out
    assert {path: (imported / path).read_bytes() for path in before} == before


def test_a_hand_edit_fails_validation_and_is_never_overwritten(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = spec_copy(tmp_path)
    assert import_(spec_dir, repo, "--category", "domestic_stock_info") == 0
    path = spec_dir / INFO
    path.write_text(path.read_text(encoding="utf-8").replace("summary: 테스트 순위목록", "summary: 순위목록 (고침)"), encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_spec(spec_dir)
    (problem,) = error.value.problems
    assert problem.file == "spec/imported/domestic_stock_info.yaml" and problem.line == 4 and problem.path == "imported.digest"
    assert "put the change in spec/corrections/domestic_stock_info.yaml" in problem.message
    edited = path.read_bytes()
    capsys.readouterr()
    assert import_(spec_dir, repo, "--category", "domestic_stock_info") == 2
    assert "edited by hand" in capsys.readouterr().err
    assert path.read_bytes() == edited


def test_a_curated_file_is_never_replaced(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = spec_copy(tmp_path)
    (spec_dir / INFO).write_text("source: {document: curated by hand, date: '2026-11-01'}\n", encoding="utf-8")
    assert import_(spec_dir, repo, "--category", "domestic_stock_info") == 2
    assert "not written by `kisgen import`: it is never replaced" in capsys.readouterr().err


CORRECTIONS = """\
source: {{document: reviewed corrections to the fixture import, date: '2026-11-20'}}
corrections:
  - operation: domestic_stock.quote_board
    set:
      response.outputs.output1.fields.stck_prpr.kind: int
      summary: 테스트 시세판 (검토됨)
    remove: [response.outputs.output1.fields.mod_yn]
    source: KIS API workbook, 테스트 시세판 응답 (stck_prpr Number)
{extra}"""


def test_corrections_apply_and_survive_a_reimport(imported: Path, repo: Path, tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(imported, spec_dir)
    (spec_dir / "corrections").mkdir(exist_ok=True)
    (spec_dir / "corrections" / "domestic_stock_info.yaml").write_text(CORRECTIONS.format(extra=""), encoding="utf-8")
    for _ in range(2):  # as imported, then imported again
        board = load_spec(spec_dir).operation("domestic_stock.quote_board")
        assert board.summary == "테스트 시세판 (검토됨)"
        output1 = {f.wire: f.kind for f in board.response.outputs[0].fields}
        assert output1["stck_prpr"] == "int" and "mod_yn" not in output1
        assert {f.wire: f.kind for f in board.response.outputs[1].fields}["stck_prpr"] == "decimal"  # only what the correction names
        assert import_(spec_dir, repo, "--category", "domestic_stock_info") == 0


@pytest.mark.parametrize(
    ("extra", "line", "path", "message"),
    [
        (
            "  - operation: domestic_stock.rank_list\n    set: {summary: 테스트 순위목록}\n    source: x\n",
            10,
            "corrections.1.set.summary",
            "changes nothing: summary is already \"테스트 순위목록\" in spec/imported/domestic_stock_info.yaml domestic_stock.rank_list; drop this correction",
        ),
        (
            "  - operation: domestic_stock.rank_list\n    remove: [request.FID_GONE]\n    source: x\n",
            10,
            "corrections.1.remove.0",
            "target gone: request.FID_GONE is not in spec/imported/domestic_stock_info.yaml domestic_stock.rank_list; KIS's sample changed, so review this correction",
        ),
        (
            "  - operation: domestic_stock.rank_list\n    set: {response.outputs.output9.name: x}\n    source: x\n",
            10,
            "corrections.1.set.response.outputs.output9.name",
            "target gone: response.outputs.output9 is not in spec/imported/domestic_stock_info.yaml domestic_stock.rank_list; KIS's sample changed, so review this correction",
        ),
        (
            "  - operation: domestic_stock.order_cash\n    set: {summary: x}\n    source: x\n",
            9,
            "corrections.1.operation",
            "'domestic_stock.order_cash' is not an imported operation: it is gone from spec/imported/, or it is curated (correct curated files in place)",
        ),
        (
            "  - operation: domestic_stock.quote_board\n    set: {response.outputs.output1.fields.stck_prpr: {label: x, kind: text}}\n    source: x\n",
            10,
            "corrections.1.set.response.outputs.output1.fields.stck_prpr",
            "response.outputs.output1.fields.stck_prpr of domestic_stock.quote_board is also corrected by spec/corrections/domestic_stock_info.yaml correction 1; merge the two",
        ),
    ],
)
def test_a_correction_that_misses_is_an_error(imported: Path, tmp_path: Path, extra: str, line: int, path: str, message: str) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(imported, spec_dir)
    (spec_dir / "corrections").mkdir(exist_ok=True)
    (spec_dir / "corrections" / "domestic_stock_info.yaml").write_text(CORRECTIONS.format(extra=extra), encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_spec(spec_dir)
    assert [(p.file, p.line, p.path, p.message) for p in error.value.problems] == [("spec/corrections/domestic_stock_info.yaml", line, path, message)]


def test_diff_shows_an_import_as_additions(imported: Path) -> None:
    changes = diff_specs(load_spec(SPEC_DIR), load_spec(imported))
    assert not [change for change in changes if change.breaking]
    added = sorted(change.where for change in changes if change.check == "operation-added")
    assert added == [f"domestic_stock.{name}" for name in ("credit_order", "holdings", "period_orders", "quote_board", "rank_list")]


def test_operation_names_are_unique_per_area_across_files(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, spec_dir)
    curated = (spec_dir / "domestic_stock.yaml").read_text(encoding="utf-8")
    operations = curated.index("\noperations:\n")
    (spec_dir / "more_orders.yaml").write_text("source: {document: x, date: '2026-11-01'}\narea: domestic_stock" + curated[operations:], encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_spec(spec_dir)
    first = curated[: curated.index("\n  order_cash:\n")].count("\n") + 2
    problem = error.value.problems[0]
    assert (problem.file, problem.path) == ("spec/more_orders.yaml", "operations.order_cash")
    assert problem.message == f"operation domestic_stock.order_cash is already declared in spec/domestic_stock.yaml:{first}"


def test_an_import_audits_without_drift(imported: Path, repo: Path) -> None:
    from kisgen.audit import audit
    from kisgen.kis_portal import read_portal
    from kisgen.kis_samples import read_samples

    report = audit(load_spec(imported), read_samples(str(repo)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    assert report.drift == ()
    rows = {row.category: row for row in report.coverage}
    assert rows["[국내주식] 주문/계좌"].imported == ("fixture_trading/credit_order", "fixture_trading/holdings", "fixture_trading/period_orders")
    assert rows["[국내주식] 종목정보"].missing == ("fixture_info/bare_reply", "fixture_info/hostile", "fixture_info/odd_chain")  # the ones it skipped
    assert rows["[국내주식] 종목정보"].real_only == ("fixture_info/quote_board", "fixture_info/rank_list")  # the portal: 모의투자 미지원; no mock TR_ID anywhere
