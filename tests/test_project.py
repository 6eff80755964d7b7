"""Which project kisgen acts on: the one found from the current directory upward (as git finds
its repository), named on standard error; --root and --spec override; a clear error when there
is none. Run as the installed `kisgen` command, from checkouts other than the one it was
installed from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kisgen.project import ProjectNotFoundError, find_project, project_at
from tests.conftest import FIXTURE_SPEC, REPO, fixture_render, write_render

KISGEN = Path(sys.executable).parent / "kisgen"
NOT_FOUND = "a directory with spec/ and templates/client.py.j2"


def kisgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KISGEN), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A second checkout: its own spec (the fixture spec), templates, and generated/ and docs/
    up to date."""
    root = tmp_path / "second"
    shutil.copytree(FIXTURE_SPEC, root / "spec")
    shutil.copytree(REPO / "templates", root / "templates")
    write_render(root, fixture_render())
    return root


def test_the_nearest_project_upward_is_found(checkout: Path) -> None:
    inner = checkout / "spec" / "deeper"
    inner.mkdir()
    assert find_project(inner).root == checkout
    assert find_project(checkout).spec == checkout / "spec" and find_project(checkout).templates == checkout / "templates"


def test_a_directory_without_the_marks_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "templates").mkdir()  # a spec/ and a templates/ are not enough: client.py.j2 is kisgen's
    with pytest.raises(ProjectNotFoundError) as raised:
        find_project(tmp_path)
    assert str(raised.value).startswith(f"no kisgen project in {tmp_path} or above it ({NOT_FOUND})")
    with pytest.raises(ProjectNotFoundError, match="is not a kisgen project"):
        project_at(tmp_path)


def test_check_and_generate_act_on_the_checkout_they_run_in(checkout: Path) -> None:
    clean = kisgen(checkout, "check")
    assert (clean.returncode, clean.stderr) == (0, f"kisgen: project {checkout}\n"), clean.stdout + clean.stderr
    path = checkout / "spec" / "overseas_stock.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("real: TTTS3012R", "real: TTTS3099R"), encoding="utf-8")
    stale = kisgen(checkout / "spec", "check")  # from a subdirectory too
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "generated/kis_client/tr_ids.py (differs)" in stale.stdout
    repo_before = (REPO / "generated" / "kis_client" / "tr_ids.py").read_bytes()
    assert kisgen(checkout, "generate").returncode == 0
    assert b"TTTS3099R" in (checkout / "generated" / "kis_client" / "tr_ids.py").read_bytes()
    assert (REPO / "generated" / "kis_client" / "tr_ids.py").read_bytes() == repo_before


def test_the_checkout_s_templates_are_used(checkout: Path) -> None:
    template = checkout / "templates" / "tr_ids.py.j2"
    template.write_text(template.read_text(encoding="utf-8").replace('"""', '"""Second checkout. ', 1), encoding="utf-8")
    stale = kisgen(checkout, "check")
    assert stale.returncode == 1 and "generated/kis_client/tr_ids.py (differs)" in stale.stdout


def test_root_and_spec_override(checkout: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_root = kisgen(elsewhere, "--root", str(checkout), "check")
    assert (by_root.returncode, by_root.stderr) == (0, f"kisgen: project {checkout}\n")
    spec = tmp_path / "other_spec"
    shutil.copytree(checkout / "spec", spec)
    (spec / "markets.yaml").write_text((spec / "markets.yaml").read_text(encoding="utf-8").replace("label: 나스닥,", "label: 나스닥 (B),"), encoding="utf-8")
    by_spec = kisgen(checkout, "--spec", str(spec), "check")
    assert by_spec.returncode == 1 and "docs/API.md (differs)" in by_spec.stdout
    # A spec given needs no project for validate.
    assert kisgen(elsewhere, "--spec", str(spec), "validate").returncode == 0


def test_no_project_is_a_clear_error(tmp_path: Path) -> None:
    for command in ("check", "generate", "validate", "docs"):
        result = kisgen(tmp_path, command)
        assert result.returncode == 2
        assert result.stderr == (
            f"kisgen: no kisgen project in {tmp_path} or above it ({NOT_FOUND}); run kisgen inside a checkout of kisgen, or name one with --root\n"
        )
    assert not any(tmp_path.iterdir())
    named = kisgen(tmp_path, "--root", str(tmp_path), "check")
    assert (named.returncode, named.stderr) == (2, f"kisgen: {tmp_path} is not a kisgen project ({NOT_FOUND})\n")


def test_standard_output_stays_clean(checkout: Path) -> None:
    exported = kisgen(checkout, "export", "openapi")
    assert exported.returncode == 0 and exported.stderr == f"kisgen: project {checkout}\n"
    assert json.loads(exported.stdout)["openapi"] == "3.1.0"
