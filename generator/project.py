"""Which kisgen project a command acts on.

A kisgen project is a directory holding ``spec/`` and ``templates/client.py.j2``: the spec, the
templates it is rendered with, and ``generated/`` and ``docs/`` written beside them. Like git,
black and ruff, kisgen uses the one it finds from the current directory upward, so a second
checkout (a fork, a pull request's branch) is generated and checked from its own files whatever
checkout kisgen was installed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SPEC_DIR = "spec"
TEMPLATES_DIR = "templates"
MARKER = f"{TEMPLATES_DIR}/client.py.j2"
WHAT_MARKS_ONE = f"a directory with {SPEC_DIR}/ and {MARKER}"


class ProjectNotFoundError(Exception):
    """No kisgen project where one was looked for; the message says where and what to do."""


@dataclass(frozen=True, slots=True)
class Project:
    root: Path

    @property
    def spec(self) -> Path:
        return self.root / SPEC_DIR

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES_DIR


def is_project(directory: Path) -> bool:
    return (directory / SPEC_DIR).is_dir() and (directory / MARKER).is_file()


def project_at(root: Path) -> Project:
    """The project rooted at ``root`` (``--root``), which must be one."""
    root = root.resolve()
    if not is_project(root):
        raise ProjectNotFoundError(f"{root} is not a kisgen project ({WHAT_MARKS_ONE})")
    return Project(root)


def find_project(start: Path | None = None) -> Project:
    """The nearest project at or above ``start`` (default: the current directory)."""
    start = (start or Path.cwd()).resolve()
    for directory in (start, *start.parents):
        if is_project(directory):
            return Project(directory)
    raise ProjectNotFoundError(
        f"no kisgen project in {start} or above it ({WHAT_MARKS_ONE}); run kisgen inside a checkout of kisgen, or name one with --root"
    )
