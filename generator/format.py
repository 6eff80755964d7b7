"""Black, once per top-level chunk, remembered by content.

Formatting the emitted modules is most of what `kisgen generate` costs. A module is split
before each top-level ``def``/``class`` (where black always puts exactly two blank lines),
each chunk is formatted once and cached under the hash of its text, and chunks not seen
before are formatted in parallel. A spec edit then re-formats only the chunks it changed.
Tests check that the joined result is what black makes of the whole module.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from .atomic import write_atomically
from .cache import cache_dir

LINE_LENGTH = 100
_TOP_LEVEL = re.compile(r"(?:async def|def|class)\b|@")
PARALLEL_FROM = 60_000  # characters to format before worker processes pay for themselves
CACHE_LIMIT = 1_500  # chunks kept at least, about 3 kB each; the whole file is read on every run
OTHERS_PER_RUN = 2  # and room for others' chunks, twice this run's: a spec of 3,000 chunks (275
# operations) and the specs rendered beside it (a test's, a sibling checkout's) stay warm together


def _mode() -> object:
    import black
    from black.mode import TargetVersion

    return black.Mode(line_length=LINE_LENGTH, target_versions={TargetVersion.PY311})


def _black(chunk: str) -> str:
    import black

    return black.format_str(chunk, mode=_mode())  # type: ignore[arg-type]


def chunks(text: str) -> list[str]:
    """``text`` cut before every top-level def/class/decorator that follows a blank line."""
    lines = text.splitlines(keepends=True)
    pieces: list[list[str]] = [[]]
    previous = ""  # the last non-blank line
    blank = False
    for line in lines:
        stripped = line.strip()
        starts = _TOP_LEVEL.match(line) is not None and not line[:1].isspace()
        if starts and blank and pieces[-1] and not previous.startswith(("#", "@")):
            pieces.append([])
        pieces[-1].append(line)
        if stripped:
            previous, blank = line, False
        else:
            blank = True
    # Without its trailing blank lines a chunk that is already black's output comes back
    # unchanged, and black then skips its second pass; _join puts the blank lines back.
    return [text.rstrip() + "\n" for text in map("".join, pieces) if text.strip()]


class _Cache:
    """Formatted chunks by content hash, in one JSON file; best effort, never an error."""

    def __init__(self) -> None:
        from importlib.metadata import version  # not importing black: a warm run never needs it

        self.salt = f"black {version('black')} {LINE_LENGTH} py311\n"
        self.path = cache_dir() / "black-chunks.json"
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, str] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}
        self.added = False

    def key(self, chunk: str) -> str:
        return hashlib.sha256((self.salt + chunk).encode("utf-8")).hexdigest()

    def save(self, used: Iterable[str]) -> None:
        """Write the cache if this run added to it, keeping what this run used last to go."""
        if not self.added:
            return
        recent = {key: self.entries[key] for key in used}
        older = [(key, value) for key, value in self.entries.items() if key not in recent]
        limit = max(CACHE_LIMIT, (1 + OTHERS_PER_RUN) * len(recent))
        entries = dict(older[max(0, len(older) + len(recent) - limit) :]) | recent
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(entries).encode("utf-8"))
        except OSError:
            pass  # a read-only home only makes the next run slower


def _format_all(pending: list[str]) -> list[str]:
    size = sum(map(len, pending))
    # Forking is safe only when this process runs no other thread (the CLI, not a test server).
    if size >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1), mp_context=context) as pool:
            return list(pool.map(_black, pending, chunksize=max(1, len(pending) // 16)))
    return [_black(chunk) for chunk in pending]


def format_modules(modules: dict[str, str]) -> dict[str, str]:
    """Every module black-formatted, as black formats it whole."""
    cache = _Cache()
    split = {name: chunks(text) for name, text in modules.items()}
    keys = {chunk: cache.key(chunk) for pieces in split.values() for chunk in pieces}
    pending = sorted({chunk for chunk, key in keys.items() if key not in cache.entries})
    for chunk, formatted in zip(pending, _format_all(pending)):
        cache.entries[keys[chunk]] = formatted
        cache.added = True
    cache.save(keys.values())
    return {name: _join(cache.entries[keys[chunk]] for chunk in pieces) for name, pieces in split.items()}


def _join(formatted: Iterable[str]) -> str:
    return "\n\n".join(piece.rstrip("\n") + "\n" for piece in formatted)
