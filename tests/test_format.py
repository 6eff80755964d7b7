"""The black stage: chunked and cached formatting gives exactly what black gives whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import black
import pytest

import kisgen.format as fmt
import kisgen.render as render
from kisgen.layout import PACKAGE
from kisgen.literals import doc
from kisgen.pipeline import load_spec
from tests.conftest import FIXTURE_SPEC, REPO, fixture_render, new_project

MODE = black.Mode(line_length=fmt.LINE_LENGTH, target_versions={black.mode.TargetVersion.PY311})


@pytest.fixture(scope="module")
def unformatted() -> dict[str, str]:
    """Every module the fixture spec emits as the templates render it, before black."""
    captured: dict[str, str] = {}

    def capture(modules: dict[str, str]) -> dict[str, str]:
        captured.update(modules)
        return modules

    original = render.format_modules
    render.format_modules = capture  # type: ignore[assignment]
    try:
        render.render(load_spec(FIXTURE_SPEC), REPO / "templates")
    finally:
        render.format_modules = original
    return captured


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KISGEN_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def cold_run(unformatted: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """The modules formatted once from an empty cache, and the cache that run left (black runs
    for seconds on a cold cache, so the tests below share this one run)."""
    cache = tmp_path_factory.mktemp("black-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KISGEN_CACHE_DIR", str(cache))
        formatted = fmt.format_modules(unformatted)
    assert (cache / "black-chunks.json").is_file()
    return formatted, cache


@pytest.fixture
def warm_cache(cold_run: tuple[dict[str, str], Path], cache: Path) -> Path:
    """A copy of the cold run's cache, as this test's cache."""
    shutil.copy(cold_run[1] / "black-chunks.json", cache / "black-chunks.json")
    return cache


def test_chunked_formatting_is_black_on_the_whole_module(unformatted: dict[str, str], cold_run: tuple[dict[str, str], Path]) -> None:
    formatted, _ = cold_run
    for name, text in unformatted.items():
        assert formatted[name] == black.format_str(text, mode=MODE), name


def test_modules_are_cut_before_top_level_definitions_only(unformatted: dict[str, str]) -> None:
    pieces = fmt.chunks(unformatted["domestic_stock/enums.py"])
    assert len(pieces) > 20
    assert all(piece.lstrip().startswith(("def ", "class ", "@")) for piece in pieces[1:])
    assert "".join(pieces).split() == unformatted["domestic_stock/enums.py"].split()


def test_a_warm_cache_never_runs_black(unformatted: dict[str, str], cold_run: tuple[dict[str, str], Path], warm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(chunk: str) -> str:
        raise AssertionError("black ran although every chunk was cached")

    monkeypatch.setattr(fmt, "_black", refuse)
    assert fmt.format_modules(unformatted) == cold_run[0]


def test_an_edit_reformats_only_the_chunks_it_changed(unformatted: dict[str, str], warm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    formatted: list[str] = []
    real = fmt._black

    def counting(chunk: str) -> str:
        formatted.append(chunk)
        return real(chunk)

    monkeypatch.setattr(fmt, "_black", counting)
    edited = dict(unformatted, **{"tr_ids.py": unformatted["tr_ids.py"].replace("TTTC0012U", "TTTC0099U")})
    result = fmt.format_modules(edited)
    assert len(formatted) == 1 and "TTTC0099U" in formatted[0]
    assert result["tr_ids.py"] == black.format_str(edited["tr_ids.py"], mode=MODE)


def test_a_large_spec_stays_warm_beside_another(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keeps a run's chunks and room for twice as many of others': two specs larger
    than CACHE_LIMIT rendered in turn (spec/ and a test's, or two checkouts) stay warm."""
    monkeypatch.setattr(fmt, "CACHE_LIMIT", 3)
    first = {f"a{n}.py": f"def a{n}():\n    return {n}\n" for n in range(5)}
    second = {f"b{n}.py": f"def b{n}():\n    return {n}\n" for n in range(5)}
    fmt.format_modules(first)
    fmt.format_modules(second)

    def refuse(chunk: str) -> str:
        raise AssertionError("black ran although the chunk was cached")

    monkeypatch.setattr(fmt, "_black", refuse)
    assert fmt.format_modules(first)["a0.py"] == "def a0():\n    return 0\n"
    assert fmt.format_modules(second)["b4.py"] == "def b4():\n    return 4\n"


def test_an_unwritable_cache_only_costs_time(unformatted: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("KISGEN_CACHE_DIR", str(blocker / "cache"))
    small = {"enums.py": unformatted["domestic_stock/enums.py"]}
    assert fmt.format_modules(small)["enums.py"] == black.format_str(small["enums.py"], mode=MODE)


def test_a_cold_cli_run_formats_in_parallel_and_matches_the_cached_render(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = new_project(tmp_path / "root")
    env = dict(os.environ, KISGEN_CACHE_DIR=str(tmp_path / "cold-cache"))
    result = subprocess.run([sys.executable, "-m", "kisgen", "generate"], env=env, capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr
    python = {name: content for name, content in fixture_render().items() if name.endswith(".py")}
    assert len(python) >= 8
    for name, content in python.items():
        assert (root / name).read_bytes() == content, name


DOCSTRINGS = ["", "plain", " leading and trailing ", "''''\"", '"quoted"', "it's", "both ' and \"", "ends in \\", "\\\\", "\t tab\n new line", "\u3000wide\xa0", "'", '"']


@pytest.mark.parametrize("value", DOCSTRINGS)
def test_a_docstring_comes_back_exactly_after_black(value: str) -> None:
    # black strips docstrings and pads one that starts or ends with its quote or a backslash.
    source = f"def f() -> None:\n    {doc(value)}\n"
    formatted = fmt._black(source)
    namespace: dict[str, object] = {}
    exec(formatted, namespace)
    assert namespace["f"].__doc__ == value  # type: ignore[attr-defined]
    assert formatted == source  # already in black's style: one pass
