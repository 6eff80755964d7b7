"""Broken specs: every case gets its exact error, exit status 2, no traceback, nothing written.

Each case in tests/bad_specs/ is one spec file applied on top of a copy of the generator's
fixture spec (tests/fixtures/spec). By default it is added as spec/<case>.yaml; a first line
``# as: NAME.yaml`` places it as spec/NAME.yaml instead (replacing the fixture's file of that
name). Beside each case, ``<case>.expected`` holds the exact stderr of ``kisgen validate``.
Cases too big or too odd to commit (a huge file, deep nesting, special files) are built by
``GENERATED`` below. The CLI runs in-process (its ``main()``, as the ``kisgen`` script does).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kisgen.cli import main
from kisgen.errors import SpecError
from kisgen.load import MAX_FILE_BYTES, JsonPath, SpecFile, load_dir, load_text
from kisgen.builder import build_model
from tests.conftest import FIXTURE_SPEC, REPO, new_project

CASES = Path(__file__).resolve().parent / "bad_specs"
SOURCE = "source:\n  document: hostile spec case\n  date: 2026-11-25\n"


def _huge(spec: Path) -> None:
    # Five times the limit, as valid YAML: the size check must come before parsing.
    with (spec / "huge.yaml").open("w", encoding="utf-8") as handle:
        handle.write(SOURCE)
        for index in range(5 * MAX_FILE_BYTES // 40):
            handle.write(f"key_{index:08}: {'x' * 24}\n")


def _deep_nesting(spec: Path) -> None:
    (spec / "deep_nesting.yaml").write_text(SOURCE + "note: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")


def _file_name_injection(spec: Path) -> None:
    # The file name reaches the header comment of every generated module.
    (spec / "x\nimport os\nos.system('touch kisgen_pwned')\n#.yaml").write_text(SOURCE, encoding="utf-8")


def _directory_named_yaml(spec: Path) -> None:
    (spec / "directory_named_yaml.yaml").mkdir()


def _dangling_symlink(spec: Path) -> None:
    (spec / "dangling_symlink.yaml").symlink_to(spec / "nowhere" / "missing.yaml")


def _device_symlink(spec: Path) -> None:
    (spec / "device_symlink.yaml").symlink_to("/dev/zero")


def _fifo(spec: Path) -> None:
    os.mkfifo(spec / "fifo.yaml")


GENERATED: dict[str, Callable[[Path], None]] = {
    "huge": _huge,
    "deep_nesting": _deep_nesting,
    "file_name_injection": _file_name_injection,
    "directory_named_yaml": _directory_named_yaml,
    "dangling_symlink": _dangling_symlink,
    "device_symlink": _device_symlink,
    "fifo": _fifo,
}
COMMITTED = sorted(path.stem for path in CASES.glob("*.yaml"))
ALL_CASES = sorted(COMMITTED + list(GENERATED))


def build_spec(tmp_path: Path, case: str) -> Path:
    """A copy of the fixture spec with the case applied."""
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURE_SPEC, spec)
    if case in GENERATED:
        GENERATED[case](spec)
        return spec
    raw = (CASES / f"{case}.yaml").read_bytes()
    first_line = raw.split(b"\n", 1)[0]
    name = f"{case}.yaml"
    if first_line.startswith(b"# as: "):
        name = first_line.removeprefix(b"# as: ").decode("ascii").strip()
    (spec / name).write_bytes(raw)
    return spec


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and directory under root, with a hash of each file's bytes."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        digest[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return digest


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def kisgen(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`kisgen ARGS` in-process: its exit status and what it printed."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Run(code, out, err)


def earlier_output(root: Path) -> None:
    """A generated tree and docs from an earlier run, which a failed run must leave alone."""
    (root / "generated" / "kis_client").mkdir(parents=True)
    (root / "generated" / "kis_client" / "__init__.py").write_text("# generated earlier\n", encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "API.md").write_text("# API (generated earlier)\n", encoding="utf-8")


def expected_output(case: str) -> str:
    return (CASES / f"{case}.expected").read_text(encoding="utf-8")


def test_corpus_is_complete() -> None:
    assert len(ALL_CASES) >= 40
    expected = sorted(path.stem for path in CASES.glob("*.expected"))
    assert expected == ALL_CASES, "every case needs a .expected file and every .expected a case"


@pytest.mark.parametrize("case", ALL_CASES)
def test_bad_spec_is_reported_exactly(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = build_spec(tmp_path, case)
    root = new_project(tmp_path / "root")
    earlier_output(root)
    before = tree_digest(root)

    validate = kisgen(capsys, "--spec", str(spec), "validate")
    generate = kisgen(capsys, "--spec", str(spec), "--root", str(root), "generate")

    for result in (validate, generate):
        assert result.code == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
    assert validate.stderr == expected_output(case)  # the spec is given: no project needed
    assert generate.stderr == f"kisgen: project {root}\n" + expected_output(case)
    assert tree_digest(root) == before
    assert not (tmp_path / "kisgen_pwned").exists()


def test_every_problem_line_names_file_line_and_field() -> None:
    # The first lines of each .expected: `spec/FILE.yaml:LINE: path: message` (path may be
    # empty for problems of the file as a whole, e.g. YAML syntax).
    for case in ALL_CASES:
        *problems, summary = expected_output(case).splitlines()
        assert summary == f"{len(problems)} problem(s); nothing was written", case
        for line in problems:
            file, number, rest = line.split(":", 2)
            assert file.startswith("spec/") and number.isdigit() and int(number) >= 1, (case, line)
            assert rest.startswith(" ") and rest.strip(), (case, line)


def test_the_fixture_spec_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    # The cases are meaningful only if the spec they are applied to is itself valid.
    result = kisgen(capsys, "--spec", str(FIXTURE_SPEC), "validate")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("spec OK: ")


def test_unwritable_root_is_reported_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_project(tmp_path / "root")
    (root / "generated").write_text("a file where generated/ should be\n")
    result = kisgen(capsys, "--root", str(root), "generate")
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == f"kisgen: project {root}\nkisgen: {root}/generated: Not a directory\n"
    assert (root / "generated").read_text() == "a file where generated/ should be\n"


def test_missing_spec_directory_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = kisgen(capsys, "--spec", str(tmp_path / "nowhere"), "--root", str(tmp_path / "root"), "validate")
    assert result.code == 2
    assert result.stderr == f"{tmp_path / 'nowhere'}:1: no *.yaml spec files here\n1 problem(s); nothing was written\n"


@pytest.mark.parametrize("path", ["../outside.py", "generated/kis_client/../../outside.py", "generated/other/x.py", "/etc/passwd", "docs/../x", "spec/common.yaml"])
def test_writer_refuses_paths_outside_generated_and_docs(path: str, tmp_path: Path) -> None:
    from kisgen.write import write_files

    with pytest.raises(ValueError, match="refusing to write"):
        write_files({"generated/kis_client/x.py": b"", path: b"x"}, tmp_path / "root")
    assert not (tmp_path / "root").exists()


def test_rendered_paths_stay_inside_generated_and_docs() -> None:
    from kisgen.pipeline import render_spec
    from kisgen.layout import WRITABLE

    assert all(name.startswith(WRITABLE) and ".." not in name.split("/") for name in render_spec(FIXTURE_SPEC, REPO / "templates"))


# -- fuzzing: whatever the bytes or the values, a SpecError or a model, never another exception

YAML_BITS = ["a: b\n", "- x\n", "  ", "\t", ":", "&a ", "*a", "!!int ", "!!python/object ", "<<: ", "{", "}", "[", "]", "'", '"', "\\", "---\n", "...\n", "#", "? ", "%YAML 1.1\n", "\n", "é", "\x00", "\ufeff"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.lists(st.sampled_from(YAML_BITS), max_size=30).map(lambda bits: "".join(bits).encode("utf-8", "surrogatepass"))))
def test_any_bytes_load_or_raise_spec_error(raw: bytes) -> None:
    try:
        load_text("spec/fuzz.yaml", raw)
    except SpecError as error:
        assert error.problems and all("\n" not in str(problem) for problem in error.problems)


FIXTURE_FILES = load_dir(FIXTURE_SPEC)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "x", "TTTC0012U", "buy", "US", "NASD", "00", "^$", "(", "real", "mock", "list", "int", "output"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["buy", "sell", "US", "x", "label", "name", "when", "then"]), inner, max_size=3), max_leaves=6)


def _paths(value: object, path: JsonPath = ()) -> list[JsonPath]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, path + (index,))
    return found


DELETE = object()


def _replaced(data: object, path: JsonPath, new: object, rename: str | None = None) -> object:
    """``data`` with the value at ``path`` replaced by ``new`` (or removed, or its key renamed)."""
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        result = {}
        for key, child in data.items():
            if key != head:
                result[key] = child
            elif rest:
                result[key] = _replaced(child, rest, new, rename)
            elif rename is not None:
                result[rename] = child
            elif new is not DELETE:
                result[key] = new
        return result
    assert isinstance(data, list)
    if not rest and new is DELETE:
        return [child for index, child in enumerate(data) if index != head]
    return [(_replaced(child, rest, new, rename) if rest else new) if index == head else child for index, child in enumerate(data)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_value_anywhere_gives_spec_error_or_model(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(FIXTURE_FILES) - 1))
    target = FIXTURE_FILES[index]
    path = data.draw(st.sampled_from(_paths(target.data)[1:]))
    how = data.draw(st.sampled_from(["replace", "delete", "rename"]))
    new = data.draw(VALUES) if how == "replace" else DELETE
    rename = data.draw(st.sampled_from(["buy", "sell", "US", "UK", "PDNO", "ORD_DVSN", "x", "env", "side", "market", "period", "ord_dvsn", "token"])) if how == "rename" else None
    files = list(FIXTURE_FILES)
    files[index] = SpecFile(target.name, _replaced(target.data, path, new, rename), target.lines)
    try:
        build_model(files)
    except SpecError as error:
        assert error.problems



def test_rules_on_different_exchanges_of_one_field_do_not_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `market: [US]` and `OVRS_EXCG_CD: [SEHK]` cannot hold together: SEHK is in HK.
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURE_SPEC, spec)
    overseas = spec / "overseas_stock.yaml"
    text = overseas.read_text(encoding="utf-8")
    rule = "      - id: mock_limit_only\n"
    extra = (
        "      - id: sehk_phone\n        text: 홍콩 연락처\n        when: {OVRS_EXCG_CD: [SEHK]}\n        then: {CTAC_TLNO: {equals: \"1\"}}\n"
        "      - id: us_phone\n        text: 미국 연락처\n        when: {market: [US]}\n        then: {CTAC_TLNO: {equals: \"2\"}}\n"
    )
    overseas.write_text(text.replace(rule, extra + rule, 1), encoding="utf-8")
    result = kisgen(capsys, "--spec", str(spec), "validate")
    assert result.code == 0, result.stderr
    overseas.write_text(text.replace(rule, extra.replace("[SEHK]", "[NASD]") + rule, 1), encoding="utf-8")
    result = kisgen(capsys, "--spec", str(spec), "validate")
    assert result.code == 2
    assert "rules 'sehk_phone' and 'us_phone' can apply to the same request, and no CTAC_TLNO satisfies both" in result.stderr


def test_every_schema_pattern_is_explained_in_words() -> None:
    # A pattern without words shows the raw regex to the spec's author.
    import json
    from kisgen.validate import PATTERN_MEANINGS

    def patterns(node: object) -> set[str]:
        if isinstance(node, dict):
            found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
            return found.union(*(patterns(child) for child in node.values()))
        if isinstance(node, list):
            return set().union(*(patterns(child) for child in node))
        return set()

    schema = json.loads((REPO / "generator" / "spec.schema.json").read_text(encoding="utf-8"))
    assert patterns(schema) - set(PATTERN_MEANINGS) == set()
