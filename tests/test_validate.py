"""Spec files against the spec language's JSON Schema: every problem, one a line, as
``spec/FILE.yaml:LINE: path.to.field: message``; `kisgen validate` exits 0 clean, 2 on errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kisgen.cli import main
from kisgen.load import load_text
from kisgen.validate import schema_problems, spec_schema
from tests.conftest import FIXTURE_SPEC, REPO, repo_spec


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(FIXTURE_SPEC, target)
    return target


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` (which must occur exactly once) replaced: an edit that misses fails here."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(name: str, text: str) -> int:
    """The line of the fixture spec's file ``name`` on which ``text`` (once there) starts."""
    content = (FIXTURE_SPEC / name).read_text(encoding="utf-8")
    assert content.count(text) == 1, text
    return content[: content.index(text)].count("\n") + 1


READ_KIND = "    path: /uapi/domestic-stock/v1/trading/inquire-balance\n    kind: read\n"


def edited(name: str, old: str, new: str) -> tuple[list[str], int]:
    """Schema problems of one spec file after replacing ``old`` (once) by ``new``; and its line."""
    text = (FIXTURE_SPEC / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    line = text[: text.index(old)].count("\n") + 1
    spec_file = load_text(f"spec/{name}", text.replace(old, new).encode("utf-8"))
    return [str(problem) for problem in schema_problems(spec_file)], line


def test_the_spec_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(spec_schema())
    assert spec_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", sorted((REPO / "spec").glob("*.yaml")), ids=lambda p: p.name)
def test_committed_spec_files_have_no_schema_problem(path: Path) -> None:
    assert schema_problems(load_text(f"spec/{path.name}", path.read_bytes())) == []


def test_enum_violation_names_file_line_path_and_choices() -> None:
    problems, line = edited("domestic_stock.yaml", "    method: POST\n    path: /uapi/domestic-stock/v1/trading/order-cash", "    method: PUT\n    path: /uapi/domestic-stock/v1/trading/order-cash")
    assert problems == [f"spec/domestic_stock.yaml:{line}: operations.order_cash.method: 'PUT' is not one of 'GET', 'POST'"]


def test_unknown_key_names_itself_and_what_is_allowed() -> None:
    old = 'ORD_QTY: {label: 주문수량, required: true, pattern: "^[1-9][0-9]*$", max_length: 10, example: "1"}'
    problems, line = edited("domestic_stock.yaml", old, old.replace("required: true", "required: true, colour: red"))
    (problem,) = problems
    assert problem.startswith(f"spec/domestic_stock.yaml:{line}: operations.order_cash.request.ORD_QTY.colour: unknown key 'colour'; allowed: ")
    assert "label" in problem and "pattern" in problem


def test_missing_required_key() -> None:
    old = 'ORD_QTY: {label: 주문수량, required: true, pattern: "^[1-9][0-9]*$", max_length: 10, example: "1"}'
    problems, line = edited("domestic_stock.yaml", old, 'ORD_QTY: {required: true, pattern: "^[1-9][0-9]*$", max_length: 10, example: "1"}')
    assert problems == [f"spec/domestic_stock.yaml:{line}: operations.order_cash.request.ORD_QTY: 'label' is required"]


def test_bad_tr_id_format() -> None:
    problems, line = edited("overseas_stock.yaml", "real: TTTS3012R", "real: ttts3012r")
    (problem,) = problems
    assert problem.startswith(f"spec/overseas_stock.yaml:{line}: operations.inquire_balance.tr_id.real: 'ttts3012r' ")


def test_every_problem_of_a_file_at_once() -> None:
    text = (FIXTURE_SPEC / "markets.yaml").read_text(encoding="utf-8")
    text = replace_once(text, "natn_cd: \"840\"", "natn_cd: 840")
    text = replace_once(text, "NYSE: {label: 뉴욕, market: US,", "NYSE: {label: 뉴욕, market: US, colour: red,")
    problems = [str(problem) for problem in schema_problems(load_text("spec/markets.yaml", text.encode("utf-8")))]
    assert len(problems) == 2
    assert problems[0].startswith(f"spec/markets.yaml:{line_of('markets.yaml', 'US: {')}: markets.US.natn_cd: ")
    assert problems[1].startswith(f"spec/markets.yaml:{line_of('markets.yaml', 'NYSE: {')}: exchanges.NYSE.colour: unknown key 'colour'")


def test_cli_validate_clean_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    spec = repo_spec()
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == f"spec OK: {len(spec.operations)} operations in {len(spec.sources)} files\n"


def test_cli_validate_reports_every_problem_one_a_line_and_exits_2(spec_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    domestic = spec_copy / "domestic_stock.yaml"
    domestic.write_text(replace_once(domestic.read_text(encoding="utf-8"), READ_KIND, READ_KIND.replace("read", "query")), encoding="utf-8")
    markets = spec_copy / "markets.yaml"
    markets.write_text(replace_once(markets.read_text(encoding="utf-8"), "TKSE: {label: 일본, market: JP,", "TKSE: {label: 일본,"), encoding="utf-8")
    assert main(["--spec", str(spec_copy), "validate"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "2 problem(s); nothing was written"
    assert err[0] == f"spec/domestic_stock.yaml:{line_of('domestic_stock.yaml', READ_KIND) + 1}: operations.inquire_balance.kind: 'query' is not one of 'order', 'read', 'auth'"
    assert err[1] == f"spec/markets.yaml:{line_of('markets.yaml', 'TKSE: {')}: exchanges.TKSE: 'market' is required"
    assert not any("Traceback" in line for line in err)


def test_a_file_that_does_not_load_does_not_hide_the_others(spec_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markets = spec_copy / "markets.yaml"
    markets.write_text(markets.read_text(encoding="utf-8") + "markets: {}\n", encoding="utf-8")
    domestic = spec_copy / "domestic_stock.yaml"
    domestic.write_text(replace_once(domestic.read_text(encoding="utf-8"), READ_KIND, READ_KIND.replace("read", "query")), encoding="utf-8")
    assert main(["--spec", str(spec_copy), "validate"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"spec/domestic_stock.yaml:{line_of('domestic_stock.yaml', READ_KIND) + 1}: operations.inquire_balance.kind: 'query' is not one of 'order', 'read', 'auth'",
        f"spec/markets.yaml:{len(markets.read_text(encoding='utf-8').splitlines())}: markets: duplicate key 'markets' (first defined on line {line_of('markets.yaml', 'markets:')})",
        "2 problem(s); nothing was written",
    ]


def test_a_file_that_passed_is_not_validated_again_until_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kisgen.validate as validate
    from kisgen.load import load_text

    monkeypatch.setenv("KISGEN_CACHE_DIR", str(tmp_path / "cache"))
    raw = (FIXTURE_SPEC / "markets.yaml").read_bytes()
    assert validate.schema_problems(load_text("spec/markets.yaml", raw)) == []
    calls: list[str] = []
    real = validate._schema_problems
    monkeypatch.setattr(validate, "_schema_problems", lambda spec_file: calls.append(spec_file.name) or real(spec_file))
    assert validate.schema_problems(load_text("spec/markets.yaml", raw)) == []
    assert calls == []  # the same bytes passed before
    broken = raw.replace(b"currency: USD", b"currency: dollars")
    problems = validate.schema_problems(load_text("spec/markets.yaml", broken))
    assert calls == ["spec/markets.yaml"] and any("currency" in problem.path for problem in problems)
    assert validate.schema_problems(load_text("spec/markets.yaml", broken))  # a failure is never remembered
