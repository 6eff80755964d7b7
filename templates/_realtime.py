"""A real-time session: one WebSocket to KIS carrying every registration, typed records out.

The session registers (tr_id, tr_key) pairs and waits for KIS's acknowledgement of each
(``OPSP0002``, already registered, is a success); answers every PINGPONG as soon as it arrives;
splits frames of several records; decrypts execution notices with the key and iv of this
session's acknowledgement; and keeps going when a frame is wider (KIS added fields: kept in
``extra``) or narrower than the spec (reported, not yielded). A dropped connection, or one silent
for ``stall_timeout`` seconds, is replaced with backoff and every registration restored with a
fresh acknowledgement (and key) before data is read again; OPSP8996 (the app key is in use by
another session) ends the session instead, as reconnecting cannot help.

websockets (the connection) and cryptography (AES) are imported when a session connects and
when it first decrypts: ``pip install "kis-client[realtime]"``; ``import kis_client`` needs
neither.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import queue
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from kis_client._realtime_records import RealtimeRecord, by_tr_id, decode
from kis_client._retry import RetryPolicy
from kis_client._secrets import logger, secret_filter
from kis_client.errors import (
    AppKeyInUseError,
    FieldProblem,
    KisError,
    RealtimeConnectionError,
    RealtimeError,
    RealtimeRefusedError,
    RegistrationLimitError,
    TransportError,
    UnsupportedEnvironmentError,
    ValidationError,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

T = TypeVar("T")
Deliver = Callable[[RealtimeRecord | RealtimeError], None]  # hands a record (or the session's end) to the reader
Outcome = Literal["subscribed", "unsubscribed", "refused", "app_key_in_use"]
ProblemKind = Literal["short", "extra", "unsplittable", "undecryptable", "unknown_tr", "unreadable", "refused"]

# A pong frame carries at most 125 bytes (RFC 6455); KIS's PINGPONG is about 60.
MAX_PONG_BYTES = 125


@dataclass(frozen=True, slots=True)
class Feed:
    """What the spec says about the feed (``kis_client.realtime.FEED``)."""

    urls: Mapping[str, str]  # by environment
    path: str
    registration_limit: int
    approval_lifetime: float  # seconds
    subscribe: str  # tr_type of a registration
    unsubscribe: str
    pingpong: str  # the tr_id of KIS's heartbeat
    outcomes: Mapping[str, Outcome]  # each control code (msg_cd), what it means
    records: tuple[type[RealtimeRecord], ...]


@dataclass(frozen=True, slots=True)
class RealtimeProblem:
    """Something in the feed the session could not deliver as a record; the stream goes on.

    ``kind``: ``short`` (fewer values than the spec's fields), ``extra`` (more: the records were
    delivered, their ``extra`` holds the rest; reported once a TR), ``unsplittable`` (the values
    do not divide into the frame's record count), ``undecryptable``, ``unknown_tr`` (a TR_ID the
    spec lacks), ``unreadable`` (not a frame or control message), ``refused`` (KIS refused a
    registration while restoring it). ``values``: what KIS sent, where there was something.
    """

    kind: ProblemKind
    tr_id: str
    message: str
    values: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class _Answer:
    msg_cd: str
    msg1: str
    outcome: Outcome


class _ConnectionLost(Exception):
    """The connection a request went out on is gone; the registration is restored on the next."""


class ApprovalKeys:
    """The approval key (웹소켓 접속키): issued once, then reused by every session of the client
    until ``margin`` seconds before the end of its validity (KIS checks it when a registration
    arrives; a live session streams past it)."""

    def __init__(self, issue: Callable[[], Awaitable[str | None]], lifetime: float, margin: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._issue = issue
        self._serves = max(lifetime - margin, 0.0)
        self._clock = clock
        self._key: str | None = None
        self._issued_at = 0.0
        self._lock = threading.Lock()  # sessions of a sync client run in threads of their own

    def __repr__(self) -> str:
        return f"ApprovalKeys(issued={self._key is not None})"

    async def get(self) -> str:
        with self._lock:
            if self._key is not None and self._clock() - self._issued_at < self._serves:
                return self._key
        asked_at = self._clock()  # the key is valid from its issue: count from before asking
        key = await self._issue()
        if not isinstance(key, str) or not key:
            raise TransportError("the approval reply has no approval_key")
        secret_filter.add(key)
        with self._lock:
            self._key, self._issued_at = key, asked_at
        return key


class _FrameContents(logging.Filter):
    """websockets logs frames at DEBUG, subscriptions (the approval key) and acknowledgements
    (the AES key) included, cut short where a secret may show only in part: never those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in ("< %s", "> %s")


_wire_logger = logging.getLogger("kis_client.websocket")
_wire_logger.addFilter(_FrameContents())
_wire_logger.addFilter(secret_filter)


def _decrypt(key: bytes, iv: bytes, payload: str) -> str:
    """AES-256-CBC of the base64 payload, PKCS7 padding, UTF-8: KIS's execution notices."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.padding import PKCS7

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(base64.b64decode(payload, validate=True)) + decryptor.finalize()
    unpadder = PKCS7(128).unpadder()
    return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class AsyncRealtimeSession:
    """A real-time session for asyncio: ``async with client.realtime() as feed``.

    ``await feed.subscribe(StockTick, "005930")`` registers and returns once KIS acknowledged;
    ``async for record in feed`` yields typed records (``match`` on their classes), and
    ``await feed.receive(timeout=5)`` the next one. Problems in the feed go to the
    ``kis_client`` logger (WARNING) and to ``on_problem``; the stream goes on.
    """

    def __init__(
        self,
        feed: Feed,
        env: str,
        url: str,
        custtype: str,
        approval: ApprovalKeys,
        *,
        stall_timeout: float,
        ack_timeout: float,
        reconnect: RetryPolicy,
        on_problem: Callable[[RealtimeProblem], None] | None,
        deliver: Deliver | None = None,
    ) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"a real-time URL starts with ws:// or wss://; got {url[:40]!r}")
        self.env = env
        self.url = url
        self._feed = feed
        self._custtype = custtype
        self._approval = approval
        self._stall_timeout = stall_timeout
        self._ack_timeout = ack_timeout
        self._reconnect = reconnect
        self._on_problem = on_problem
        self._types = by_tr_id(feed.records)
        self._wanted: dict[tuple[str, str], type[RealtimeRecord]] = {}  # registration order
        self._pending: dict[tuple[str, str], asyncio.Future[_Answer]] = {}
        self._ciphers: dict[str, tuple[bytes, bytes]] = {}  # by tr_id, from this connection's acks
        self._records: asyncio.Queue[RealtimeRecord | RealtimeError] = asyncio.Queue()
        # Where records go: this queue, or the sync session's (handed over without a task a record).
        self._deliver: Deliver = deliver or self._records.put_nowait
        self._ready = asyncio.Event()  # connected, every registration acknowledged
        self._requests = asyncio.Lock()  # one registration message in flight at a time
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._failure: KisError | None = None
        self._closed: RealtimeError | None = None
        self._reported: set[str] = set()  # TR_IDs reported once: wider records, or unknown
        self.connections = 0  # connections made: 1, plus one a reconnect

    def __repr__(self) -> str:
        return f"{type(self).__name__}(env={self.env!r}, url={self.url!r}, registrations={len(self._wanted)})"

    @property
    def registrations(self) -> tuple[tuple[type[RealtimeRecord], str], ...]:
        """What is registered (or being registered), in order: (record class, tr_key)."""
        return tuple((cls, key) for (_tr_id, key), cls in self._wanted.items())

    # -- the caller's side ----------------------------------------------------------------------

    async def open(self) -> None:
        """Connect (a session opens itself on its first ``subscribe``)."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="kis-realtime")
        await self._wait_ready()

    async def subscribe(self, record: type[RealtimeRecord], *keys: str) -> None:
        """Register ``record``'s TR for each key, returning once KIS acknowledged every one.

        Raises UnsupportedEnvironmentError (a TR the environment does not serve), ValidationError
        (a key that is not the TR's tr_key) or RegistrationLimitError before anything is sent;
        RealtimeRefusedError if KIS refuses one (the ones before it stay registered).
        """
        tr_id = self._tr_id(record)
        self._check_keys(record, keys)
        new = [key for key in dict.fromkeys(keys) if (tr_id, key) not in self._wanted]
        limit = self._feed.registration_limit
        if len(self._wanted) + len(new) > limit:
            raise RegistrationLimitError(
                f"{len(self._wanted)} registrations and {len(new)} more would pass KIS's {limit} a session "
                "(every TR_ID and key pair counts, notices too); nothing was sent"
            )
        await self.open()
        for key in new:
            self._wanted[(tr_id, key)] = record
            try:
                await self._register(self._feed.subscribe, tr_id, key)
            except BaseException:
                self._wanted.pop((tr_id, key), None)
                raise

    async def unsubscribe(self, record: type[RealtimeRecord], *keys: str) -> None:
        """Release ``record``'s TR for each key (one not registered is skipped)."""
        tr_id = self._tr_id(record)
        for key in dict.fromkeys(keys):
            if self._wanted.pop((tr_id, key), None) is not None:
                await self._register(self._feed.unsubscribe, tr_id, key)

    async def receive(self, timeout: float | None = None) -> RealtimeRecord:
        """The next record; TimeoutError after ``timeout`` seconds without one. Raises the
        session's end: AppKeyInUseError, RealtimeConnectionError, or RealtimeError once closed."""
        item = await asyncio.wait_for(self._records.get(), timeout)
        if isinstance(item, RealtimeError):
            self._records.put_nowait(item)  # every later receive ends the same way
            raise item
        return item

    def __aiter__(self) -> AsyncIterator[RealtimeRecord]:
        return self

    async def __anext__(self) -> RealtimeRecord:
        try:
            return await self.receive()
        except RealtimeError as error:
            if error is self._closed:
                raise StopAsyncIteration from None
            raise

    async def close(self) -> None:
        if self._closed is not None:
            return
        self._closed = RealtimeError("the real-time session is closed")
        self._ready.set()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        self._deliver(self._closed)

    async def __aenter__(self) -> AsyncRealtimeSession:
        await self.open()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        await self.close()

    # -- checks before anything is sent ------------------------------------------------------

    def _tr_id(self, record: type[RealtimeRecord]) -> str:
        info = record.TR
        tr_id = info.tr_id(self.env)
        if tr_id is None:
            raise UnsupportedEnvironmentError(f"realtime {info.real_tr_id} ({info.label})", self.env, ["real"])
        return tr_id

    def _check_keys(self, record: type[RealtimeRecord], keys: tuple[str, ...]) -> None:
        info = record.TR
        problems = [
            FieldProblem("tr_key", "keys", f"{key!r} is not a {info.key_label} (pattern {info.key_pattern})")
            for key in keys
            if not isinstance(key, str) or re.fullmatch(info.key_pattern, key) is None
        ]
        if not keys:
            problems.append(FieldProblem("tr_key", "keys", f"no {info.key_label} given"))
        if problems:
            raise ValidationError(f"realtime {info.real_tr_id}", problems)

    # -- registrations ---------------------------------------------------------------------------

    async def _wait_ready(self) -> None:
        await self._ready.wait()
        if self._failure is not None:
            raise self._failure
        if self._closed is not None:
            raise self._closed

    async def _register(self, tr_type: str, tr_id: str, key: str) -> None:
        while True:
            await self._wait_ready()
            try:
                await self._request(tr_type, tr_id, key)
                return
            except _ConnectionLost:
                continue  # restored with the rest once the session has reconnected

    async def _request(self, tr_type: str, tr_id: str, key: str) -> _Answer:
        """Send one registration or release and wait for KIS's answer; raise if it is a refusal."""
        async with self._requests:
            ws = self._ws
            if ws is None:
                raise _ConnectionLost
            future: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
            self._pending[(tr_id, key)] = future
            try:
                message = {
                    "header": {"approval_key": await self._approval.get(), "custtype": self._custtype, "tr_type": tr_type, "content-type": "utf-8"},
                    "body": {"input": {"tr_id": tr_id, "tr_key": key}},
                }
                await self._send(ws, json.dumps(message))
                try:
                    answer = await asyncio.wait_for(asyncio.shield(future), self._ack_timeout)
                except TimeoutError:
                    raise RealtimeError(f"{tr_id} {key!r}: KIS did not answer the registration within {self._ack_timeout:g} s") from None
            finally:
                if self._pending.get((tr_id, key)) is future:
                    del self._pending[(tr_id, key)]
        if answer.outcome == "app_key_in_use":
            raise self._failure or AppKeyInUseError(tr_id, key, answer.msg_cd, answer.msg1)
        if answer.outcome == "refused":
            raise RealtimeRefusedError(tr_id, key, answer.msg_cd, answer.msg1)
        return answer

    async def _send(self, ws: ClientConnection, text: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            await ws.send(text)
        except ConnectionClosed:
            raise _ConnectionLost from None

    async def _restore(self) -> None:
        """Register everything again on a new connection (its acks bring a new key and iv)."""
        for (tr_id, key), _cls in list(self._wanted.items()):
            if (tr_id, key) not in self._wanted:
                continue  # released meanwhile
            try:
                await self._request(self._feed.subscribe, tr_id, key)
            except AppKeyInUseError:
                raise
            except RealtimeRefusedError as refused:
                self._wanted.pop((tr_id, key), None)
                self._report(RealtimeProblem("refused", tr_id, f"{key!r} could not be registered again after a reconnect: {refused.msg_cd} {refused.msg1}"))

    # -- the connection --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._keep_connected()
        except Exception as error:  # a bug: end the session and say so, rather than hang its reader
            logger.error("real-time session stopped on an internal error", exc_info=True)
            self._fail(RealtimeError(f"the real-time session stopped on an internal error ({type(error).__name__})"))

    async def _keep_connected(self) -> None:
        failures = 0
        while self._closed is None and self._failure is None:
            if failures:
                if failures >= self._reconnect.attempts:
                    self._fail(RealtimeConnectionError(f"the real-time connection to {self.url} failed {failures} times in a row; giving up"))
                    return
                await asyncio.sleep(self._reconnect.delay(failures - 1))
            try:
                ws = await self._connect()
            except RealtimeConnectionError as error:
                self._fail(error)
                return
            except (OSError, TimeoutError) as error:
                failures += 1
                logger.warning("real-time connection to %s failed (%s); attempt %d of %d", self.url, type(error).__name__, failures, self._reconnect.attempts)
                continue
            healthy = await self._serve(ws)
            failures = 0 if healthy else failures + 1

    async def _connect(self) -> ClientConnection:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidURI

        try:
            return await connect(self.url, logger=_wire_logger, open_timeout=self._ack_timeout)
        except InvalidURI:
            raise RealtimeConnectionError(f"{self.url!r} is not a WebSocket URL") from None
        except InvalidHandshake as error:  # an HTTP answer instead of a WebSocket: perhaps a restart
            raise OSError(f"handshake refused: {type(error).__name__}") from None

    async def _serve(self, ws: ClientConnection) -> bool:
        """Read one connection until it ends; True if every registration was restored on it."""
        self._ws = ws
        self._ciphers.clear()
        self.connections += 1
        reader = asyncio.create_task(self._read(ws), name="kis-realtime-reader")
        restored = False
        try:
            await self._restore()
            restored = True
            self._ready.set()
            await asyncio.shield(reader)
        except _ConnectionLost:
            pass
        except (TransportError, RealtimeError) as error:
            if isinstance(error, AppKeyInUseError):
                self._fail(error)
            else:
                logger.warning("real-time registrations could not be restored (%s): reconnecting", type(error).__name__)
        except KisError as error:  # the approval key was refused: reconnecting cannot help
            self._fail(error)
        finally:
            if self._failure is None and self._closed is None:
                self._ready.clear()
            self._ws = None
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await ws.close()
        return restored

    async def _read(self, ws: ClientConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                try:
                    async with asyncio.timeout(self._stall_timeout):
                        message = await ws.recv()
                except TimeoutError:
                    logger.warning("real-time connection silent for %g s: reconnecting", self._stall_timeout)
                    return
                if isinstance(message, bytes):
                    self._report(RealtimeProblem("unreadable", "", "a binary message; KIS sends text"))
                elif message[:1] in ("0", "1"):
                    self._on_data(message)
                else:
                    await self._on_control(ws, message)
                    if self._failure is not None:
                        return
        except ConnectionClosed as closed:
            if self._closed is None and self._failure is None:
                logger.warning("real-time connection closed (code %s): reconnecting", closed.rcvd.code if closed.rcvd else "none")
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(_ConnectionLost())
            self._pending.clear()

    async def _on_control(self, ws: ClientConnection, text: str) -> None:
        try:
            message = json.loads(text)
            header = message["header"]
            tr_id = _text(header["tr_id"])
        except (ValueError, KeyError, TypeError):
            self._report(RealtimeProblem("unreadable", "", "a message that is neither a frame nor KIS's JSON", (text,)))
            return
        if tr_id == self._feed.pingpong:
            # Answered at once: KIS's clients send it back as text or as a pong frame, and
            # KIS documents neither; both go.
            await self._send(ws, text)
            if len(text.encode("utf-8")) <= MAX_PONG_BYTES:
                await ws.pong(text)
            return
        body = message.get("body") if isinstance(message.get("body"), dict) else {}
        msg_cd, msg1 = _text(body.get("msg_cd")), _text(body.get("msg1"))
        outcome = self._feed.outcomes.get(msg_cd)
        if outcome is None:
            outcome = "subscribed" if body.get("rt_cd") == "0" else "refused"
        output = body.get("output")
        if isinstance(output, dict) and isinstance(output.get("key"), str) and isinstance(output.get("iv"), str):
            secret_filter.add(output["key"])
            secret_filter.add(output["iv"])
            self._ciphers[tr_id] = (output["key"].encode("utf-8"), output["iv"].encode("utf-8"))
        answer = _Answer(msg_cd, msg1, outcome)
        if outcome == "app_key_in_use":
            # KIS names no TR in it (tr_id "(null)"): the registration it answers is the one in flight.
            refused_id, refused_key = next(iter(self._pending), (tr_id, _text(header.get("tr_key"))))
            self._fail(AppKeyInUseError(refused_id, refused_key, msg_cd, msg1))
        future = self._pending.get((tr_id, _text(header.get("tr_key"))))
        if future is not None and not future.done():
            future.set_result(answer)
        elif outcome == "refused":
            logger.warning("real-time %s: KIS says %s %s", tr_id, msg_cd, msg1)

    def _on_data(self, message: str) -> None:
        parts = message.split("|", 3)
        if len(parts) != 4:
            self._report(RealtimeProblem("unreadable", "", "a frame without its four parts", (message,)))
            return
        flag, tr_id, count, payload = parts
        cls = self._types.get(tr_id)
        if cls is None:
            if tr_id not in self._reported:
                self._reported.add(tr_id)
                self._report(RealtimeProblem("unknown_tr", tr_id, f"{tr_id} is not a TR of the spec (reported once)"))
            return
        if flag == "1":
            decrypted = self._decrypted(tr_id, payload)
            if decrypted is None:
                return
            payload = decrypted
        records, width = decode(cls, payload, int(count) if count.isdigit() else 0)
        expected = cls.TR.width
        if not records:
            values = tuple(payload.split("^"))
            if width:
                self._report(RealtimeProblem("short", tr_id, f"{tr_id} records of {width} values; the spec has {expected}: not delivered", values))
            else:
                self._report(RealtimeProblem("unsplittable", tr_id, f"{len(values)} values do not make {count} records", values))
            return
        if width > expected and tr_id not in self._reported:
            self._reported.add(tr_id)
            self._report(RealtimeProblem("extra", tr_id, f"{tr_id} records of {width} values; the spec has {expected}: the rest are in .extra (update the spec)"))
        for record in records:
            self._deliver(record)

    def _decrypted(self, tr_id: str, payload: str) -> str | None:
        cipher = self._ciphers.get(tr_id)
        if cipher is None:
            self._report(RealtimeProblem("undecryptable", tr_id, f"an encrypted {tr_id} frame before its acknowledgement gave a key"))
            return None
        try:
            return _decrypt(cipher[0], cipher[1], payload)
        except (ValueError, binascii.Error):  # bad base64, key, padding or UTF-8
            self._report(RealtimeProblem("undecryptable", tr_id, f"an encrypted {tr_id} frame that the acknowledgement's key and iv do not decrypt"))
            return None

    def _report(self, problem: RealtimeProblem) -> None:
        logger.warning("real-time feed: %s", problem.message)
        if self._on_problem is not None:
            self._on_problem(problem)

    def _fail(self, error: KisError) -> None:
        """End the session with ``error``: no reconnecting; every waiter and receive gets it."""
        if self._failure is not None or self._closed is not None:
            return
        self._failure = error
        logger.error("real-time session ended: %s", error)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._ready.set()
        self._deliver(error if isinstance(error, RealtimeError) else RealtimeError(f"the real-time session ended: {error}"))


class RealtimeSession:
    """A real-time session for scripts: ``with client.realtime() as feed``.

    The same session as AsyncRealtimeSession, run in a thread of its own: ``feed.subscribe(
    StockTick, "005930")`` returns once KIS acknowledged, ``for record in feed`` yields records
    until the session is closed, ``feed.receive(timeout=5)`` gives the next one.
    """

    def __init__(self, make: Callable[[Deliver | None], AsyncRealtimeSession]) -> None:
        self._records: queue.SimpleQueue[RealtimeRecord | RealtimeError] = queue.SimpleQueue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kis-realtime", daemon=True)
        self._thread.start()

        async def build() -> AsyncRealtimeSession:
            return make(self._records.put)

        try:
            self._session = self._call(build())
        except BaseException:  # an option refused: the thread goes with it
            self._stop()
            raise

    def __repr__(self) -> str:
        return repr(self._session).replace("AsyncRealtimeSession", "RealtimeSession", 1)

    @property
    def env(self) -> str:
        return self._session.env

    @property
    def url(self) -> str:
        return self._session.url

    @property
    def connections(self) -> int:
        return self._session.connections

    @property
    def registrations(self) -> tuple[tuple[type[RealtimeRecord], str], ...]:
        return self._session.registrations

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed():
            coroutine.close()
            raise RealtimeError("the real-time session is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def open(self) -> None:
        self._call(self._session.open())

    def subscribe(self, record: type[RealtimeRecord], *keys: str) -> None:
        """Register ``record``'s TR for each key; see AsyncRealtimeSession.subscribe."""
        self._call(self._session.subscribe(record, *keys))

    def unsubscribe(self, record: type[RealtimeRecord], *keys: str) -> None:
        self._call(self._session.unsubscribe(record, *keys))

    def receive(self, timeout: float | None = None) -> RealtimeRecord:
        """The next record; see AsyncRealtimeSession.receive."""
        try:
            item = self._records.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no record within {timeout:g} s") from None
        if isinstance(item, RealtimeError):
            self._records.put(item)
            raise item
        return item

    def __iter__(self) -> Iterator[RealtimeRecord]:
        while True:
            try:
                yield self.receive()
            except RealtimeError as error:
                if self._session._closed is error:
                    return
                raise

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._call(self._session.close())
        self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> RealtimeSession:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


# Reconnecting: at once after a connection that served, then with backoff; 10 failures in a row end the session.
RECONNECT = RetryPolicy(attempts=10, backoff=1.0, max_backoff=30.0)


def feed_url(feed: Feed, env: str, base_url: str, kis_base_url: str) -> str:
    """KIS's WebSocket for ``env``; for another server than KIS's (the sandbox serves both on one
    port), ``base_url``'s host with ws:// (wss:// for https://) and KIS's path."""
    if base_url.rstrip("/") == kis_base_url.rstrip("/"):
        return feed.urls[env] + feed.path
    scheme, _, rest = base_url.partition("://")
    return ("wss" if scheme == "https" else "ws") + "://" + rest.rstrip("/") + feed.path


def session(
    feed: Feed,
    env: str,
    base_url: str,
    kis_base_url: str,
    custtype: str,
    approval: ApprovalKeys,
    url: str | None,
    stall_timeout: float,
    ack_timeout: float,
    reconnect: RetryPolicy | None,
    on_problem: Callable[[RealtimeProblem], None] | None,
    deliver: Deliver | None,
) -> AsyncRealtimeSession:
    """A client's session, its options checked (``KisClient.realtime``)."""
    from kis_client._settings import check_seconds

    return AsyncRealtimeSession(
        feed,
        env,
        url or feed_url(feed, env, base_url, kis_base_url),
        custtype,
        approval,
        stall_timeout=check_seconds("stall_timeout", stall_timeout),
        ack_timeout=check_seconds("ack_timeout", ack_timeout),
        reconnect=reconnect or RECONNECT,
        on_problem=on_problem,
        deliver=deliver,
    )
