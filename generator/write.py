"""Write the rendered files all or nothing, or compare them with what is on disk.

Everything is staged first beside its target (the package and docs/api/ as directories, every
other file on its own); only then is each target swapped in by rename, under a lock. A failure while staging
(an unwritable docs/, a full disk) changes nothing; a failure while swapping puts back what was
already swapped. Two runs at once never leave a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .layout import DOCS_DIR, OWNED_DIRS, PACKAGE, WRITABLE

IGNORED_DIRS = {"__pycache__"}


def _directory(path: Path) -> Path:
    """``path`` as an existing directory (made if missing); a file there is an error that says so."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with open(_directory(root / "generated") / ".kisgen.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _on_disk(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if not directory.is_dir():
        return found
    for path in directory.rglob("*"):
        if path.is_file() and not IGNORED_DIRS.intersection(path.relative_to(directory).parts):
            found[path.relative_to(directory).as_posix()] = path
    return found


def _owned(files: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    """The files of each directory kisgen writes whole, by their path inside it."""
    owned: dict[str, dict[str, bytes]] = {}
    for name, content in files.items():
        directory = next((directory for directory in OWNED_DIRS if name.startswith(directory + "/")), None)
        if directory is not None:
            owned.setdefault(directory, {})[name.removeprefix(directory + "/")] = content
    return owned


def stale_files(files: dict[str, bytes], root: Path) -> list[str]:
    """Paths whose bytes differ from ``files``, are missing, or should not exist (in a directory
    kisgen writes whole, when ``files`` has it)."""
    stale = []
    for relative, content in files.items():
        path = root / relative
        try:
            if path.read_bytes() != content:
                stale.append(f"{relative} (differs)")
        except (FileNotFoundError, NotADirectoryError):
            stale.append(f"{relative} (missing)")
    for directory, inside in _owned(files).items():
        for name in sorted(_on_disk(root / directory)):
            if name not in inside:
                stale.append(f"{directory}/{name} (should not exist)")
    return sorted(stale)


def _check_paths(files: dict[str, bytes]) -> None:
    """Refuse any path outside what kisgen writes, whatever put it in ``files``."""
    for relative in files:
        parts = relative.split("/")
        inside = relative.startswith((PACKAGE + "/", DOCS_DIR + "/")) or relative in WRITABLE
        if not inside or any(part in ("", ".", "..") for part in parts) or "\\" in relative:
            raise ValueError(f"refusing to write {relative!r}: only {', '.join(WRITABLE)} are generated")


@dataclass(slots=True)
class _Swap:
    """A target and its staged replacement; once swapped, ``staged`` holds the old target."""

    target: Path
    staged: Path
    existed: bool = False
    swapped: bool = False


def _stage(files: dict[str, bytes], root: Path) -> list[_Swap]:
    """Every target's new content written beside it, the package first; nothing swapped yet."""
    swaps: list[_Swap] = []
    owned = _owned(files)
    try:
        for directory, inside in owned.items():
            whole = root / directory
            staging = Path(tempfile.mkdtemp(prefix=f".{whole.name}.new-", dir=_directory(whole.parent)))
            swaps.append(_Swap(whole, staging))
            for relative, content in inside.items():
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        for relative, content in files.items():
            if any(relative.startswith(directory + "/") for directory in owned):
                continue
            target = root / relative
            fd, staged = tempfile.mkstemp(prefix=f".{target.name}.new-", dir=_directory(target.parent))
            swaps.append(_Swap(target, Path(staged)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
    except BaseException:
        _remove_all(swap.staged for swap in swaps)
        raise
    return swaps


def _swap(swap: _Swap) -> None:
    swap.existed = swap.target.exists()
    if swap.existed and not _exchange(swap.staged, swap.target):
        # Two renames where the system cannot exchange: the old target moves aside first.
        aside = Path(tempfile.mkdtemp(prefix=f".{swap.target.name}.old-", dir=swap.target.parent)) / swap.target.name
        os.rename(swap.target, aside)
        os.rename(swap.staged, swap.target)
        swap.staged = aside
    elif not swap.existed:
        os.rename(swap.staged, swap.target)
    swap.swapped = True


def _unswap(swap: _Swap) -> None:
    if swap.existed:
        if not _exchange(swap.staged, swap.target):
            _remove(swap.target)
            os.rename(swap.staged, swap.target)
    else:
        _remove(swap.target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    # An ``.old-`` directory made to move a file aside goes with it.
    if path.parent.name.startswith(f".{path.name}.old-"):
        with contextlib.suppress(OSError):
            path.parent.rmdir()


def _remove_all(paths: Iterable[Path]) -> None:
    for path in paths:
        _remove(path)


def _clear_strays(files: dict[str, bytes], root: Path) -> None:
    """Staging left by a killed run; under the lock no other run is writing."""
    owned = _owned(files)
    targets = {root / directory for directory in owned} | {root / name for name in files if not any(name.startswith(directory + "/") for directory in owned)}
    for target in targets:
        if target.parent.is_dir():
            for stray in [*target.parent.glob(f".{target.name}.new-*"), *target.parent.glob(f".{target.name}.old-*")]:
                _remove(stray)


def write_files(files: dict[str, bytes], root: Path) -> list[str]:
    """Write every file; return the paths that changed. All or nothing."""
    _check_paths(files)
    with _locked(root):
        _clear_strays(files, root)
        changed = [name.split(" ")[0] for name in stale_files(files, root)]
        if not changed:
            return []
        swaps = _stage(files, root)
        try:
            for swap in swaps:
                _swap(swap)
        except BaseException:
            for swap in reversed([swap for swap in swaps if swap.swapped]):
                _unswap(swap)
            raise
        finally:
            _remove_all([swap.staged for swap in swaps])  # the old contents, or what was not swapped
        return changed


RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100  # AT_FDCWD
    result = renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), RENAME_EXCHANGE)
    return bool(result == 0)
