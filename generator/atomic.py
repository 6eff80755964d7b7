"""One file written whole or not at all: a reader sees the old content or the new, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` beside ``path``, then rename it over ``path``."""
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.new-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
