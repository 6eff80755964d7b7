"""Access tokens kept on disk, one file per (environment, server, app key), shared by processes.

KIS issues one token a minute per app key (EGW00133) and hands back the same token for hours,
so every process of a bot should share one. Files are 0600, written atomically, and guarded
by an advisory lock held across issuance, so that processes started together issue one token
between them. ``TokenCache.in_memory()`` keeps the same rules for one client, without disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kis_client._runtime import KisApiError, Token, logger, secret_filter

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads of one process are still serialised
    fcntl = None  # type: ignore[assignment]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kis_client"


@dataclass(frozen=True, slots=True)
class TokenSlot:
    """Whose token: real and mock (and two servers, say KIS and a sandbox) never share one."""

    env: str
    server: str
    app_key: str = field(repr=False)

    @property
    def name(self) -> str:
        digest = hashlib.sha256(f"{self.env}\0{self.server}\0{self.app_key}".encode()).hexdigest()
        return f"token-{self.env}-{digest[:24]}"


class TokenCache:
    """Tokens under ``directory`` (default: the user's cache directory), or in memory."""

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        wait_seconds: float = 65.0,
        poll_seconds: float = 2.0,
        margin_seconds: float = 300.0,
    ) -> None:
        self.directory: Path | None = Path(directory) if directory is not None else default_cache_dir()
        self.wait_seconds = wait_seconds  # how long EGW00133 (one token a minute) is waited out
        self.poll_seconds = poll_seconds
        self.margin_seconds = margin_seconds  # a token this close to expiry is renewed
        self._memory: dict[str, Token] = {}
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def in_memory(cls, *, wait_seconds: float = 65.0, poll_seconds: float = 2.0, margin_seconds: float = 300.0) -> TokenCache:
        cache = cls(wait_seconds=wait_seconds, poll_seconds=poll_seconds, margin_seconds=margin_seconds)
        cache.directory = None
        return cache

    def __repr__(self) -> str:
        where = "memory" if self.directory is None else repr(str(self.directory))
        return f"TokenCache({where})"

    def path(self, slot: TokenSlot) -> Path | None:
        return None if self.directory is None else self.directory / f"{slot.name}.json"

    def fresh(self, token: Token | None) -> bool:
        return token is not None and token.fresh(self.margin_seconds)

    # -- locking: a thread lock per slot, plus flock on disk for other processes

    def _thread_lock(self, slot: TokenSlot) -> threading.Lock:
        with self._guard:
            return self._thread_locks.setdefault(slot.name, threading.Lock())

    def _try_lock(self, slot: TokenSlot, blocking: bool) -> int | None:
        """The lock's handle (a file descriptor, or -1 in memory), or None if it is taken."""
        lock = self._thread_lock(slot)
        if not lock.acquire(blocking):
            return None
        if self.directory is None or fcntl is None:
            return -1
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.directory / f"{slot.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            # An unwritable cache directory must not stop trading: share within this process only.
            logger.warning("token cache %s unusable (%s); tokens are not shared with other processes", self.directory, type(error).__name__)
            return -1
        except BaseException:
            lock.release()
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            lock.release()
            return None
        except BaseException:
            os.close(fd)
            lock.release()
            raise
        return fd

    def _unlock(self, slot: TokenSlot, handle: int) -> None:
        try:
            if handle >= 0:
                os.close(handle)  # closing the descriptor drops the flock
        finally:
            self._thread_lock(slot).release()

    @contextlib.contextmanager
    def _locked(self, slot: TokenSlot) -> Iterator[None]:
        handle = self._try_lock(slot, blocking=True)
        assert handle is not None
        try:
            yield
        finally:
            self._unlock(slot, handle)

    @contextlib.asynccontextmanager
    async def _locked_async(self, slot: TokenSlot) -> AsyncIterator[None]:
        # Polled, never a blocking wait: the event loop keeps running, and a cancelled wait
        # leaves no lock behind.
        while (handle := self._try_lock(slot, blocking=False)) is None:
            import asyncio
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            self._unlock(slot, handle)

    # -- storage

    def load(self, slot: TokenSlot) -> Token | None:
        path = self.path(slot)
        if path is None or slot.name in self._memory:
            return self._memory.get(slot.name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            token = Token(str(data["token"]), float(data["expires_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        secret_filter.add(token.value)
        return token

    def store(self, slot: TokenSlot, token: Token) -> None:
        """Write atomically (temp file, fsync, rename), mode 0600 from the start."""
        path = self.path(slot)
        if path is None:
            self._memory[slot.name] = token
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".token-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"token": token.value, "expires_at": token.expires_at, "issued_at": time.time()}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _store_or_warn(self, slot: TokenSlot, token: Token) -> None:
        try:
            self.store(slot, token)
        except OSError as error:
            self._memory[slot.name] = token
            logger.warning("token cache %s unusable (%s); the token is kept in memory", self.directory, type(error).__name__)

    def _discard_unlocked(self, slot: TokenSlot, value: str) -> None:
        current = self.load(slot)
        if current is None or current.value != value:
            return  # another process already replaced it
        path = self.path(slot)
        self._memory.pop(slot.name, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def discard(self, slot: TokenSlot, value: str) -> None:
        """Forget a token KIS called expired (or that was revoked)."""
        with self._locked(slot):
            self._discard_unlocked(slot, value)

    async def discard_async(self, slot: TokenSlot, value: str) -> None:
        async with self._locked_async(slot):
            self._discard_unlocked(slot, value)

    # -- obtaining

    def obtain(self, slot: TokenSlot, issue: Callable[[], Token], *, too_soon: str, sleep: Callable[[float], None] = time.sleep) -> Token:
        """A fresh token from the cache, or one issued now under the lock and stored for the others.

        On ``too_soon`` (EGW00133: someone got this minute's token) wait, look again, and reuse
        what the other process stored; KIS itself hands the same token out once the minute is up.
        """
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self._locked(slot):
                token = self.load(slot)
                if token is not None and self.fresh(token):
                    return token
                try:
                    token = issue()
                except KisApiError as error:
                    if error.msg_cd != too_soon or time.monotonic() >= deadline:
                        raise
                else:
                    self._store_or_warn(slot, token)
                    return token
            logger.info("token issued elsewhere within the minute (%s); waiting to reuse it", too_soon)
            sleep(self.poll_seconds)

    async def obtain_async(self, slot: TokenSlot, issue: Callable[[], Awaitable[Token]], *, too_soon: str) -> Token:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            async with self._locked_async(slot):
                token = self.load(slot)
                if token is not None and self.fresh(token):
                    return token
                try:
                    token = await issue()
                except KisApiError as error:
                    if error.msg_cd != too_soon or time.monotonic() >= deadline:
                        raise
                else:
                    self._store_or_warn(slot, token)
                    return token
            logger.info("token issued elsewhere within the minute (%s); waiting to reuse it", too_soon)
            import asyncio
            await asyncio.sleep(self.poll_seconds)
