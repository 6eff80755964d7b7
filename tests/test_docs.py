"""docs/API.md: every fact in the tables of KIS's reference document, and the newer facts with their source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.cli import main
from generator.export import DOCS_FILE
from generator.pipeline import render_spec
from tests.conftest import new_project
from tests.markdown_tables import Table, cells, tables

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "fixtures" / "kis-open-api-reference.md"
DOCS = ROOT / DOCS_FILE
US_SELL_SOURCE = "KIS API portal 2026-05-29"


def plain(cell: str) -> str:
    return cell.replace("*", "").replace("`", "").strip()


SEED = tables(REFERENCE.read_text(encoding="utf-8"))
DOC = tables(DOCS.read_text(encoding="utf-8"))


def tr_rows() -> list[tuple[Table, tuple[str, ...]]]:
    """Every TR_ID row of docs/API.md (label, real, mock, mock origin) with its table."""
    return [(table, row) for table in DOC if table.header[1:3] == ("실전 TR_ID", "모의 TR_ID") for row in table.rows]


def doc_tr_row(real: str) -> tuple[Table, tuple[str, ...]]:
    matches = [(table, row) for table, row in tr_rows() if plain(row[1]) == real]
    assert len(matches) == 1, f"{real}: {len(matches)} rows in {DOCS_FILE}"
    return matches[0]


@dataclass
class Seen:
    rows: int = 0
    updated: list[str] | None = None

    def __post_init__(self) -> None:
        self.updated = []


def check_tr(seen: Seen, seed: Table, label: str, real: str, mock: str) -> None:
    table, row = doc_tr_row(real)
    assert seen.updated is not None
    words = re.sub(r"[\s/()]", "", label.split(" (")[0])  # "" where the heading names it: the endpoint check covers it
    assert words in re.sub(r"[\s/()]", "", row[0] + table.heading), (label, row)
    if seed.caption:
        assert table.caption == seed.caption, (seed.caption, table.caption)
    if table.endpoint != seed.endpoint:
        seen.updated.append(f"endpoint of {real}")
        assert table.endpoint == "POST /uapi/domestic-stock/v1/trading/order-rvsecncl"
        assert "source: KIS facts 2026-11" in DOCS.read_text(encoding="utf-8").split(table.heading, 1)[1].split("|", 1)[0]
    if plain(row[2]) != mock:
        seen.updated.append(f"mock of {real}: {mock} → {plain(row[2])}")
        assert row[3].startswith("override: ") and US_SELL_SOURCE in row[3], row
    else:
        assert row[3] == "mock rule", row


def check_seed_table(seen: Seen, seed: Table) -> None:
    header = tuple(plain(cell) for cell in seed.header)
    seen.rows += len(seed.rows)
    if header == ("환경", "URL"):
        for env, url in seed.rows:
            assert any(row[0].startswith(env) and plain(row[1]) == plain(url) for table in DOC for row in table.rows if table.header[:2] == ("환경", "URL")), (env, url)
    elif header[1:] == ("실전 TR_ID", "모의 TR_ID") or header[1:] == ("실전", "모의"):
        for label, real, mock in seed.rows:
            check_tr(seen, seed, plain(label), plain(real), plain(mock))
    elif header == ("환경", "TR_ID"):
        by_env = {plain(env): plain(tr_id) for env, tr_id in seed.rows}
        check_tr(seen, seed, "", by_env["실전"], by_env["모의"])
    elif header == ("파라미터", "설명", "예시"):
        fields = [table for table in DOC if table.endpoint == seed.endpoint and table.header[0] == "파라미터"]
        assert len(fields) == 1, seed.heading
        by_wire = {plain(row[0]): row for row in fields[0].rows}
        for wire, _description, example in seed.rows:
            row = by_wire[plain(wire)]
            for value in re.findall(r"`([^`]*)`", example):
                assert f"`{value}`" in " ".join(row) or f"{value}`" in " ".join(row), (wire, value, row)
    elif header == ("코드", "시장", "비고"):
        exchanges = next(table for table in DOC if table.header[:2] == ("코드", "시장"))
        by_code = {plain(row[0]): row for row in exchanges.rows}
        for code, market, note in seed.rows:
            row = by_code[plain(code)]
            assert (row[1], row[3]) == (market, note), row
    else:
        pytest.fail(f"a table of the reference document this test does not read: {header}")


def test_docs_hold_every_fact_of_the_reference_tables() -> None:
    seen = Seen()
    for seed in SEED:
        check_seed_table(seen, seed)
    assert seen.rows == sum(len(table.rows) for table in SEED) == 50
    # Only what kis-facts.md changed differs, each shown with its source.
    assert seen.updated == ["endpoint of TTTC0013U", "mock of TTTT1006U: VTTT1006U → VTTT1001U"]


def test_us_sell_mock_row_shows_the_new_value_and_its_source() -> None:
    table, row = doc_tr_row("TTTT1006U")
    assert table.caption == "매도 TR_ID"
    assert row[0].startswith("미국 (NASD/NYSE/AMEX)")
    assert plain(row[2]) == "VTTT1001U"
    assert US_SELL_SOURCE in row[3] and "KIS API workbook 2026-09-11" in row[3]


def test_docs_file_is_what_the_spec_renders() -> None:
    assert DOCS.read_bytes() == render_spec()[DOCS_FILE]


def test_docs_command_writes_only_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_project(tmp_path / "project")
    before = {p for p in root.rglob("*") if p.is_file()}
    assert main(["--root", str(root), "docs"]) == 0
    assert (root / DOCS_FILE).read_bytes() == DOCS.read_bytes()
    written = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p not in before]
    assert sorted(written) == [DOCS_FILE, "generated/.kisgen.lock"]  # the lock every write takes
    assert DOCS_FILE in capsys.readouterr().out


def test_markdown_cells_escape_pipes() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert r"`^(0\|[1-9][0-9]*)$`" in text  # ORD_UNPR's pattern, inside a table cell
    rows = [line for line in text.splitlines() if line.startswith("| `ORD_UNPR`")]
    assert rows and all(len(cells(row)) == 7 for row in rows)
