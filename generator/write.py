"""Write the rendered files atomically, or compare them with what is on disk.

The package directory is staged beside the old one and swapped in by rename, under a lock,
so a failure at any stage or two runs at once never leave a mixed tree.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from generator.render import PACKAGE

IGNORED_DIRS = {"__pycache__"}


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    lock_dir = root / "generated"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".kisgen.lock", "w") as handle:
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


def stale_files(files: dict[str, bytes], root: Path) -> list[str]:
    """Paths whose bytes differ from ``files``, are missing, or should not exist."""
    stale = []
    for relative, content in files.items():
        path = root / relative
        try:
            if path.read_bytes() != content:
                stale.append(f"{relative} (differs)")
        except FileNotFoundError:
            stale.append(f"{relative} (missing)")
    package_files = {name.removeprefix(PACKAGE + "/") for name in files if name.startswith(PACKAGE + "/")}
    for name in sorted(_on_disk(root / PACKAGE)):
        if name not in package_files:
            stale.append(f"{PACKAGE}/{name} (should not exist)")
    return sorted(stale)


WRITABLE = (PACKAGE + "/", "docs/")


def _check_paths(files: dict[str, bytes]) -> None:
    """Refuse any path outside generated/kis_client/ and docs/, whatever put it in ``files``."""
    for relative in files:
        parts = relative.split("/")
        if not relative.startswith(WRITABLE) or any(part in ("", ".", "..") for part in parts) or "\\" in relative:
            raise ValueError(f"refusing to write {relative!r}: only {' and '.join(WRITABLE)} are generated")


def write_files(files: dict[str, bytes], root: Path) -> list[str]:
    """Write every file; return the paths that changed. All or nothing for the package."""
    _check_paths(files)
    with _locked(root):
        package = root / PACKAGE
        # Under the lock no other run is writing: staging left by a killed run can go.
        for stray in package.parent.glob(".kis_client.*-*"):
            shutil.rmtree(stray, ignore_errors=True)
        changed = [name.split(" ")[0] for name in stale_files(files, root)]
        if not changed:
            return []
        package.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".kis_client.new-", dir=package.parent))
        try:
            for relative, content in files.items():
                if relative.startswith(PACKAGE + "/"):
                    target = staging / relative.removeprefix(PACKAGE + "/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
            if package.exists() and _exchange(staging, package):
                shutil.rmtree(staging, ignore_errors=True)  # it now holds the old package
            else:
                # Two renames: a run killed between them leaves no package (the next run writes it).
                old = Path(tempfile.mkdtemp(prefix=".kis_client.old-", dir=package.parent))
                if package.exists():
                    os.rename(package, old)
                os.rename(staging, package)
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for relative, content in files.items():
            if not relative.startswith(PACKAGE + "/"):
                _replace(root / relative, content)
        return changed


RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories in one step (Linux renameat2); False where the system cannot."""
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


def _replace(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
