"""Access tokens kept on disk, one file per (environment, app key), shared by processes.

KIS issues one token a minute per app key (EGW00133) and hands back the same token for hours,
so every process of a bot should share one. Files are 0600, written atomically, and guarded
by an advisory lock so that processes started together issue one token between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from kis_client._runtime import Token, TokenError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process at a time is still safe
    fcntl = None  # type: ignore[assignment]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kis_client"


class TokenCache:
    """Tokens on disk under ``directory``; real and mock never share a slot."""

    def __init__(self, directory: Path | str | None = None, *, too_soon_code: str = "EGW00133", wait_seconds: float = 65.0) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.too_soon_code = too_soon_code
        self.wait_seconds = wait_seconds

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    def _slot(self, env: str, app_key: str) -> Path:
        digest = hashlib.sha256(f"{env}\0{app_key}".encode()).hexdigest()[:24]
        return self.directory / f"token-{env}-{digest}.json"

    @contextlib.contextmanager
    def _locked(self, env: str, app_key: str) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self._slot(env, app_key).with_suffix(".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def load(self, env: str, app_key: str) -> Token | None:
        try:
            data = json.loads(self._slot(env, app_key).read_text(encoding="utf-8"))
            return Token(str(data["token"]), float(data["expires_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, env: str, app_key: str, token: Token) -> None:
        slot = self._slot(env, app_key)
        slot.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=slot.parent, prefix=".token-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"token": token.value, "expires_at": token.expires_at, "issued_at": time.time()}, handle)
            os.replace(temp, slot)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def discard(self, env: str, app_key: str, value: str) -> None:
        """Forget a token KIS called expired, unless another process already replaced it."""
        with self._locked(env, app_key):
            current = self.load(env, app_key)
            if current is not None and current.value == value:
                with contextlib.suppress(OSError):
                    self._slot(env, app_key).unlink()

    def obtain(self, env: str, app_key: str, issue: Callable[[], Token], sleep: Callable[[float], None]) -> Token:
        """A fresh token from disk, or one issued now under the lock and stored for the others."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self._locked(env, app_key):
                token = self.load(env, app_key)
                if token is not None and token.fresh():
                    return token
                try:
                    token = issue()
                except TokenError as error:
                    if error.msg_cd != self.too_soon_code or time.monotonic() >= deadline:
                        raise
                else:
                    self.store(env, app_key, token)
                    return token
            sleep(2.0)  # another process (or machine) got this minute's token; look again

    async def obtain_async(self, env: str, app_key: str, issue: Callable[[], Awaitable[Token]]) -> Token:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            token = await asyncio.to_thread(self.load, env, app_key)
            if token is not None and token.fresh():
                return token
            # The file lock is held only around disk access, never across an await.
            try:
                token = await issue()
            except TokenError as error:
                if error.msg_cd != self.too_soon_code or time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(2.0)
                continue
            await asyncio.to_thread(self._store_locked, env, app_key, token)
            return token

    def _store_locked(self, env: str, app_key: str, token: Token) -> None:
        with self._locked(env, app_key):
            self.store(env, app_key, token)
