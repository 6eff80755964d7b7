"""kis_samples: KIS's sample repository read from git, parsed and never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from kisgen.kis_samples import Condition, SampleApi, Samples, SampleSourceError, read_sample, read_samples
from tests import kis_fixture_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kis_fixture_repo.build(tmp_path_factory.mktemp("kis"))


@pytest.fixture(scope="module")
def head(repo: Path) -> Samples:
    return read_samples(str(repo))


def api(samples: Samples, name: str) -> SampleApi:
    return next(item for item in samples.apis if item.name == name)


def test_each_revision_is_read_from_git(repo: Path, head: Samples) -> None:
    before = read_samples(f"{repo}@HEAD~1")
    assert head.revision == kis_fixture_repo.git(repo, "rev-parse", "HEAD")
    assert before.revision == kis_fixture_repo.git(repo, "rev-parse", "HEAD~1")
    assert (before.date, head.date) == ("2026-07-08", "2026-07-09")
    sell = lambda samples: next(c for c in api(samples, "world_order").choices if c.real == "TTTT1006U")  # noqa: E731
    assert sell(before).comment_mocks == ("VTTT1006U",)
    assert sell(head).comment_mocks == ("VTTT1001U",)


def test_a_bare_repository_reads_like_its_checkout(repo: Path, head: Samples, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    kis_fixture_repo.git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    assert read_samples(str(bare)).apis == head.apis
    assert read_samples(f"{bare}@HEAD~1").apis == read_samples(f"{repo}@HEAD~1").apis


def test_uncommitted_edits_in_a_checkout_are_not_read(repo: Path, head: Samples, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    kis_fixture_repo.git(tmp_path, "clone", "-q", str(repo), str(clone))
    path = clone / kis_fixture_repo.WORLD_ORDER
    path.write_text(path.read_text(encoding="utf-8").replace("TTTT1002U", "TTTT9999U"), encoding="utf-8")
    assert read_samples(str(clone)).apis == head.apis


@pytest.mark.parametrize("where", ["{repo}@no-such-rev", "{repo}@--output=/tmp/x", "{repo}/missing", "{repo}@HEAD;rm -rf /"])
def test_a_bad_path_or_revision_is_a_clear_error(repo: Path, where: str) -> None:
    with pytest.raises(SampleSourceError):
        read_samples(where.format(repo=repo))


def test_side_chain_with_explicit_mock_branches(head: Samples) -> None:
    order = api(head, "place_order")
    assert (order.menu, order.title, order.api_id, order.method) == ("[국내주식] 주문/계좌", "주식주문(현금)", "v1_국내주식-001", "POST")
    rows = {(c.when, c.real, c.mock, c.mock_how) for c in order.choices}
    assert rows == {
        ((Condition("ord_dv", ("sell",)),), "TTTC0011U", "VTTC0011U", "code"),
        ((Condition("ord_dv", ("buy",)),), "TTTC0012U", "VTTC0012U", "code"),
    }


def test_side_and_market_chain_derived_in_the_sample(head: Samples) -> None:
    order = api(head, "world_order")
    assert len(order.choices) == 12  # the `if not cano: raise` before the chain selects nothing
    us_sell = next(c for c in order.choices if c.real == "TTTT1006U")
    assert us_sell.when == (Condition("ord_dv", ("sell",)), Condition("ovrs_excg_cd", ("NASD", "NYSE", "AMEX")))
    assert (us_sell.mock, us_sell.mock_how) == ("VTTT1006U", "sample_rule")
    # the inline comment and the docstring's "VTTT1001U(US sell)" next to "TTTT1006U(US sell)"
    assert [(c.mock, c.at.line) for c in us_sell.comments] == [("VTTT1001U", 48), ("VTTT1001U", 25)]
    japan = next(c for c in order.choices if c.real == "TTTS0307U")
    assert japan.comments == ()


def test_period_chain(head: Samples) -> None:
    rows = {(c.when[0].values, c.real, c.mock) for c in api(head, "period_orders").choices}
    assert rows == {(("before",), "CTSC9912R", "VTSC9912R"), (("inner",), "TTTC9911R", "VTTC9911R")}


def test_the_transport_rule_and_comment_only_mock_tr_ids(head: Samples) -> None:
    rule = head.transport_rule
    assert (rule.letters, rule.replacement, str(rule.at)) == (("T", "J", "C"), "V", "examples_llm/kis_auth.py:4")
    buy = next(c for c in api(head, "credit_order").choices if c.real == "TTTC9921U")
    assert (buy.mock, buy.mock_how, buy.comment_mocks) == ("VTTC9921U", "transport_rule", ("VTTC9921U",))
    board = api(head, "quote_board").choices[0]
    assert (board.real, board.mock, board.mock_how) == ("FHKST99010000", "FHKST99010000", "unchanged")


def test_request_fields(head: Samples) -> None:
    board = api(head, "quote_board")
    market = board.field("FID_COND_MRKT_DIV_CODE")
    assert market is not None
    assert (market.label, market.required, market.allowed, market.example) == ("조건 시장 분류 코드", True, ("J", "NX"), "J")
    assert market.description == "[필수] 조건 시장 분류 코드 (ex. J:KRX, NX:NXT)"
    screen = board.field("FID_COND_SCR_DIV_CODE")
    assert screen is not None and screen.allowed == ("11",)
    date = board.field("FID_INPUT_DATE_1")
    assert date is not None and (date.required, date.default) == (None, "")
    constant = board.field("FID_ETC_CLS_CODE")
    assert constant is not None and (constant.parameter, constant.constant) == (None, "")
    rank = api(head, "rank_list")
    required = {item.wire: (item.required, item.from_mcp) for item in rank.fields}
    # signature comments say 필수 / 선택; the MCP configuration speaks where the sample is silent
    assert required == {"FID_INPUT_ISCD": (True, False), "FID_RANK_SORT_CLS_CODE": (False, False), "FID_VOL_CNT": (False, True)}


def test_outputs_and_their_shapes(head: Samples) -> None:
    assert [(o.key, o.shape) for o in api(head, "quote_board").outputs] == [("output1", "object"), ("output2", "list")]
    assert [(o.key, o.shape) for o in api(head, "world_order").outputs] == [("output", "either")]
    assert [(o.key, o.shape) for o in api(head, "credit_order").outputs] == [("output", "object")]


def test_paging(head: Samples) -> None:
    holdings = api(head, "holdings")
    assert holdings.paging is not None
    assert holdings.paging.request == (("CTX_AREA_FK100", "ctx_area_fk100"), ("CTX_AREA_NK100", "ctx_area_nk100"))
    rank = api(head, "rank_list")
    assert (rank.paging, rank.pages_without_keys) == (None, True)


def test_column_mapping(head: Samples) -> None:
    board = api(head, "quote_board")
    assert board.columns[:2] == (("hts_kor_isnm", "HTS 한글 종목명"), ("stck_prpr", "주식 현재가"))
    assert [label for wire, label in board.columns if wire == "stck_prpr"] == ["주식 현재가", "주식 현재가"]  # each entry of a key written twice: its later output's label
    assert api(head, "holdings").numeric == ("보유수량",)


def test_realtime_samples_are_listed_apart(head: Samples) -> None:
    assert [(r.name, r.tr_ids) for r in head.realtime] == [("live_tick", ("H0TEST90",))]
    assert "live_tick" not in {item.name for item in head.apis}


def test_malformed_and_hostile_files_are_problems_never_run(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    samples = read_samples(str(repo))
    assert not (tmp_path / "kisgen_pwned").exists()
    problems = [str(problem) for problem in samples.problems]
    assert "examples_llm/fixture_info/broken_syntax/broken_syntax.py:9: Python this reader cannot parse ('{' was never closed); file skipped" in problems
    assert "examples_llm/fixture_info/hostile/hostile.py:21: tr_id set from an expression this reader does not follow: pick_tr_id(ord_dv)" in problems
    assert "examples_llm/fixture_info/hostile/hostile.py:24: a params key that is not a string literal; skipped" in problems
    hostile = api(samples, "hostile")
    assert [item.wire for item in hostile.fields] == ["FID_INPUT_ISCD"]
    assert hostile.choices == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"x = " + b"(" * 5000 + b")" * 5000 + b"\n", "examples_llm/c/deep/deep.py:1: "),
        (b'API_URL = "/x"\n# \xff\xfe\n', "examples_llm/c/deep/deep.py:2: not UTF-8 (byte 0xff); file skipped"),
        (b"def deep(:\n", "examples_llm/c/deep/deep.py:1: Python this reader cannot parse"),
        (b'API_URL = "/uapi/x"\n', "examples_llm/c/deep/deep.py:1: no function deep() in the file; skipped"),
    ],
)
def test_files_the_reader_cannot_read(raw: bytes, message: str) -> None:
    problems: list = []
    assert read_sample("examples_llm/c/deep/deep.py", raw, None, None, None, problems) is None
    assert len(problems) == 1 and str(problems[0]).startswith(message)


def test_a_file_too_big_to_be_a_sample_is_never_read(tmp_path: Path) -> None:
    from kisgen.kis_samples import MAX_FILE_BYTES

    repo = tmp_path / "repo"
    (repo / "examples_llm" / "c" / "big").mkdir(parents=True)
    (repo / "examples_llm" / "c" / "big" / "big.py").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    (repo / "examples_llm" / "c" / "small").mkdir()
    (repo / "examples_llm" / "c" / "small" / "small.py").write_text('API_URL = "/uapi/x"\n\n\ndef small():\n    pass\n', encoding="utf-8")
    kis_fixture_repo.git(repo, "init", "-q")
    kis_fixture_repo.git(repo, "add", "-A")
    kis_fixture_repo.git(repo, "commit", "-q", "-m", "big")
    samples = read_samples(str(repo))
    assert [str(problem) for problem in samples.problems] == [
        f"examples_llm/c/big/big.py:1: larger than {MAX_FILE_BYTES} bytes; not read",
        "examples_llm/kis_auth.py:1: no mock TR_ID rule found here; assuming KIS's T, J, C → V",  # no kis_auth.py in this one
    ]
    assert [item.name for item in samples.apis] == ["small"]


def test_a_repository_without_samples_is_refused(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not KIS\n", encoding="utf-8")
    kis_fixture_repo.git(tmp_path, "init", "-q")
    kis_fixture_repo.git(tmp_path, "add", "-A")
    kis_fixture_repo.git(tmp_path, "commit", "-q", "-m", "x")
    with pytest.raises(SampleSourceError, match="no examples_llm/<category>/<api>/<api>.py"):
        read_samples(str(tmp_path))
