"""The spec loader: plain values with the line of each, and YAML features a spec must not use
(duplicate keys, aliases, merge keys, tags) reported with their line, never obeyed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kisgen.errors import Problem, SpecError
from kisgen.load import load_dir, load_text


def refused(text: str | bytes) -> list[str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(SpecError) as raised:
        load_text("spec/x.yaml", raw)
    return [str(problem) for problem in raised.value.problems]


def test_values_are_plain_and_every_path_has_its_line() -> None:
    loaded = load_text("spec/x.yaml", b"source:\n  date: 2026-02-21\nops:\n  - name: a\n    n: 1\n  - {name: b, flag: true}\n")
    assert loaded.data == {"source": {"date": "2026-02-21"}, "ops": [{"name": "a", "n": 1}, {"name": "b", "flag": True}]}
    assert type(loaded.data["source"]["date"]) is str  # a date stays the text it was written as
    assert loaded.lines[("source", "date")] == 2
    assert loaded.lines[("ops", 1, "flag")] == 6
    assert loaded.line_of(("ops", 0, "n")) == 5
    assert loaded.line_of(("ops", 0, "missing", "deeper")) == 4  # nearest ancestor that has a line


def test_duplicate_key_names_both_lines() -> None:
    assert refused("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n") == ["spec/x.yaml:5: b.c: duplicate key 'c' (first defined on line 3)"]


def test_every_duplicate_is_reported_at_once() -> None:
    assert refused("a: 1\na: 2\nb: 1\nb: 2\n") == [
        "spec/x.yaml:2: a: duplicate key 'a' (first defined on line 1)",
        "spec/x.yaml:4: b: duplicate key 'b' (first defined on line 3)",
    ]


def test_alias_is_refused() -> None:
    assert refused("a: &shared {x: 1}\nb: *shared\n") == ["spec/x.yaml:2: b: aliases (*name) are not allowed in a spec; write the value out"]


def test_alias_in_a_list_and_an_undefined_alias_are_refused_on_their_own_lines() -> None:
    assert refused("a: &x 1\nb:\n  - 2\n  - *x\nc: *nowhere\n") == [
        "spec/x.yaml:4: b.1: aliases (*name) are not allowed in a spec; write the value out",
        "spec/x.yaml:5: c: aliases (*name) are not allowed in a spec; write the value out",
    ]


def test_an_anchor_used_many_times_is_one_problem() -> None:
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b, *a]\n"
    assert refused(bomb) == [
        "spec/x.yaml:2: b.0: aliases (*name) are not allowed in a spec; write the value out",
        "spec/x.yaml:3: c.0: aliases (*name) are not allowed in a spec; write the value out",
    ]


def test_merge_key_is_refused() -> None:
    problems = refused("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n")
    assert "spec/x.yaml:3: child: merge keys (<<) are not allowed in a spec" in problems


@pytest.mark.parametrize(
    ("text", "line", "tag"),
    [
        ("a: !!python/object:os.system x\n", 1, "tag:yaml.org,2002:python/object:os.system"),
        ("a: 1\nb: !custom x\n", 2, "!custom"),
        ("a:\n  b: !!binary aGVsbG8=\n", 2, "tag:yaml.org,2002:binary"),
        ("a: !!set {x: null}\n", 1, "tag:yaml.org,2002:set"),
    ],
)
def test_tags_are_refused(text: str, line: int, tag: str) -> None:
    (problem,) = refused(text)
    assert problem.startswith(f"spec/x.yaml:{line}: ")
    assert f"tag {tag!r} is not allowed" in problem


def test_non_string_key_is_refused() -> None:
    assert refused("codes:\n  01: x\n  true: y\n") == [
        "spec/x.yaml:2: codes: key '01' must be a string; quote it",
        "spec/x.yaml:3: codes: key 'true' must be a string; quote it",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: 1\n\tb: 2\n", "spec/x.yaml:2: tab character; indent with spaces"),
        (b"a: 1\nb: \xff\n", "spec/x.yaml:2: not UTF-8: byte 0xff at offset 8"),
        (b"", "spec/x.yaml:1: file is empty; a spec file is a mapping with at least `source`"),
        (b"a: 1\n---\nb: 2\n", "spec/x.yaml:2: only one YAML document per spec file"),
        (b"- a\n- b\n", "spec/x.yaml:1: the top level must be a mapping"),
    ],
)
def test_unreadable_files_get_one_line_each(raw: bytes, expected: str) -> None:
    assert refused(raw) == [expected]


def test_control_character_is_a_problem_not_a_traceback() -> None:
    (problem,) = refused(b"a: 1\nb: x\x07y\n")
    assert problem.startswith("spec/x.yaml:") and "0007" in problem


def test_syntax_error_has_its_line() -> None:
    (problem,) = refused("a: 1\nb: [1, 2\nc: 3\n")
    assert problem.startswith("spec/x.yaml:3: YAML syntax error: ")


def test_problem_reads_file_line_path_message() -> None:
    assert str(Problem("spec/a.yaml", 7, "operations.x.method", "bad")) == "spec/a.yaml:7: operations.x.method: bad"
    assert str(Problem("spec/a.yaml", 1, "", "bad")) == "spec/a.yaml:1: bad"


def test_load_dir_reports_problems_of_every_file(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "a.yaml").write_text("x: 1\nx: 2\n", encoding="utf-8")
    (spec / "b.yaml").write_text("y: &z 1\nw: *z\n", encoding="utf-8")
    (spec / "c.yaml").write_text("fine: 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_dir(spec)
    assert [str(p) for p in raised.value.problems] == [
        "spec/a.yaml:2: x: duplicate key 'x' (first defined on line 1)",
        "spec/b.yaml:2: w: aliases (*name) are not allowed in a spec; write the value out",
    ]


def test_load_dir_without_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no \\*.yaml spec files here"):
        load_dir(tmp_path)
