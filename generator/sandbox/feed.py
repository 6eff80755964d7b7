"""The sandbox's real-time feed: KIS's WebSocket at ``/tryitout`` on the REST port, from the same
spec and the same state.

A session registers (tr_id, tr_key) pairs with an approval key the REST side issued, and is
answered as KIS answers (OPSP0000 with this session's AES key and iv, ``"encrypt": "Y"`` for the
notice TRs; OPSP0002 for a pair registered already; OPSP0008 past the spec's limit; OPSP0001 and
OPSP0003 on release; OPSP8996 to a second session of one app key). Quote TRs get a tick and an
order book of each registered symbol every ``tick_interval`` seconds from the state's prices and
price walk; the notice TRs get the orders placed through the REST side with the session's app key,
encrypted with the session's key as KIS does; a PINGPONG goes out every ``pingpong_interval``
seconds and its echo is counted (a session is never dropped for leaving it unanswered: KIS's own
client answers with a pong frame, which no ASGI app sees).

Tests script the rest through ``RunningSandbox.feed``: ``publish`` a frame of any number of
records (with fields added or taken away), ``drop`` a connection without a close frame,
``stall`` one (it stays open and goes silent), and read what each session was sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from ..model import ControlCode, Realtime, RealtimeTr, Spec
from .feed_codes import MESSAGES
from .feed_values import Ticker, notice, record, symbol_of
from .state import OrderEvent, SandboxState

log = logging.getLogger("kisgen.sandbox")
T = TypeVar("T")

PATHS = ("/", "")  # besides the spec's path: KIS's legacy samples connect to the bare host:port
DROP = "kisgen.drop"  # the scope extension that closes the TCP connection without a close frame
SENT_KEPT = 100_000  # data frames a session remembers having sent
NOTICE_TRS = {False: "H0STCNI0", True: "H0GSCNI0"}  # by overseas: the TR an order's notices go on
KEY_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Sent:
    """A data frame a session wrote, and when it began writing it (``time.perf_counter``)."""

    at: float
    frame: str


@dataclass(eq=False)
class FeedSession:
    number: int
    websocket: WebSocket
    drop_connection: Callable[[], None] | None
    key: str = field(default_factory=lambda: "".join(secrets.choice(KEY_CHARS) for _ in range(32)), repr=False)
    iv: str = field(default_factory=lambda: "".join(secrets.choice(KEY_CHARS) for _ in range(16)), repr=False)
    app_key: str | None = None
    registrations: dict[tuple[str, str], RealtimeTr] = field(default_factory=dict)  # registration order
    sent: deque[Sent] = field(default_factory=lambda: deque(maxlen=SENT_KEPT))
    pingpong_answers: int = 0
    stalled: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, text: str, data: bool = False) -> None:
        """Write one message; a stalled session writes nothing, a closed one neither."""
        async with self.lock:
            if self.stalled or self.websocket.application_state is not WebSocketState.CONNECTED:
                return
            at = time.perf_counter()  # before the write: a client can read it before the write returns
            try:
                await self.websocket.send_text(text)
            except (RuntimeError, OSError):  # the client left meanwhile
                return
            if data:
                self.sent.append(Sent(at, text))


@dataclass(frozen=True, slots=True)
class SessionView:
    """What a test reads of a session: the app key, the registrations, the data frames sent."""

    number: int
    app_key: str | None
    registrations: tuple[tuple[str, str], ...]
    sent: tuple[Sent, ...]
    pingpong_answers: int
    stalled: bool
    key: str = field(repr=False)  # the AES key and iv of its acknowledgements
    iv: str = field(repr=False)


def encrypt(key: str, iv: str, text: str) -> str:
    """AES-256-CBC, PKCS7, base64: how KIS encrypts its execution notices."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.padding import PKCS7

    padder = PKCS7(128).padder()
    padded = padder.update(text.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key.encode("ascii")), modes.CBC(iv.encode("ascii"))).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


class Feed:
    def __init__(self, spec: Spec, state: SandboxState) -> None:
        if spec.realtime is None:
            raise ValueError("the spec declares no `realtime`: the sandbox has no feed to serve")
        self.spec = spec
        self.realtime: Realtime = spec.realtime
        self.state = state
        self.options = state.options
        self.codes: dict[str, ControlCode] = {code.code: code for code in self.realtime.codes}
        self.sessions: list[FeedSession] = []
        self.ended: deque[FeedSession] = deque(maxlen=256)  # the latest closed sessions, for tests
        self.ticker = Ticker(state, state.options.price_seed)
        self._numbers = iter(range(1, 1 << 62))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticking: asyncio.Task[None] | None = None
        self._lock = threading.Lock()  # the sessions list, read by tests from their thread
        state.order_listeners.append(self._on_order)

    def paths(self) -> tuple[str, ...]:
        return (self.realtime.path,) + PATHS

    # -- the WebSocket ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        self._loop = asyncio.get_running_loop()
        if scope["path"] not in self.paths():
            await websocket.close(code=1008, reason=f"no feed at {scope['path'][:100]}; it is at {self.realtime.path}")
            return
        if len(self.sessions) >= self.options.max_sessions:
            await websocket.close(code=1013, reason=f"the sandbox holds {self.options.max_sessions} sessions at most")
            return
        await websocket.accept()
        drop = scope.get("extensions", {}).get(DROP)
        session = FeedSession(next(self._numbers), websocket, drop)
        with self._lock:
            self.sessions.append(session)
        heartbeat = asyncio.create_task(self._heartbeat(session)) if self.options.pingpong_interval else None
        self._start_ticking()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is not None and not session.stalled:
                    await self._on_message(session, text)
        except (RuntimeError, OSError):  # the connection went away under a read
            return
        finally:
            with self._lock:
                self.sessions.remove(session)
                self.ended.append(session)
            if heartbeat is not None:
                heartbeat.cancel()

    async def _heartbeat(self, session: FeedSession) -> None:
        assert self.options.pingpong_interval is not None
        while True:
            await asyncio.sleep(self.options.pingpong_interval)
            await session.send(self._pingpong())

    def _pingpong(self) -> str:
        stamp = self.state.kst_now().strftime("%Y%m%d%H%M%S")
        return json.dumps({"header": {"tr_id": self.realtime.pingpong, "datetime": stamp}})

    async def _on_message(self, session: FeedSession, text: str) -> None:
        try:
            message = json.loads(text)
            header, body = message["header"], message.get("body")
        except (ValueError, KeyError, TypeError):
            await self._answer(session, "", "", False, "SBX05002")
            return
        if not isinstance(header, dict):
            await self._answer(session, "", "", False, "SBX05002")
            return
        if header.get("tr_id") == self.realtime.pingpong:
            session.pingpong_answers += 1  # its echo as text; a pong frame the app never sees
            return
        request = body.get("input") if isinstance(body, dict) else None
        tr_id = request.get("tr_id") if isinstance(request, dict) else None
        tr_key = request.get("tr_key") if isinstance(request, dict) else None
        tr_type = header.get("tr_type")
        if not isinstance(tr_id, str) or not isinstance(tr_key, str) or tr_type not in (self.realtime.subscribe, self.realtime.unsubscribe):
            await self._answer(session, tr_id if isinstance(tr_id, str) else "", tr_key if isinstance(tr_key, str) else "", False, "SBX05002")
            return
        owner = self.state.approval_key_owner(str(header.get("approval_key", "")))
        if owner is None or (session.app_key is not None and owner != session.app_key):
            await self._answer(session, tr_id, tr_key, False, "SBX05001")
            return
        if session.app_key is None:
            if any(other.app_key == owner for other in self.sessions if other is not session):
                await self._answer(session, "(null)", "", False, "OPSP8996")
                return
            session.app_key = owner
        tr = self._tr(tr_id)
        if tr is None:
            await self._answer(session, tr_id, tr_key, False, "SBX05003")
            return
        if re.fullmatch(tr.key.pattern, tr_key) is None:
            await self._answer(session, tr_id, tr_key, tr.encrypted, "SBX05004")
            return
        pair = (tr_id, tr_key)
        if tr_type == self.realtime.unsubscribe:
            found = session.registrations.pop(pair, None)
            await self._answer(session, tr_id, tr_key, tr.encrypted, "OPSP0001" if found is not None else "OPSP0003")
        elif pair in session.registrations:
            await self._answer(session, tr_id, tr_key, tr.encrypted, "OPSP0002")
        elif len(session.registrations) >= self.realtime.registration_limit:
            await self._answer(session, tr_id, tr_key, tr.encrypted, "OPSP0008")
        else:
            session.registrations[pair] = tr
            await self._answer(session, tr_id, tr_key, tr.encrypted, "OPSP0000", with_key=True)

    def _tr(self, tr_id: str) -> RealtimeTr | None:
        """The TR this TR_ID names in the sandbox's environment."""
        for tr in self.realtime.trs:
            if tr.tr_id(self.state.env) == tr_id:
                return tr
        return None

    async def _answer(self, session: FeedSession, tr_id: str, tr_key: str, encrypted: bool, code: str, with_key: bool = False) -> None:
        """A control message as KIS shapes it: every field KIS's own client reads is there."""
        known = self.codes.get(code)
        if known is not None:
            rt_cd, msg1 = known.rt_cd or "1", known.message or ""
        else:
            rt_cd, msg1 = "1", MESSAGES[code]
        answer: dict[str, Any] = {"rt_cd": rt_cd, "msg_cd": code, "msg1": msg1}
        if with_key:
            answer["output"] = {"iv": session.iv, "key": session.key}
        await session.send(json.dumps({"header": {"tr_id": tr_id, "tr_key": tr_key, "encrypt": "Y" if encrypted else "N"}, "body": answer}, ensure_ascii=False))

    # -- data ------------------------------------------------------------------------------------

    def frame(self, session: FeedSession, tr: RealtimeTr, tr_id: str, records: list[list[str]]) -> str:
        payload = "^".join(value for values in records for value in values)
        if tr.encrypted:
            payload = encrypt(session.key, session.iv, payload)
        return f"{1 if tr.encrypted else 0}|{tr_id}|{len(records):03d}|{payload}"

    def _quote_records(self, tr: RealtimeTr, key: str, count: int, now: datetime) -> list[list[str]]:
        symbol = symbol_of(self.spec, key)
        return [record(tr, key, self.ticker.quote(symbol, now), now) for _ in range(count)]

    def _start_ticking(self) -> None:
        if self.options.tick_interval is not None and (self._ticking is None or self._ticking.done()):
            self._ticking = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        """Every registered quote TR and symbol, one record each interval (one computation a
        symbol and TR shared by every session registered for it, as KIS's broadcast is)."""
        assert self.options.tick_interval is not None
        notice_trs = set(NOTICE_TRS.values())
        while True:
            await asyncio.sleep(self.options.tick_interval)
            now = self.state.kst_now()
            frames: dict[tuple[str, str], list[str]] = {}
            for session in list(self.sessions):
                for (tr_id, key), tr in list(session.registrations.items()):
                    if tr.real_tr_id in notice_trs:
                        continue
                    values = frames.get((tr_id, key))
                    if values is None:
                        values = frames[(tr_id, key)] = self._quote_records(tr, key, 1, now)[0]
                    await session.send(self.frame(session, tr, tr_id, [values]), data=True)

    def _on_order(self, event: OrderEvent) -> None:
        """An order of the REST side: its notice goes to every session of the app key that placed
        it registered for the notice TR (from whatever thread placed it)."""
        loop = self._loop
        if loop is None or event.order.app_key is None:
            return
        loop.call_soon_threadsafe(lambda: loop.create_task(self._notify(event)))

    async def _notify(self, event: OrderEvent) -> None:
        overseas = event.order.exchange is not None
        now = self.state.kst_now()
        values = notice(self.state, event, now)
        for session in list(self.sessions):
            if session.app_key != event.order.app_key:
                continue
            for (tr_id, key), tr in list(session.registrations.items()):
                if tr.real_tr_id == NOTICE_TRS[overseas]:
                    await session.send(self.frame(session, tr, tr_id, [record(tr, key, values, now)]), data=True)

    # -- what tests and scripts drive (from any thread) --------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T], default: T) -> T:
        loop = self._loop
        if loop is None:
            coroutine.close()
            return default  # no session ever connected
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    def _targets(self, app_key: str | None, stalled: bool = False) -> list[FeedSession]:
        """The open sessions (of ``app_key``), without the stalled and dropped ones unless asked."""
        with self._lock:
            return [session for session in self.sessions if (stalled or not session.stalled) and (app_key is None or session.app_key == app_key)]

    def publish(self, tr_id: str, key: str, records: int = 1, *, extra_fields: int = 0, missing_fields: int = 0, app_key: str | None = None) -> int:
        """Send one frame of ``records`` records of ``tr_id`` for ``key`` to every session
        registered for it (or those of ``app_key``), each record with ``extra_fields`` values
        added at its end or ``missing_fields`` taken from it; the number of frames sent."""

        async def publish() -> int:
            sent = 0
            now = self.state.kst_now()
            for session in self._targets(app_key):
                tr = session.registrations.get((tr_id, key))
                if tr is None:
                    continue
                rows = self._quote_records(tr, key, records, now)
                rows = [row[: len(row) - missing_fields] + [f"X{index}" for index in range(extra_fields)] for row in rows]
                await session.send(self.frame(session, tr, tr_id, rows), data=True)
                sent += 1
            return sent

        return self._run(publish(), 0)

    def play(self, tr_id: str, key: str, count: int, per_second: float) -> int:
        """Send ``count`` one-record frames to every session registered for (tr_id, key), at a
        steady ``per_second`` (each on its own schedule, not after the previous one's delay);
        the number of frames sent."""

        async def play() -> int:
            loop = asyncio.get_running_loop()
            start = loop.time()
            sent = 0
            for index in range(count):
                delay = start + index / per_second - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = self.state.kst_now()
                for session in self._targets(None):
                    tr = session.registrations.get((tr_id, key))
                    if tr is not None:
                        await session.send(self.frame(session, tr, tr_id, self._quote_records(tr, key, 1, now)), data=True)
                        sent += 1
            return sent

        return self._run(play(), 0)

    def pingpong(self) -> int:
        """Send a PINGPONG to every session now; the number of sessions."""

        async def pingpong() -> int:
            targets = self._targets(None)
            for session in targets:
                await session.send(self._pingpong())
            return len(targets)

        return self._run(pingpong(), 0)

    def drop(self, app_key: str | None = None) -> int:
        """Close the TCP connection of every session (or those of ``app_key``) without a
        WebSocket close frame, as a network drop does, once what was sent is written."""

        async def drop() -> int:
            targets = self._targets(app_key, stalled=True)
            for session in targets:
                async with session.lock:
                    session.stalled = True  # nothing more goes out on it
                    if session.drop_connection is not None:
                        session.drop_connection()
                    else:
                        await session.websocket.close(code=1011)
            return len(targets)

        return self._run(drop(), 0)

    def stall(self, app_key: str | None = None) -> int:
        """Make every session (or those of ``app_key``) silent: the connection stays open,
        nothing is sent on it and nothing it receives is answered."""

        async def stall() -> int:
            targets = self._targets(app_key)
            for session in targets:
                session.stalled = True
            return len(targets)

        return self._run(stall(), 0)

    def view(self, ended: bool = False) -> list[SessionView]:
        """Every open session, oldest first; with ``ended``, the latest closed ones before them."""
        with self._lock:
            sessions = (list(self.ended) if ended else []) + list(self.sessions)
        return [SessionView(s.number, s.app_key, tuple(s.registrations), tuple(s.sent), s.pingpong_answers, s.stalled, s.key, s.iv) for s in sessions]
