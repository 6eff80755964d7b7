"""kisgen audit: KIS's samples (a fixture repository in their shape) against the spec."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kisgen.audit import DRIFT, KIS, KNOWN, STALE, Audit, audit, to_json, to_markdown
from kisgen.cli import main
from kisgen.kis_portal import read_portal
from kisgen.kis_samples import read_samples
from kisgen.model import Spec
from kisgen.pipeline import load_spec
from tests import kis_fixture_repo
from tests.conftest import FIXTURE_SPEC

SPEC_DIR = FIXTURE_SPEC
OVERRIDE_SOURCE = "KIS sample code comment corrected 2026-07-09"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kis_fixture_repo.build(tmp_path_factory.mktemp("kis"))


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(SPEC_DIR)


def run(spec: Spec, repo: Path, revision: str) -> Audit:
    return audit(spec, read_samples(f"{repo}@{revision}"), read_portal(kis_fixture_repo.PORTAL, "portal"))


def us_sell(report: Audit, status: str) -> list[str]:
    return [f.message for f in report.findings if f.operation == "overseas_stock.order" and f.status == status]


def test_before_kis_corrected_its_comment_the_override_is_known_with_its_source(spec: Spec, repo: Path) -> None:
    report = run(spec, repo, "HEAD~1")
    known = [f for f in report.findings if f.operation == "overseas_stock.order" and f.status == KNOWN]
    assert [f.message for f in known] == ["mock US sell: the spec sends VTTT1001U; KIS's code sends VTTT1006U (the sample's own \"V\" + tr_id[1:])"]
    assert known[0].source is not None and OVERRIDE_SOURCE in known[0].source
    assert us_sell(report, KIS) == []
    assert report.drift == ()


def test_after_the_correction_kis_code_and_comment_disagree(spec: Spec, repo: Path) -> None:
    report = run(spec, repo, "HEAD")
    (finding,) = [f for f in report.findings if f.status == KIS]
    assert finding.operation == "overseas_stock.order"
    assert finding.details == {"real": "TTTT1006U", "code": "VTTT1006U", "comment": "VTTT1001U", "spec": "VTTT1001U"}
    assert "world_order.py:48" in finding.message and "world_order.py:25" in finding.message  # the comment and the docstring
    assert finding.message.endswith("the spec sends VTTT1001U (with the comment)")
    assert us_sell(report, KNOWN) == ["mock US sell: the spec sends VTTT1001U (as KIS's comment says); KIS's code sends VTTT1006U (the sample's own \"V\" + tr_id[1:])"]


def test_matching_operations_agree(spec: Spec, repo: Path) -> None:
    report = run(spec, repo, "HEAD")
    assert report.agree == ("domestic_stock.order_cash",)  # fields, outputs and both side's TR_IDs agree


def test_drift_is_reported_and_fails_the_run(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = _spec_copy(tmp_path)
    overseas = spec_dir / "overseas_stock.yaml"
    text = overseas.read_text(encoding="utf-8")
    start = text.index("      mock_overrides:\n        - when: {market: US, side: sell}")
    end = text.index("    request:", start)
    overseas.write_text(text[:start] + text[end:], encoding="utf-8")  # forget KIS's correction
    assert main(["--spec", str(spec_dir), "audit", f"{repo}@HEAD", "--fail-on-drift"]) == 1
    out = capsys.readouterr().out
    assert "| `overseas_stock.order` | `fixture_trading/world_order` | KIS API portal lists mock TR_ID VTTT1001U; the spec does not send it |" in out
    assert "its comments say VTTT1001U" in out and "the spec sends VTTT1006U (with the code)" in out
    assert main(["--spec", str(spec_dir), "audit", f"{repo}@HEAD"]) == 0  # without the flag, a report only


def test_a_clean_audit_passes_with_fail_on_drift(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--spec", str(_spec_copy(tmp_path)), "audit", f"{repo}@HEAD", "--fail-on-drift"]) == 0
    assert "0 drift" in capsys.readouterr().out


def test_coverage_spec_only_and_portal_only(spec: Spec, repo: Path) -> None:
    report = run(spec, repo, "HEAD")
    rows = {row.category: row for row in report.coverage}
    trading = rows["[국내주식] 주문/계좌"]
    assert (len(trading.apis), trading.curated, trading.files) == (4, ("fixture_trading/place_order",), ("domestic_stock_trading",))
    assert rows["[국내주식] 종목정보"].missing == ("fixture_info/bare_reply", "fixture_info/hostile", "fixture_info/odd_chain", "fixture_info/quote_board", "fixture_info/rank_list")
    assert rows["[국내주식] 실시간시세"].realtime == ("fixture_info/live_tick",)
    assert "auth.revoke" in report.spec_only and "overseas_stock.order" not in report.spec_only
    assert report.portal_only == ("[국내주식] 종목정보 포털에만 있는 API (GET /uapi/domestic-stock/v1/quotations/fixture-portal-only)",)
    assert any("broken_syntax.py:9" in problem for problem in report.problems)


def test_markdown_and_json(spec: Spec, repo: Path) -> None:
    report = run(spec, repo, "HEAD")
    text = to_markdown(report)
    assert text.startswith(f"## KIS samples audit: `koreainvestment/open-trading-api@{report.revision[:7]}` (2026-07-09)")
    assert "**2 of 10 REST APIs in the spec; 0 drift, 0 stale, 1 known (with source), 1 where KIS's code and comments disagree; 1 operations agree.**" in text
    assert "| [국내주식] 주문/계좌 | 4 | 1 of 4 | 1 | 0 | 0 | 0 | `spec/imported/domestic_stock_trading.yaml` |" in text
    document = json.loads(to_json(report))
    assert document["summary"] == {"rest_apis": 10, "in_spec": 2, "real_only": 0, "realtime": 1, "drift": 0, "stale": 0, "known": 1, "kis_code_vs_comment": 1}
    assert {finding["status"] for finding in document["findings"]} == {KNOWN, KIS}
    assert DRIFT not in {finding["status"] for finding in document["findings"]}


def test_a_revision_that_does_not_exist(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", f"{repo}@nope"]) == 2
    assert "kisgen audit: git rev-parse" in capsys.readouterr().err


def _spec_copy(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, spec_dir)
    shutil.copy(kis_fixture_repo.PORTAL, spec_dir / "sources" / "kis_portal.json")
    return spec_dir


def test_a_change_to_kis_transport_rule_is_drift(spec: Spec, repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    kis_fixture_repo.git(tmp_path, "clone", "-q", str(repo), str(clone))
    kis_fixture_repo.commit_edits(clone, "examples_llm/kis_auth.py", (('("T", "J", "C")', '("T", "J")'),), "mock rule")
    report = audit(spec, read_samples(str(clone)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    (finding,) = [f for f in report.drift if f.check == "mock-rule"]
    assert finding.message == "KIS's transport turns a leading T, J into V on mock accounts; the spec's mock rule T, J, C into V"
    assert finding.at == "examples_llm/kis_auth.py:4"


ORDER_CASH = "    path: /uapi/domestic-stock/v1/trading/order-cash\n"
PLACE_ORDER = "examples_llm/fixture_trading/place_order/place_order.py"
# KIS's sample sends a field the spec lacks, and makes a field optional that the spec requires.
ALGO_NO_AND_OPTIONAL_PRICE = (
    ('"CNDT_PRIC": cndt_pric,', '"CNDT_PRIC": cndt_pric,\n        "ALGO_NO": "",'),
    ("ord_unpr (str): [필수] 주문단가", "ord_unpr (str): 주문단가"),
    ("ord_unpr: str,  # 주문단가", "ord_unpr: str,  # 선택, 주문단가"),
)


def _kis_changes(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The fixture repository with one more commit, editing KIS's order_cash sample."""
    repo = kis_fixture_repo.build(tmp_path / "kis")
    kis_fixture_repo.commit_edits(repo, PLACE_ORDER, edits, "sample changed")
    return repo


def _order_cash_says(tmp_path: Path, lines: str) -> Path:
    spec_dir = _spec_copy(tmp_path)
    domestic = spec_dir / "domestic_stock.yaml"
    domestic.write_text(domestic.read_text(encoding="utf-8").replace(ORDER_CASH, ORDER_CASH + lines, 1), encoding="utf-8")
    return spec_dir


def _order_cash(report: Audit) -> list[tuple[str, str, str | None]]:
    return [(f.status, f.message, f.source) for f in report.findings if f.operation == "domestic_stock.order_cash"]


def test_a_tr_id_kis_changed_is_drift_though_the_spec_names_its_own(tmp_path: Path) -> None:
    # The spec's source naming the TR_ID it sends explains nothing when KIS sends another.
    spec_dir = _order_cash_says(tmp_path, "    source: KIS sample code (TTTC0012U buy, TTTC0011U sell)\n")
    repo = _kis_changes(tmp_path, ('"TTTC0012U"', '"TTTC0019U"'))
    report = audit(load_spec(spec_dir), read_samples(str(repo)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    drift = [f.message for f in report.drift if f.operation == "domestic_stock.order_cash" and f.check == "tr-id"]
    assert "KIS's sample sends real TR_ID TTTC0019U (ord_dv == \"buy\"); the spec has no such TR_ID" in drift
    assert "real buy: the spec's TTTC0012U is not in KIS's sample" in drift
    assert [f for f in report.findings if f.operation == "domestic_stock.order_cash" and f.check == "tr-id" and f.status != DRIFT] == []


def test_text_that_names_a_field_explains_nothing(tmp_path: Path) -> None:
    # The spec's note names the field KIS added, and its rules name ORD_UNPR: neither is an explanation.
    repo = _kis_changes(tmp_path, *ALGO_NO_AND_OPTIONAL_PRICE)
    spec_dir = _order_cash_says(tmp_path, "    note: KIS's sample also sends ALGO_NO; ORD_UNPR is optional there\n")
    report = audit(load_spec(spec_dir), read_samples(str(repo)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    assert _order_cash(report) == [
        (DRIFT, "ORD_UNPR: the spec requires it; KIS's sample marks it optional (signature comment '선택, 주문단가')", None),
        (DRIFT, "KIS's sample sends ALGO_NO (no label); the spec lacks it", None),
    ]


def test_a_declared_known_difference_explains_exactly_what_it_names(tmp_path: Path) -> None:
    repo = _kis_changes(tmp_path, *ALGO_NO_AND_OPTIONAL_PRICE)
    known = (
        "    known_differences:\n"
        "      - {check: request-field, kis: ALGO_NO, source: algorithm orders are not in the spec yet}\n"
        "      - {check: required, field: ORD_UNPR, kis: optional, source: a market order sends 0}\n"
        "      - {check: required, field: ORD_QTY, kis: optional, source: not so at KIS}\n"
    )
    spec_dir = _order_cash_says(tmp_path, known)
    report = audit(load_spec(spec_dir), read_samples(str(repo)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    line = (spec_dir / "domestic_stock.yaml").read_text(encoding="utf-8").splitlines().index("      - {check: required, field: ORD_QTY, kis: optional, source: not so at KIS}") + 1
    assert _order_cash(report) == [
        (KNOWN, "ORD_UNPR: the spec requires it; KIS's sample marks it optional (signature comment '선택, 주문단가')", "a market order sends 0"),
        (KNOWN, "KIS's sample sends ALGO_NO (no label); the spec lacks it", "algorithm orders are not in the spec yet"),
        (STALE, f"spec/domestic_stock.yaml:{line} explains a required difference (field ORD_QTY, KIS: optional) that KIS's sample no longer has: remove or correct it", "not so at KIS"),
    ]
    assert report.drift == () and len(report.stale) == 1


def test_a_known_difference_kis_no_longer_has_is_stale_and_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = kis_fixture_repo.build(tmp_path / "kis")
    spec_dir = _order_cash_says(tmp_path, "    known_differences:\n      - {check: request-field, kis: ALGO_NO, source: algorithm orders are not in the spec yet}\n")
    assert main(["--spec", str(spec_dir), "audit", f"{repo}@HEAD", "--fail-on-drift"]) == 1
    out = capsys.readouterr().out
    assert "0 drift, 1 stale," in out
    assert "### Stale known differences (1)" in out
    assert "explains a request-field difference (KIS: ALGO_NO) that KIS's sample no longer has" in out
    assert main(["--spec", str(spec_dir), "audit", f"{repo}@HEAD", "--format", "json"]) == 0
    (stale,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["status"] == STALE]
    assert stale["details"]["declared_at"].startswith("spec/domestic_stock.yaml:") and stale["details"]["kis"] == "ALGO_NO"


def test_a_known_tr_id_names_what_kis_sends(tmp_path: Path) -> None:
    # An entry naming only the spec's own TR_ID cannot explain a TR_ID KIS changed.
    repo = _kis_changes(tmp_path, ('"TTTC0012U"', '"TTTC0019U"'))
    spec_dir = _order_cash_says(tmp_path, "    known_differences:\n      - {check: tr-id, spec: TTTC0012U, source: the spec's own TR_ID}\n")
    report = audit(load_spec(spec_dir), read_samples(str(repo)), read_portal(kis_fixture_repo.PORTAL, "portal"))
    tr_ids = [(f.status, f.message) for f in report.findings if f.operation == "domestic_stock.order_cash" and f.check == "tr-id"]
    assert (DRIFT, "KIS's sample sends real TR_ID TTTC0019U (ord_dv == \"buy\"); the spec has no such TR_ID") in tr_ids
    assert (KNOWN, "real buy: the spec's TTTC0012U is not in KIS's sample") in tr_ids  # what KIS lacks, named by the spec's value
    assert len(report.stale) == 0
