"""load → validate → model → render: the stages every command shares."""

from __future__ import annotations

from pathlib import Path

from generator.errors import SpecError
from generator.load import load_dir_partly
from generator.model import Spec, build_model
from generator.render import ROOT, render
from generator.validate import schema_problems


def load_spec(spec_dir: Path | None = None) -> Spec:
    directory = spec_dir if spec_dir is not None else ROOT / "spec"
    files, problems = load_dir_partly(directory, display_root=directory.parent)
    if problems:
        # A file that does not load must not hide the schema problems of the others.
        raise SpecError(problems + [problem for spec_file in files for problem in schema_problems(spec_file)])
    return build_model(files)


def render_spec(spec_dir: Path | None = None) -> dict[str, bytes]:
    return render(load_spec(spec_dir))
