"""Two `kisgen generate` runs at once on one root leave exactly one of their renders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kisgen.pipeline import render_spec
from kisgen.layout import PACKAGE
from tests.conftest import FIXTURE_SPEC, REPO, fixture_render, new_project, write_render

ROUNDS = 3


def on_disk(root: Path) -> dict[str, bytes]:
    """Every file a render writes (generated/ and docs/) except the lock, by repository-relative path."""
    found: dict[str, bytes] = {}
    for path in sorted([*(root / "generated").rglob("*"), *(root / "docs").rglob("*")]):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative != "generated/.kisgen.lock" and "__pycache__" not in path.parts:
            found[relative] = path.read_bytes()
    return found


def variant_spec(tmp_path: Path) -> Path:
    """The fixture spec with one label changed, so the two renders differ in one module."""
    spec = tmp_path / "spec_b"
    shutil.copytree(FIXTURE_SPEC, spec)
    markets = spec / "markets.yaml"
    markets.write_text(markets.read_text(encoding="utf-8").replace("label: 나스닥,", "label: 나스닥 (B),"), encoding="utf-8")
    return spec


def generate(spec: Path, root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kisgen", "--spec", str(spec), "--root", str(root), "generate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_generates_leave_one_whole_render(tmp_path: Path) -> None:
    spec_a, spec_b = FIXTURE_SPEC, variant_spec(tmp_path)
    render_a, render_b = dict(fixture_render()), render_spec(spec_b, REPO / "templates")
    # Both the package and the docs differ, so a package from one run with docs from the other shows.
    assert {name for name in render_a if render_a[name] != render_b[name]} >= {"generated/kis_client/enums.py", "docs/API.md"}
    root = new_project(tmp_path / "root")
    write_render(root, render_a)
    for round_number in range(ROUNDS):
        # Alternate who starts first, so each round some process has something to write.
        order = [(spec_a, "a"), (spec_b, "b")] if round_number % 2 else [(spec_b, "b"), (spec_a, "a")]
        processes = [generate(spec, root) for spec, _ in order]
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 0, stderr
        tree = on_disk(root)
        assert tree in (render_a, render_b), "generated/ is a mix of the two renders, or has strays"
        leftovers = [path.name for path in (root / PACKAGE).parent.iterdir() if path.name.startswith(".kis_client.")]
        assert leftovers == []


def test_staging_left_by_a_killed_run_is_cleared(tmp_path: Path) -> None:
    root = new_project(tmp_path / "root")
    write_render(root, fixture_render())
    for stray in (".kis_client.new-killed", ".kis_client.old-killed"):
        (root / "generated" / stray / "schemas").mkdir(parents=True)
        (root / "generated" / stray / "client.py").write_text("half written")
    process = generate(FIXTURE_SPEC, root)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert on_disk(root) == fixture_render()
