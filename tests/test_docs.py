"""docs/API.md: every fact in the tables of KIS's reference document, and the newer facts with their source."""

from __future__ import annotations

import importlib
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kisgen.cli import main
from kisgen.layout import AREA_DOCS_DIR, DOCS_FILE
from tests.conftest import fixture_render, new_project, repo_render, repo_spec
from tests.markdown_tables import Table, cells, tables

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "fixtures" / "kis-open-api-reference.md"
DOCS = ROOT / DOCS_FILE  # the index; each area's operations are on a page of docs/api/
PAGES = sorted((ROOT / AREA_DOCS_DIR).glob("*.md"))
ALL_TEXT = "\n".join(path.read_text(encoding="utf-8") for path in [DOCS, *PAGES])
US_SELL_SOURCE = "KIS API portal 2026-05-29"


def plain(cell: str) -> str:
    return cell.replace("*", "").replace("`", "").strip()


SEED = tables(REFERENCE.read_text(encoding="utf-8"))
DOC = tables(ALL_TEXT)


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
        assert "source: KIS facts 2026-11" in ALL_TEXT.split(table.heading, 1)[1].split("|", 1)[0]
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
    rendered = repo_render()
    assert DOCS.read_bytes() == rendered[DOCS_FILE]
    pages = {name: content for name, content in rendered.items() if name.startswith(AREA_DOCS_DIR + "/")}
    assert pages == {path.relative_to(ROOT).as_posix(): path.read_bytes() for path in PAGES}
    assert [path.stem for path in PAGES] == sorted([area.name for area in repo_spec().areas] + ["realtime"])  # and the real-time feed's


def test_docs_command_writes_only_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_project(tmp_path / "project")
    before = {p for p in root.rglob("*") if p.is_file()}
    assert main(["--root", str(root), "docs"]) == 0
    docs = {name: content for name, content in fixture_render().items() if name == DOCS_FILE or name.startswith(AREA_DOCS_DIR + "/")}
    assert {name: (root / name).read_bytes() for name in docs} == docs
    written = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p not in before]
    assert sorted(written) == sorted([*docs, "generated/.kisgen.lock"])  # the lock every write takes
    assert DOCS_FILE in capsys.readouterr().out


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, without punctuation or symbols, spaces as -."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_the_index_lists_every_operation_with_its_name_api_id_and_section() -> None:
    index = [table for table in tables(DOCS.read_text(encoding="utf-8")) if table.header == ("operation", "이름", "API ID", "endpoint")]
    rows = {plain(row[0]).split("]")[0].lstrip("["): row for table in index for row in table.rows}
    assert sorted(rows) == sorted(op.qualname for op in SPEC.operations)
    for op in SPEC.operations:
        row = rows[op.qualname]
        assert row[1] == op.summary and plain(row[2]) == (op.api_id or "") and row[3] == f"{op.method} `{op.path}`"
        page, _, anchor = row[0].split("](", 1)[1].rstrip(")").partition("#")
        assert page == f"api/{op.area}.md"
        headings = [line.lstrip("# ") for line in (DOCS.parent / page).read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
        assert anchor in [github_anchor(heading) for heading in headings], (op.qualname, anchor)


def test_markdown_cells_escape_pipes() -> None:
    text = ALL_TEXT
    assert r"`^(0\|[1-9][0-9]*)$`" in text  # ORD_UNPR's pattern, inside a table cell
    rows = [line for line in text.splitlines() if line.startswith("| `ORD_UNPR`")]
    assert rows and all(len(cells(row)) == 8 for row in rows)


# -- what a Python user looks up --------------------------------------------------------------

SPEC = repo_spec()


def section(heading: str) -> list[Table]:
    return [table for table in DOC if table.heading == heading]


def test_every_table_row_has_its_header_s_cells() -> None:
    for table in DOC:
        assert all(len(row) == len(table.header) for row in table.rows), (table.heading, table.header)


def client_type(annotation: str) -> str:
    """A generated annotation as the docs write it: the client imports datetime.time as dtime."""
    return "`" + re.sub(r"\bdtime\b", "time", annotation) + "`"


def test_response_fields_have_their_korean_label_and_the_client_s_python_type() -> None:
    always_sent = 0
    for op in SPEC.operations:
        heading = next(table.heading for table in DOC if table.endpoint == f"{op.method} {op.path}")
        tables = [table for table in section(heading) if table.header == ("필드", "Python", "설명", "타입")]
        assert len(tables) == len(op.response.outputs)
        module = importlib.import_module(f"kis_client.{op.area}.{op.name}")
        attributes = getattr(module, op.response.class_name).__annotations__
        for output, table in zip(op.response.outputs, tables):
            assert len(table.rows) == len(output.fields)
            annotations = getattr(module, output.class_name).__annotations__
            shape = "(a tuple of rows)" if output.is_list else ""
            assert f"→ `.{output.name}`: {client_type(attributes[output.name])} {shape}".strip() in ALL_TEXT
            for field, row in zip(output.fields, table.rows):
                assert row[0] == " / ".join(f"`{name}`" for name in (field.wire, *field.aliases))
                assert row[1] == f"`{field.py_name}`"
                assert row[2].startswith(field.label)
                inferred = " (inferred: a value that does not fit stays in `extra`)" if field.kind_inferred and field.kind != "text" else ""
                assert row[3] == client_type(annotations[field.py_name]) + inferred
                always_sent += field.always_sent
        assert f"**Response:** `{op.response.class_name}`" in ALL_TEXT
    assert always_sent > 0  # some fields are typed without None, and the docs say so


def test_code_parameters_name_their_enum_and_every_member() -> None:
    checked = 0
    for op in SPEC.operations:
        heading = next(table.heading for table in DOC if table.endpoint == f"{op.method} {op.path}")
        rows = {plain(row[0]): row for table in section(heading) if table.header[:2] == ("파라미터", "Python") for row in table.rows}
        for field in op.fields:
            if field.codes is None:
                continue
            table = SPEC.code_table(field.codes)
            accepts = rows[field.wire][4]
            assert accepts.startswith(f"[`{table.class_name}`](../API.md#{table.class_name.lower()})")  # its section of the index
            assert all(f"`{table.class_name}.{c.name}` `\"{c.value}\"` {c.label}" in accepts for c in table.codes), accepts
            checked += 1
    assert checked >= 40
    # The user's two guesses from issue 17.
    def parameter(qualname: str, wire: str) -> tuple[str, ...]:
        op = SPEC.operation(qualname)
        heading = next(table.heading for table in DOC if table.endpoint == f"{op.method} {op.path}")
        return next(row for table in section(heading) if table.header[:2] == ("파라미터", "Python") for row in table.rows if plain(row[0]) == wire)

    qty_all = parameter("domestic_stock.order_rvsecncl", "QTY_ALL_ORD_YN")
    assert qty_all[4].startswith("[`YesNo`](../API.md#yesno)")
    tr_mket = next(row for table in DOC if table.header[:2] == ("파라미터", "Python") for row in table.rows if plain(row[0]) == "TR_MKET_CD")
    assert "`TrMketCd.M01`" in tr_mket[4]


def test_every_enum_is_listed_and_its_members_carry_their_labels() -> None:
    from kis_client import enums

    listed = {table.heading: table for table in DOC if table.header == ("member", "code", "뜻")}
    for code_table in SPEC.code_tables:
        rows = listed[code_table.class_name].rows
        assert [(row[0], row[2]) for row in rows] == [(f"`{c.name}`", c.label) for c in code_table.codes]
        enum = getattr(enums, code_table.class_name)
        assert [(member.name, member.value, member.label) for member in enum] == [(c.name, c.value, c.label) for c in code_table.codes]
    assert enums.OrdDvsn.LIMIT.label == "지정가"


def test_the_error_tables_list_every_exception_and_every_sandbox_code() -> None:
    import kis_client
    from kisgen.sandbox.errors import CODES

    (raised,) = [table for table in DOC if table.header == ("exception", "is a", "when", "what to do")]
    by_name = {plain(row[0]): row for row in raised.rows}
    exported = {name for name in kis_client.__all__ if isinstance(getattr(kis_client, name), type) and issubclass(getattr(kis_client, name), kis_client.KisError)}
    assert exported and exported <= set(by_name)
    assert all(row[2] and row[3] for row in raised.rows), "every exception says when and what to do"
    (answered,) = [table for table in DOC if table.header == ("코드", "HTTP", "envelope", "when", "what to do")]
    assert [plain(row[0]) for row in answered.rows] == [code.code for code in CODES]
    assert all(row[4] for row in answered.rows)
    # A wrong app key or secret: 500 rt_cd on a TR, 403 error_code from tokenP and the other OAuth operations.
    rows = {plain(row[0]): row for row in answered.rows}
    assert [rows[code][1:3] for code in ("EGW00103", "EGW00105")] == [("500; OAuth: 403", "`rt_cd`; OAuth: `error_code`")] * 2
    assert rows["EGW00121"][1:3] == ("500", "`rt_cd`")
    # Every code the sandbox's source can answer is in its table.
    sandbox = ROOT / "generator" / "sandbox"
    used = {match for path in sandbox.glob("*.py") for match in re.findall(r'Rejection\("([A-Z0-9]+)"', path.read_text(encoding="utf-8"))}
    assert used and used <= {code.code for code in CODES}
    kis_codes = [table for table in DOC if table.header == ("코드", "메시지", "뜻")]
    assert [plain(row[0]) for row in kis_codes[0].rows] == [error.code for error in SPEC.errors]


def test_the_mock_section_says_what_to_do_instead() -> None:
    (instead,) = [table for table in DOC if table.header == ("real only", "on a mock account", "how")]
    real_only = [op for op in SPEC.operations if "mock" not in op.envs]
    assert [plain(row[0]) for row in instead.rows] == [op.qualname for op in real_only]
    with_advice = {plain(row[0]) for row in instead.rows if row[1] != "—"}
    assert {"domestic_stock.inquire_psbl_rvsecncl", "domestic_stock.inquire_psbl_sell", "overseas_stock.inquire_nccs"} <= with_advice
    assert with_advice == {op.qualname for op in real_only if op.mock_instead is not None}
    mock_ops = {op.qualname for op in SPEC.operations if "mock" in op.envs}
    for row in instead.rows:
        if plain(row[0]) in with_advice:
            assert plain(row[1]) in mock_ops and row[2]
        else:
            assert row[2] == "KIS offers no mock equivalent"
    (rules,) = [table for table in DOC if table.header == ("operation", "rule")]
    listed = {(plain(row[0]), row[1].split("`")[1]) for row in rules.rows}
    assert ("overseas_stock.inquire_ccnl", "mock_all_products") in listed  # PDNO "" on mock
    mock_only = {(op.qualname, rule.id) for op in SPEC.operations for rule in op.rules if any(c.subject == "env" and "real" not in c.values for c in rule.when)}
    assert listed == mock_only


def test_docs_render_without_the_sandbox_extra(tmp_path: Path) -> None:
    """The generator needs no starlette or uvicorn, though the docs list the sandbox's codes."""
    script = (
        "import sys; sys.modules['starlette'] = sys.modules['uvicorn'] = None\n"
        "from kisgen.pipeline import render_spec\n"
        f"print(len(render_spec()[{DOCS_FILE!r}]))"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(DOCS.read_bytes())


# -- the examples in the prose ----------------------------------------------------------------

PROSE = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
YAML_BLOCK = re.compile(r"^( *)```yaml\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)


def yaml_examples() -> list[tuple[str, str]]:
    """Every ```yaml block of the README and docs/, dedented (a block in a list item is indented)."""
    found = []
    for path in PROSE:
        text = path.read_text(encoding="utf-8")
        for match in YAML_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", textwrap.dedent(match.group(2))))
    return found


def test_the_readme_and_docs_have_yaml_examples() -> None:
    where = [place.split(":")[0] for place, _ in yaml_examples()]
    assert where.count("README.md") >= 3 and "docs/KIS_AUDIT.md" in where


@pytest.mark.parametrize(("place", "example"), yaml_examples(), ids=[place for place, _ in yaml_examples()])
def test_every_yaml_example_parses(place: str, example: str) -> None:
    assert isinstance(yaml.safe_load(example), (dict, list)), place
