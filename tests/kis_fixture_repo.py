"""A git repository in the shape of KIS's open-trading-api, built from tests/fixtures/kis_samples.

Two commits: the first has the overseas order's mock US sell TR_ID as VTTT1006U in its comments
(as KIS's sample had before 2026-07-09), the second has VTTT1001U there while the code still
derives VTTT1006U (the comment-vs-code change KIS made).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "kis_samples"
PORTAL = Path(__file__).resolve().parent / "fixtures" / "kis_samples_portal.json"
WORLD_ORDER = "examples_llm/fixture_trading/world_order/world_order.py"
# What the second commit changes: the inline comment and the docstring, not the code.
CORRECTION = (("US sell, mock VTTT1006U", "US sell, mock VTTT1001U"), ("mock VTTT1006U(US sell)", "mock VTTT1001U(US sell)"))


def git(repo: Path, *args: str, date: str = "2026-07-08T10:00:00+09:00") -> str:
    environment = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,  # no signing or hooks from the machine's own config
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "kisgen tests",
        "GIT_AUTHOR_EMAIL": "tests@kisgen.invalid",
        "GIT_COMMITTER_NAME": "kisgen tests",
        "GIT_COMMITTER_EMAIL": "tests@kisgen.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=environment)
    return result.stdout.strip()


def build(directory: Path) -> Path:
    """The fixture repository, committed twice; returns its working checkout."""
    repo = directory / "open-trading-api"
    shutil.copytree(FIXTURE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "samples")
    commit_edits(repo, WORLD_ORDER, CORRECTION, "해외주식 주문 모의TR 업데이트", date="2026-07-09T10:00:00+09:00")
    return repo


def commit_edits(repo: Path, file: str, edits: tuple[tuple[str, str], ...], message: str, date: str = "2026-07-10T10:00:00+09:00") -> None:
    """One more commit, replacing text in one file of the repository (each old text must be there)."""
    path = repo / file
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", message, date=date)
