"""The sockets under httpx: every read and write of a call ends by the call's deadline.

httpx bounds each read (``timeout``), never a whole exchange (encode/httpx#1450): a server
trickling its reply a byte at a time, status line and headers included, or a gzip body that
never decodes to anything, could hold a call for hours. So the httpcore connection pools under
the client's transports get a network backend whose streams give each read and write no more
than the time left to the call running in this thread or task, and fail once none is left.

httpx has no public way to give its transports a network backend: ``DeadlineClient`` swaps the
backend of the httpcore pool that httpx keeps in ``HTTPTransport._pool`` (the runtime's deadline
tests fail if that ever changes). A ``transport=`` that is not an httpx HTTP transport has no
sockets here to bound.

Imported only when a client is made: it imports httpx and httpcore.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx


class CallTime:
    """The monotonic time a call must be over by; ``ran_out`` once a read or write ran into it."""

    __slots__ = ("deadline", "ran_out")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.ran_out = False

    @contextlib.contextmanager
    def bound(self, timeout: float | None, timed_out: type[Exception]) -> Iterator[float | None]:
        """The timeout for one read or write: ``timeout``, or less if the deadline comes first."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.ran_out = True
            raise timed_out("the call's deadline passed")
        deadline_first = timeout is None or left < timeout
        try:
            yield left if deadline_first else timeout
        except timed_out:
            self.ran_out = self.ran_out or deadline_first
            raise


_current: ContextVar[CallTime | None] = ContextVar("kis_client_call_time", default=None)


@contextlib.contextmanager
def call_time(deadline: float) -> Iterator[CallTime]:
    """Bounds the network reads and writes in this block (this thread's or task's) by ``deadline``."""
    current = CallTime(deadline)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


@contextlib.contextmanager
def _bound(timeout: float | None, timed_out: type[Exception]) -> Iterator[float | None]:
    current = _current.get()
    if current is None:
        yield timeout
        return
    with current.bound(timeout, timed_out) as bounded:
        yield bounded


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _bound(timeout, httpcore.ReadTimeout) as bounded:
            return self._stream.read(max_bytes, bounded)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _bound(timeout, httpcore.WriteTimeout) as bounded:
            self._stream.write(buffer, bounded)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _bound(timeout, httpcore.ReadTimeout) as bounded:
            return await self._stream.read(max_bytes, bounded)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _bound(timeout, httpcore.WriteTimeout) as bounded:
            await self._stream.write(buffer, bounded)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _bounded(transport: Any) -> Any:
    """``transport`` with its connections made through a deadline-bounded backend (once: a
    transport may be given to several clients)."""
    if isinstance(transport, httpx.HTTPTransport):
        pool = transport._pool
        if not isinstance(pool._network_backend, _Backend):
            pool._network_backend = _Backend(pool._network_backend)
    elif isinstance(transport, httpx.AsyncHTTPTransport):
        async_pool = transport._pool
        if not isinstance(async_pool._network_backend, _AsyncBackend):
            async_pool._network_backend = _AsyncBackend(async_pool._network_backend)
    return transport


class DeadlineClient(httpx.Client):
    """httpx.Client whose transports, proxies' included, bound every read and write by the
    deadline of the call under way (``call_time``)."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        transport: httpx.BaseTransport = _bounded(super()._init_transport(*args, **kwargs))
        return transport

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        transport: httpx.BaseTransport = _bounded(super()._init_proxy_transport(*args, **kwargs))
        return transport


class AsyncDeadlineClient(httpx.AsyncClient):
    """httpx.AsyncClient whose transports bound every read and write as ``DeadlineClient``'s do."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        transport: httpx.AsyncBaseTransport = _bounded(super()._init_transport(*args, **kwargs))
        return transport

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        transport: httpx.AsyncBaseTransport = _bounded(super()._init_proxy_transport(*args, **kwargs))
        return transport
