"""load → validate → model → render: the stages every command shares.

Without directories given, the spec and the templates are those of the project found from the
current directory upward (generator.project).
"""

from __future__ import annotations

from pathlib import Path

from .builder import build_model
from .corrections import awaiting_drafts
from .errors import SpecError
from .load import load_dir_partly
from .model import Spec
from .project import find_project
from .render import render
from .validate import schema_problems


def load_spec(spec_dir: Path | None = None, *, before_import: bool = False) -> Spec:
    """The spec's model; ``before_import``: leave out the corrections of categories not imported
    yet (`kisgen import` reads the spec before it writes their first drafts)."""
    directory = spec_dir if spec_dir is not None else find_project().spec
    files, problems = load_dir_partly(directory, display_root=directory.parent)
    if problems:
        # A file that does not load must not hide the schema problems of the others.
        raise SpecError(problems + [problem for spec_file in files for problem in schema_problems(spec_file)])
    return build_model(awaiting_drafts(files) if before_import else files)


def render_spec(spec_dir: Path | None = None, templates: Path | None = None) -> dict[str, bytes]:
    spec = load_spec(spec_dir)
    return render(spec, templates if templates is not None else find_project().templates)
