"""Where kisgen keeps what only saves time (black's formatted chunks, compiled templates, specs
that passed the schema): ``$KISGEN_CACHE_DIR``, or ``$XDG_CACHE_HOME/kisgen``, default
``~/.cache/kisgen``. Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    configured = os.environ.get("KISGEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kisgen"
