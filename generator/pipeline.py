"""load → validate → model → render: the stages every command shares."""

from __future__ import annotations

from pathlib import Path

from generator.load import load_dir
from generator.model import Spec, build_model
from generator.render import ROOT, render


def load_spec(spec_dir: Path | None = None) -> Spec:
    directory = spec_dir if spec_dir is not None else ROOT / "spec"
    return build_model(load_dir(directory, display_root=directory.parent))


def render_spec(spec_dir: Path | None = None) -> dict[str, bytes]:
    return render(load_spec(spec_dir))
