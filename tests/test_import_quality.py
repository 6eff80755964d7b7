"""kisgen import, the quality of what it drafts (issue 20's acceptance review): KIS's names as
labels, no required argument KIS does not need, code tables of a draft's own, a repeated
COLUMN_MAPPING key labelling the later output, and one failing category never stopping the
others. Samples of their own, committed on top of the fixture repository."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kisgen.cli import main
from kisgen.pipeline import load_spec
from tests import kis_fixture_repo
from tests.kis_fixture_repo import git

REPO_SPEC = Path(__file__).resolve().parent.parent / "spec"
CODES = "(ex. 0:전체, 1:종가범위연장)"

CLOSING = '''import kis_auth as ka

##############################################################################################
# [국내주식] 기본시세 > 테스트 장마감 예상체결가[국내주식-951]
##############################################################################################

API_URL = "/uapi/domestic-stock/v1/quotations/fixture-closing"


def closing(
    fid_cond_mrkt_div_code: str,  # [필수] 조건시장분류코드 (ex. J:주식)
    fid_blng_cls_code: str,       # [필수] 소속구분코드 {codes}
    fid_input_price_1: str,       # 입력 가격1
    fid_input_price_2: str,       # 입력 가격2
    fid_input_iscd_2: Optional[str] = None,  # 입력 종목코드2
):
    """
    Args:
        fid_cond_mrkt_div_code (str): [필수] 조건시장분류코드 (ex. J:주식)
        fid_blng_cls_code (str): [필수] 소속구분코드 {codes}
        fid_input_price_1 (str): 입력 가격1 (공란: 전체)
        fid_input_price_2 (str): 입력 가격2 (공란: 전체)
        fid_input_iscd_2 (Optional[str]): 입력 종목코드2
    """
    tr_id = "FHKST95100000"
    params = {{
        "FID_COND_MRKT_DIV_CODE": fid_cond_mrkt_div_code,
        "FID_BLNG_CLS_CODE": fid_blng_cls_code,
        "FID_INPUT_PRICE_1": fid_input_price_1,
        "FID_INPUT_PRICE_2": fid_input_price_2,
    }}
    if fid_input_iscd_2 is not None:
        params["FID_INPUT_ISCD_2"] = fid_input_iscd_2
    res = ka._url_fetch(API_URL, tr_id, "", params)
    if res.isOK():
        return pd.DataFrame(res.getBody().output1, index=[0]), pd.DataFrame(res.getBody().output2)
    return None
'''.format(codes=CODES)

CHK_CLOSING = '''from closing import closing

##############################################################################################
# [국내주식] 기본시세 > 테스트 장마감 예상체결가[국내주식-951]
##############################################################################################

COLUMN_MAPPING = {
    'stck_shrn_iscd': '주식 단축 종목코드',
    'futs_antc_cnpr': '업종 지수 현재가',
    'stck_cntg_hour': '주식체결시간',
    'futs_antc_cnpr': '선물예상체결가',
}


def main():
    print(closing(fid_cond_mrkt_div_code="J", fid_blng_cls_code="0", fid_input_price_1="", fid_input_price_2=""))
'''

TREND = '''import kis_auth as ka

##############################################################################################
# [국내주식] 시세분석 > 테스트 예상체결 추이[국내주식-952]
##############################################################################################

API_URL = "/uapi/domestic-stock/v1/quotations/fixture-trend"


def trend(
    fid_cond_mrkt_div_code: str,  # [필수] 조건시장분류코드 (ex. J:주식)
    fid_blng_cls_code: str,       # [필수] 소속구분코드 {codes}
):
    """
    Args:
        fid_cond_mrkt_div_code (str): [필수] 조건시장분류코드 (ex. J:주식)
        fid_blng_cls_code (str): [필수] 소속구분코드 {codes}
    """
    tr_id = "{tr_id}"
    params = {{
        "FID_COND_MRKT_DIV_CODE": fid_cond_mrkt_div_code,
        "FID_BLNG_CLS_CODE": fid_blng_cls_code,
    }}
    res = ka._url_fetch(API_URL, tr_id, "", params)
    if res.isOK():
        return pd.DataFrame(res.getBody().output)
    return None
'''

CHK_TREND = '''from trend import trend

##############################################################################################
# [국내주식] 시세분석 > 테스트 예상체결 추이[국내주식-952]
##############################################################################################

COLUMN_MAPPING = {
    'stck_prpr': '주식 현재가',
}


def main():
    print(trend(fid_cond_mrkt_div_code="J", fid_blng_cls_code="1"))
'''

QUOTATIONS = "imported/domestic_stock_quotations.yaml"
ANALYSIS = "imported/domestic_stock_analysis.yaml"


def samples_repo(directory: Path, trend_tr_id: str) -> Path:
    """The fixture repository with two categories of its own added: closing in 기본시세, trend in
    시세분석, both sending 소속구분코드 with the same codes."""
    repo = kis_fixture_repo.build(directory)
    for folder, name, text in (("closing", "closing.py", CLOSING), ("closing", "chk_closing.py", CHK_CLOSING), ("trend", "trend.py", TREND.format(codes=CODES, tr_id=trend_tr_id)), ("trend", "chk_trend.py", CHK_TREND)):
        path = repo / "examples_llm" / "fixture_quality" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "quality samples", date="2026-07-10T10:00:00+09:00")
    return repo


def spec_without_imports(directory: Path) -> Path:
    """The repository's curated spec: the categories imported here are not there yet."""
    spec_dir = directory / "spec"
    shutil.copytree(REPO_SPEC, spec_dir, ignore=shutil.ignore_patterns("imported", "corrections"))
    shutil.copy(kis_fixture_repo.PORTAL, spec_dir / "sources" / "kis_portal.json")
    return spec_dir


def import_(spec_dir: Path, repo: Path, *categories: str) -> int:
    return main(["--spec", str(spec_dir), "import", str(repo), *(argument for category in categories for argument in ("--category", category))])


def draft(spec_dir: Path, file: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((spec_dir / file).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = samples_repo(tmp_path_factory.mktemp("kis"), "FHKST95200000")
    spec_dir = spec_without_imports(tmp_path_factory.mktemp("spec"))
    assert import_(spec_dir, repo, "domestic_stock_quotations", "domestic_stock_analysis") == 0
    return spec_dir


def test_labels_are_kis_names_and_the_rest_is_the_description(imported: Path) -> None:
    request = draft(imported, QUOTATIONS)["operations"]["closing"]["request"]
    assert request["FID_COND_MRKT_DIV_CODE"]["label"] == "조건시장분류코드"
    assert request["FID_COND_MRKT_DIV_CODE"]["description"] == "ex. J:주식"
    assert request["FID_BLNG_CLS_CODE"]["label"] == "소속구분코드" and request["FID_BLNG_CLS_CODE"]["required"] is True
    assert request["FID_INPUT_PRICE_1"]["description"] == "공란: 전체"


def test_no_argument_kis_does_not_need(imported: Path) -> None:
    op = load_spec(imported).operation("domestic_stock.closing")
    needed = [field.wire for field in op.parameters if not field.has_default]
    assert needed == ["FID_COND_MRKT_DIV_CODE", "FID_BLNG_CLS_CODE"]  # KIS's example sends the prices blank; ISCD_2 is optional
    assert {field.wire: field.default for field in op.fields if field.wire != "FID_COND_MRKT_DIV_CODE" and field.wire != "FID_BLNG_CLS_CODE"} == {"FID_INPUT_PRICE_1": "", "FID_INPUT_PRICE_2": "", "FID_INPUT_ISCD_2": ""}


def test_each_draft_has_its_own_code_tables(imported: Path, tmp_path: Path) -> None:
    quotations, analysis = draft(imported, QUOTATIONS), draft(imported, ANALYSIS)
    closing_table = quotations["operations"]["closing"]["request"]["FID_BLNG_CLS_CODE"]["codes"]
    trend_table = analysis["operations"]["trend"]["request"]["FID_BLNG_CLS_CODE"]["codes"]
    assert closing_table in quotations["codes"] and trend_table in analysis["codes"]  # the same codes, defined in each file
    assert closing_table != trend_table and "closing" not in trend_table
    # One category imported again alone names its table the same way, never after the other's API.
    again = spec_without_imports(tmp_path)
    (again / "imported").mkdir()
    shutil.copy(imported / QUOTATIONS, again / QUOTATIONS)
    repo = samples_repo(tmp_path / "kis", "FHKST95200000")
    assert import_(again, repo, "domestic_stock_analysis") == 0
    assert "closing" not in draft(again, ANALYSIS)["operations"]["trend"]["request"]["FID_BLNG_CLS_CODE"]["codes"]


def test_a_repeated_column_labels_the_later_output(imported: Path) -> None:
    outputs = draft(imported, QUOTATIONS)["operations"]["closing"]["response"]["outputs"]
    assert outputs["output1"]["fields"]["futs_antc_cnpr"]["label"] == "업종 지수 현재가"  # as KIS's first entry says
    assert outputs["output2"]["fields"]["futs_antc_cnpr"]["label"] == "선물예상체결가"  # its second entry


def test_a_failing_category_is_skipped_and_the_others_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # trend sends a TR_ID the curated spec already uses for another API: its draft cannot build.
    repo = samples_repo(tmp_path / "kis", "FHKST01010100")
    spec_dir = spec_without_imports(tmp_path)
    assert import_(spec_dir, repo, "domestic_stock_quotations", "domestic_stock_analysis") == 2
    err = capsys.readouterr().err
    assert "kisgen import: skipped the category of imported/domestic_stock_analysis.yaml, nothing of it written:" in err
    assert "FHKST01010100 is used twice" in err
    assert (spec_dir / QUOTATIONS).is_file() and not (spec_dir / ANALYSIS).exists()
    assert load_spec(spec_dir).operation("domestic_stock.closing").summary == "테스트 장마감 예상체결가"
