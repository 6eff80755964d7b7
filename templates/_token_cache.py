"""Access tokens kept on disk, one file per (environment, server, app key), shared by processes.

KIS issues one token a minute per app key (EGW00133) and hands back the same token for hours,
so every process of a bot should share one. Files are 0600, written atomically, and guarded
by an advisory lock held across issuance, so that processes started together issue one token
between them. ``TokenCache.in_memory()`` keeps the same rules for one client, without disk.

Nothing on disk is trusted for being there: a directory or file that another user owns or
can write is refused (a directory of ours that others can write is made private first), and
a file that is not a sane token record is ignored and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from kis_client._secrets import logger, secret_filter
from kis_client._tokens import Token, sane_token
from kis_client.errors import DeadlineExceededError, KisApiError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads of one process are still serialised
    fcntl = None  # type: ignore[assignment]

LOCK_POLL_SECONDS = 0.02
MAX_RECORD_BYTES = 64 * 1024  # a token record is a few hundred bytes


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kis_client"


@dataclass(frozen=True, slots=True)
class TokenSlot:
    """Whose token: real and mock (and two servers, say KIS and a sandbox) never share one.

    ``lifetime`` is how long KIS's tokens live (the spec's): a record claiming more is refused.
    """

    env: str
    server: str
    app_key: str = field(repr=False)
    lifetime: float = 86400.0

    @property
    def name(self) -> str:
        digest = hashlib.sha256(f"{self.env}\0{self.server}\0{self.app_key}".encode()).hexdigest()
        return f"token-{self.env}-{digest[:24]}"


class UntrustedCacheError(OSError):
    """The cache directory or a file in it could have been written by someone else."""


def _mine(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (always True where there are no owners)."""
    owner = getattr(os, "geteuid", None)
    if owner is None:  # pragma: no cover - Windows
        return True
    return status.st_uid == owner() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


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
        self.wait_seconds = wait_seconds  # how long EGW00133 (one token a minute) is waited out at most
        self.poll_seconds = poll_seconds
        self.margin_seconds = margin_seconds  # a token this close to expiry is renewed
        self._memory: dict[str, Token] = {}
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._reported: set[str] = set()  # why the directory was unusable, as already logged

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

    # -- the directory: created private, refused when someone else could write it

    def _private_directory(self) -> Path:
        """The cache directory, checked (and made private if it is ours); raises OSError."""
        directory = self.directory
        assert directory is not None
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = os.stat(directory)
        if not stat.S_ISDIR(status.st_mode):
            raise NotADirectoryError(str(directory))
        if not _mine(status):
            owner = getattr(os, "geteuid", None)
            if owner is not None and status.st_uid != owner():
                raise UntrustedCacheError(f"{directory} belongs to another user")
            os.chmod(directory, 0o700)
            logger.warning("token cache %s was writable by others; made it private (0700) and trusting none of its files that others own or can write", directory)
        return directory

    def _unusable(self, error: OSError) -> None:
        """Says once per cache and reason (at DEBUG after that): every call would meet it again."""
        reason = str(error) if isinstance(error, UntrustedCacheError) else type(error).__name__
        level = logging.DEBUG if reason in self._reported else logging.WARNING
        self._reported.add(reason)
        logger.log(level, "token cache %s unusable (%s); tokens stay in this process, not shared with others", self.directory, reason)

    # -- locking: a thread lock per slot, plus flock on disk for other processes

    def _thread_lock(self, slot: TokenSlot) -> threading.Lock:
        with self._guard:
            return self._thread_locks.setdefault(slot.name, threading.Lock())

    def _lock_file(self, slot: TokenSlot) -> int:
        """The slot's lock file, opened; one that is not ours is replaced (the directory is)."""
        directory = self._private_directory()
        path = directory / f"{slot.name}.lock"
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        for _ in range(2):
            try:
                fd = os.open(path, flags, 0o600)
            except OSError:
                if not path.is_symlink():
                    raise
            else:
                if _mine(os.fstat(fd)):
                    return fd
                os.close(fd)  # another user could hold it locked forever
            path.unlink()
        raise UntrustedCacheError(f"{path} keeps being replaced")

    def _try_lock(self, slot: TokenSlot) -> int | None:
        """The lock's handle (a file descriptor, or -1 in memory), or None if it is taken."""
        lock = self._thread_lock(slot)
        if not lock.acquire(blocking=False):
            return None
        if self.directory is None or fcntl is None:
            return -1
        try:
            fd = self._lock_file(slot)
        except OSError as error:
            # An unusable cache directory must not stop trading: share within this process only.
            self._unusable(error)
            return -1
        except BaseException:
            lock.release()
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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

    @staticmethod
    def _lock_timeout(deadline: float | None) -> DeadlineExceededError | None:
        if deadline is not None and time.monotonic() >= deadline:
            return DeadlineExceededError("the call's deadline passed while another thread or process was getting a token")
        return None

    # Both flavours poll, never block: a deadline bounds the wait, the event loop keeps running,
    # and a cancelled wait leaves no lock behind.

    @contextlib.contextmanager
    def _locked(self, slot: TokenSlot, deadline: float | None = None) -> Iterator[None]:
        while (handle := self._try_lock(slot)) is None:
            if (error := self._lock_timeout(deadline)) is not None:
                raise error
            time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            self._unlock(slot, handle)

    @contextlib.asynccontextmanager
    async def _locked_async(self, slot: TokenSlot, deadline: float | None = None) -> AsyncIterator[None]:
        while (handle := self._try_lock(slot)) is None:
            if (error := self._lock_timeout(deadline)) is not None:
                raise error
            import asyncio
            await asyncio.sleep(LOCK_POLL_SECONDS)
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
            self._private_directory()
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as error:
            self._unusable(error)
            return None
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(fd)
            text = handle.read(MAX_RECORD_BYTES + 1) if stat.S_ISREG(status.st_mode) else b""
        token = None
        if _mine(status) and len(text) <= MAX_RECORD_BYTES:
            token = self._record(text, slot)
        if token is None:
            logger.warning("token cache file %s is not a token record this user wrote; ignoring it (the next token replaces it)", path)
            return None
        secret_filter.add(token.value)
        return token

    @staticmethod
    def _record(text: bytes, slot: TokenSlot) -> Token | None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        return sane_token(data.get("token"), data.get("expires_at"), slot.lifetime, data.get("latest", False))

    def store(self, slot: TokenSlot, token: Token) -> None:
        """Write atomically (temp file, fsync, rename), mode 0600 from the start."""
        path = self.path(slot)
        if path is None:
            self._memory[slot.name] = token
            return
        self._private_directory()
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".token-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            record = {"token": token.value, "expires_at": token.expires_at, "latest": token.latest, "issued_at": time.time()}
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
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
            self._unusable(error)

    def _discard_unlocked(self, slot: TokenSlot, value: str) -> None:
        current = self.load(slot)
        if current is None or current.value != value:
            return  # another process already replaced it
        path = self.path(slot)
        self._memory.pop(slot.name, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def discard(self, slot: TokenSlot, value: str, deadline: float | None = None) -> None:
        """Forget a token KIS called expired or unknown (or that was revoked)."""
        with self._locked(slot, deadline):
            self._discard_unlocked(slot, value)

    async def discard_async(self, slot: TokenSlot, value: str, deadline: float | None = None) -> None:
        async with self._locked_async(slot, deadline):
            self._discard_unlocked(slot, value)

    # -- obtaining

    def _issued(self, slot: TokenSlot, token: Token) -> Token:
        """Store a token KIS just gave. One already inside the renewal margin is KIS's latest:
        KIS hands the same token back until it expires, so it is used to its end, not asked for
        again before every call."""
        if not self.fresh(token):
            token = replace(token, latest=True)
        self._store_or_warn(slot, token)
        return token

    def _refused(self, error: KisApiError, until: float, first: bool) -> None:
        if first:
            logger.warning(
                "KIS refused a new token (%s): it issues at most one a minute per app key. Waiting up to %.3g s for "
                "another client or process to store one, asking KIS again every %g s",
                error.msg_cd,
                max(until - time.monotonic(), 0.0),
                self.poll_seconds,
            )

    def _pause(self, until: float) -> float:
        """Ask KIS again only with time left to hear the answer; else sleep to the end and take
        one last look at the disk."""
        left = until - time.monotonic()
        return self.poll_seconds if left > 2 * self.poll_seconds else max(left, 0.0)

    @staticmethod
    def _give_up(refused: KisApiError, until: float) -> bool:
        if time.monotonic() < until:
            return False
        logger.warning("KIS still refuses a new token (%s) and no other process stored one; giving up", refused.msg_cd)
        return True

    def _wait_until(self, deadline: float | None) -> float:
        until = time.monotonic() + self.wait_seconds
        return until if deadline is None else min(until, deadline)

    def obtain(self, slot: TokenSlot, issue: Callable[[], Token], *, too_soon: str, deadline: float | None = None, sleep: Callable[[float], None] = time.sleep) -> Token:
        """A fresh token from the cache, or one issued now under the lock and stored for the others.

        On ``too_soon`` (EGW00133: someone got this minute's token) wait, look again, and reuse
        what the other process stored; KIS itself hands the same token out once the minute is up.
        The wait ends at ``wait_seconds`` or the call's ``deadline`` (monotonic), whichever is first.
        """
        until = self._wait_until(deadline)
        refused: KisApiError | None = None
        while True:
            with self._locked(slot, deadline):
                token = self.load(slot)
                if token is not None and self.fresh(token):
                    return token
                if refused is not None and self._give_up(refused, until):
                    raise refused
                try:
                    return self._issued(slot, issue())
                except KisApiError as error:
                    if error.msg_cd != too_soon:
                        raise
                    self._refused(error, until, refused is None)
                    refused = error
            sleep(self._pause(until))

    async def obtain_async(self, slot: TokenSlot, issue: Callable[[], Awaitable[Token]], *, too_soon: str, deadline: float | None = None) -> Token:
        until = self._wait_until(deadline)
        refused: KisApiError | None = None
        while True:
            async with self._locked_async(slot, deadline):
                token = self.load(slot)
                if token is not None and self.fresh(token):
                    return token
                if refused is not None and self._give_up(refused, until):
                    raise refused
                try:
                    return self._issued(slot, await issue())
                except KisApiError as error:
                    if error.msg_cd != too_soon:
                        raise
                    self._refused(error, until, refused is None)
                    refused = error
            import asyncio
            await asyncio.sleep(self._pause(until))
