"""Writing is all or nothing across the package, the client's pyproject.toml and docs/: a failure
while staging changes nothing, a failure while swapping puts back what was swapped, with or
without the system's exchange of two paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kisgen import write
from kisgen.write import write_files
from tests.conftest import fixture_render, new_project, write_render

KISGEN = Path(sys.executable).parent / "kisgen"


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return dict(fixture_render())


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under generated/ and docs/ (strays included), the lock aside."""
    found = {}
    for top in ("generated", "docs"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and path.name != ".kisgen.lock" and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project whose generated/ and docs/ are one render behind: every target has a change."""
    root = new_project(tmp_path / "project")
    write_render(root, fixture_render())
    for name in ("generated/kis_client/enums.py", "generated/pyproject.toml", "docs/API.md"):
        (root / name).write_bytes((root / name).read_bytes() + b"\n# older\n")
    return root


def test_everything_is_written_together(root: Path, files: dict[str, bytes]) -> None:
    changed = write_files(files, root)
    assert changed == ["docs/API.md", "generated/kis_client/enums.py", "generated/pyproject.toml"]
    assert snapshot(root) == {name: content for name, content in files.items()}


def test_a_docs_directory_that_cannot_be_written_changes_nothing(root: Path, files: dict[str, bytes]) -> None:
    shutil.rmtree(root / "docs")
    (root / "docs").write_text("a file where docs/ should be\n")
    before = snapshot(root)
    with pytest.raises(NotADirectoryError):
        write_files(files, root)
    assert snapshot(root) == before
    assert (root / "docs").read_text() == "a file where docs/ should be\n"


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_failed_docs_swap_puts_the_package_back(root: Path, files: dict[str, bytes], exchange: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(root)
    swap = write._swap

    def failing_on_docs(item: write._Swap) -> None:
        if item.target.name == "API.md":
            raise OSError(28, "No space left on device")
        swap(item)

    monkeypatch.setattr(write, "_swap", failing_on_docs)
    if not exchange:
        monkeypatch.setattr(write, "_exchange", lambda first, second: False)
    with pytest.raises(OSError, match="No space left"):
        write_files(files, root)
    assert snapshot(root) == before  # the package and pyproject.toml were swapped, then put back
    assert [path.name for path in (root / "generated").iterdir() if path.name.startswith(".") and path.name != ".kisgen.lock"] == []


def test_without_the_exchange_the_write_still_lands_whole(root: Path, files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "_exchange", lambda first, second: False)
    write_files(files, root)
    assert snapshot(root) == files
    assert sorted(path.name for path in root.glob("*/.*") if path.name != ".kisgen.lock") == []


def test_the_command_reports_an_unwritable_docs_directory(root: Path) -> None:
    shutil.rmtree(root / "docs")
    (root / "docs").write_text("a file where docs/ should be\n")
    before = snapshot(root)
    result = subprocess.run([str(KISGEN), "generate"], cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr == f"kisgen: project {root}\nkisgen: {root}/docs: Not a directory\n"
    assert snapshot(root) == before


def test_what_a_removed_area_leaves_behind_is_stale_and_goes(root: Path, files: dict[str, bytes]) -> None:
    """The package and docs/api/ are written whole: an area the spec no longer has leaves no page
    or module behind; docs/ pages kisgen does not write stay."""
    write_files(files, root)
    leftovers = ["generated/kis_client/old_area/api.py", "docs/api/old_area.md"]
    for name in leftovers:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("from an area the spec no longer has\n", encoding="utf-8")
    (root / "docs/NOTES.md").write_text("not kisgen's\n", encoding="utf-8")
    assert write.stale_files(files, root) == sorted(f"{name} (should not exist)" for name in leftovers)
    assert write_files(files, root) == sorted(leftovers)
    assert not any((root / name).exists() for name in leftovers)
    assert (root / "docs/NOTES.md").read_text(encoding="utf-8") == "not kisgen's\n"
