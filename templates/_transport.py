"""The transport cores: one call's life (a token, the rate limit, the request, KIS's answer,
retries within the call's deadline), in a sync and an async flavour that share everything but
how bytes move.

httpx and asyncio are imported where they are used: ``import kis_client`` stays cheap, and most
bots never use the async client.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kis_client._calls import PreparedCall, Reply, continuation_of
from kis_client._replies import PastDeadline, ReplyBody, Unreadable, read_reply
from kis_client._secrets import header_safe, logger, secret_filter
from kis_client._tokens import Token, sane_token
from kis_client.errors import DeadlineExceededError, HttpStatusError, KisApiError, OrderStateUnknownError, PaginationError, RateLimitError, TransportError

if TYPE_CHECKING:
    import asyncio

    import httpx

    from kis_client._network import CallTime
    from kis_client._rate_limit import RateLimiter
    from kis_client._settings import Settings


def _never_sent(error: BaseException) -> bool:
    """True only where the request provably never left this machine (no connection was made)."""
    import httpx

    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol))


def _describe(error: BaseException) -> str:
    """A fault's kind without its text: httpx messages can echo URLs, never headers, but be safe."""
    if isinstance(error, Unreadable):
        return str(error)
    if isinstance(error, HttpStatusError):
        return error.summary
    return type(error).__name__


class _CoreBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._token: Token | None = None
        self._token_lock = threading.Lock()
        secret_filter.add(settings.credentials.app_key)
        secret_filter.add(settings.credentials.app_secret)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(env={self.settings.env!r}, base_url={self.settings.base_url!r})"

    def deadline(self, given: float | None) -> float:
        """The monotonic time by which a call must be over (a nested call keeps its caller's)."""
        return given if given is not None else time.monotonic() + self.settings.deadline

    def out_of_time(self, call: PreparedCall, waiting_for: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{call.operation.qualname}: the call's {self.settings.deadline:g} s deadline passed while waiting for {waiting_for}; nothing was sent"
        )

    def headers(self, call: PreparedCall, token: str | None, hashkey: str | None) -> dict[str, str]:
        wanted = call.operation.headers
        creds = self.settings.credentials
        result: dict[str, str] = {}
        for name in wanted:
            if name == "content-type":
                result[name] = "application/json; charset=utf-8"
            elif name == "authorization":
                result[name] = f"Bearer {token}"
            elif name == "appkey":
                result[name] = creds.app_key
            elif name == "appsecret":
                result[name] = creds.app_secret
            elif name == "tr_id" and call.tr_id is not None:
                result[name] = call.tr_id
            elif name == "custtype":
                result[name] = self.settings.custtype
            elif name == "tr_cont":
                result[name] = call.tr_cont
        if hashkey is not None and self.settings.hashkey is not None:
            result[self.settings.hashkey.header] = hashkey
        return result

    def request_args(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> dict[str, Any]:
        import httpx

        settings = self.settings
        left = max(deadline - time.monotonic(), 0.001)
        read = min(settings.timeout, left)
        connect = min(settings.connect_timeout, left)
        args: dict[str, Any] = {
            "method": call.operation.method,
            "url": settings.base_url + call.operation.path,
            "headers": headers,
            "timeout": httpx.Timeout(read, connect=connect, pool=connect),
        }
        if call.operation.method == "GET":
            args["params"] = dict(call.params)
        else:
            args["content"] = body_bytes(call.params)
        return args

    def body(self) -> ReplyBody:
        return ReplyBody(self.settings.max_reply_bytes)

    def check_deadline(self, error: Exception, time_left: CallTime) -> None:
        """Raises PastDeadline if the call's deadline, not ``timeout``, cut a read or write short."""
        if time_left.ran_out and not _never_sent(error):
            raise PastDeadline(f"no complete reply by the call's {self.settings.deadline:g} s deadline") from None

    def token_from(self, reply: Reply) -> Token:
        body = reply.body if isinstance(reply.body, Mapping) else {}
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise TransportError("the token reply has no access_token")
        secret_filter.add(value)
        lifetime = self.settings.token_spec.lifetime
        seconds = body.get("expires_in")
        if type(seconds) is str and seconds.isascii() and seconds.isdigit() and len(seconds) < 16:
            seconds = int(seconds)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
            seconds = lifetime  # absent or unreadable: KIS's tokens live this long
        token = sane_token(value, time.time() + min(seconds, lifetime), lifetime)
        if token is None:
            # Never sent: httpcore would refuse the header and log it, value and all, at DEBUG.
            raise TransportError("the token reply's access_token cannot be sent in a header (not shown)")
        return token

    def token_call(self) -> PreparedCall:
        spec = self.settings.token_spec
        return PreparedCall(spec.operation, None, spec.body(self.settings.credentials))

    def cached_token(self) -> Token | None:
        """This client's token, or one another client or process stored; None if none is fresh."""
        cache = self.settings.token_cache
        if cache.fresh(self._token):
            return self._token
        token = cache.load(self.settings.token_slot)
        if cache.fresh(token):
            self._token = token
            return token
        return None

    def _forget_memory(self, stale: Token | None) -> str | None:
        stale = stale if stale is not None else self._token
        if stale is None:
            return None
        if self._token is not None and self._token.value == stale.value:
            self._token = None
        return stale.value

    def hash_of(self, reply: Reply) -> str:
        assert self.settings.hashkey is not None
        field = self.settings.hashkey.reply_field
        value = reply.body.get(field) if isinstance(reply.body, Mapping) else None
        if not isinstance(value, str) or not value or not header_safe(value):
            raise TransportError(f"the hashkey reply has no usable {field}; the order was not sent")
        return value

    def on_failure(self, call: PreparedCall, error: Exception, attempt: int, renewed: bool, deadline: float) -> float | None:
        """What to do after a failed attempt: None renews the token, a number waits and retries.

        Raises when the call must not be repeated. An order is repeated only where KIS provably
        executed nothing: EGW00201, a token KIS called expired or unknown, or a connection that
        never opened. No retry starts that the call's deadline cannot wait for.
        """
        op = call.operation
        retry = self.settings.retry
        if isinstance(error, HttpStatusError) and op.kind != "order":
            raise error
        if isinstance(error, KisApiError):
            dead_token = error.msg_cd in self.settings.token_spec.renew
            if dead_token and "authorization" in op.headers and not renewed:
                logger.info("%s: KIS refused the token (%s); getting a new one and repeating once", op.qualname, error.msg_cd)
                return None
            if isinstance(error, RateLimitError) and attempt + 1 < retry.attempts:
                delay = retry.delay(attempt)
                if time.monotonic() + delay < deadline:
                    logger.warning("%s: rate limited (%s); retrying", op.qualname, error.msg_cd)
                    return delay
            raise error
        cause = _describe(error)
        if op.kind == "order" and not _never_sent(error):
            logger.error("%s (tr_id %s): order state unknown after %s; not resent", op.qualname, call.tr_id, cause)
            raise OrderStateUnknownError(op.qualname, call.tr_id, call.params, cause) from None
        if isinstance(error, PastDeadline):
            raise DeadlineExceededError(f"{op.qualname}: {cause}") from None
        if attempt + 1 >= retry.attempts:
            raise TransportError(f"{op.qualname}: {cause} after {attempt + 1} attempts") from None
        delay = retry.delay(attempt)
        if time.monotonic() + delay >= deadline:
            raise DeadlineExceededError(
                f"{op.qualname}: {cause} after {attempt + 1} attempt{'s' if attempt else ''}; the call's {self.settings.deadline:g} s deadline leaves no time for another"
            ) from None
        logger.warning("%s: %s; retrying", op.qualname, cause)
        return delay

    def next_page(self, call: PreparedCall, reply: Reply, seen: set[tuple[tuple[str, str], ...]], count: int) -> PreparedCall | None:
        """The request for the page after ``reply`` (the ``count``-th), None after the last;
        never a silent stop."""
        paging = self.settings.paging
        continuation = continuation_of(call, reply, paging.more)
        if continuation is None or continuation.tr_cont in paging.last or continuation.tr_cont == "":
            return None
        name = call.operation.qualname
        if not continuation.has_more:
            raise PaginationError(f"{name}: KIS sent tr_cont {continuation.tr_cont!r}, neither more ({'/'.join(paging.more)}) nor last ({'/'.join(paging.last)}); stopping instead of guessing")
        # Keys KIS sends back must move on; an operation paged by tr_cont alone has none, and
        # max_pages is what stops a read that never ends.
        if continuation.keys and not any(value.strip() for _, value in continuation.keys):
            shown = ", ".join(request for request, _ in continuation.keys)
            raise PaginationError(f"{name}: KIS said more pages follow (tr_cont {continuation.tr_cont!r}) but sent empty continuation keys ({shown}); the next request would start over")
        if continuation.keys and continuation.keys in seen:
            raise PaginationError(f"{name}: KIS sent the same continuation keys twice; stopping instead of looping")
        limit = self.settings.max_pages
        if limit is not None and count >= limit:
            raise PaginationError(f"{name}: KIS still says more pages follow after {count} pages, the client's max_pages; raise it (or pass max_pages=None) to read further")
        seen.add(continuation.keys)
        return call.next_page(continuation, paging.next_tr_cont)

    def limited(self, call: PreparedCall) -> RateLimiter | None:
        # Token issuance has its own limit (one a minute) and happens while others wait for it.
        if call.operation is self.settings.token_spec.operation:
            return None
        return self.settings.rate_limiter


def body_bytes(params: Mapping[str, Any]) -> bytes:
    """The JSON body, byte for byte the same for the hashkey request and the order."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        super().__init__(settings)
        self.http = client

    def close(self) -> None:
        self.http.close()

    def token(self, deadline: float | None = None) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        deadline = self.deadline(deadline)
        if not self._token_lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
            raise DeadlineExceededError(f"the call's {self.settings.deadline:g} s deadline passed while another thread was getting a token")
        try:
            cached = self.cached_token()
            if cached is not None:
                return cached
            settings = self.settings
            token = settings.token_cache.obtain(settings.token_slot, lambda: self._issue(deadline), too_soon=settings.token_spec.too_soon, deadline=deadline)
            self._token = token
            return token
        finally:
            self._token_lock.release()

    def _issue(self, deadline: float) -> Token:
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(self.send(self.token_call(), deadline))

    def forget_token(self, stale: Token | None = None, deadline: float | None = None) -> None:
        value = self._forget_memory(stale)
        if value is not None:
            self.settings.token_cache.discard(self.settings.token_slot, value, deadline)

    def exchange(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> Reply:
        """One request and its whole reply, streamed within the size cap and the deadline."""
        import httpx

        from kis_client._network import call_time

        http = self.http
        with call_time(deadline) as time_left:
            try:
                response = http.send(http.build_request(**self.request_args(call, headers, deadline)), stream=True)
                try:
                    body = self.body()
                    for chunk in response.iter_bytes():
                        body.add(chunk)
                finally:
                    response.close()
            except httpx.TimeoutException as error:
                self.check_deadline(error, time_left)
                raise
        return read_reply(call, response.status_code, response.reason_phrase, response.headers.get("tr_cont", ""), body.value())

    def send(self, call: PreparedCall, deadline: float | None = None) -> Reply:
        import httpx

        op = call.operation
        deadline = self.deadline(deadline)
        needs_token = "authorization" in op.headers
        hashkey = None
        if self.settings.hashkey is not None and op.kind == "order":
            hashkey = self.hash_of(self.send(self.settings.hashkey.prepare(call.params), deadline))
        renewed = False
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise self.out_of_time(call, "its turn")
            token = self.token(deadline) if needs_token else None
            limiter = self.limited(call)
            if limiter is not None and not limiter.acquire(deadline - time.monotonic()):
                raise self.out_of_time(call, "the rate limit")
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                headers = self.headers(call, token.value if token is not None else None, hashkey)
                return self.exchange(call, headers, deadline)
            except (KisApiError, HttpStatusError, httpx.RequestError, Unreadable) as error:
                wait = self.on_failure(call, error, attempt, renewed, deadline)
            if wait is None:
                renewed = True
                self.forget_token(token, deadline)
            else:
                attempt += 1
                time.sleep(wait)

    def pages(self, call: PreparedCall) -> Iterator[tuple[PreparedCall, Reply]]:
        """Every page, following tr_cont (and the keys KIS sends back) until KIS says it is the last."""
        seen: set[tuple[tuple[str, str], ...]] = set()
        page: PreparedCall | None = call
        count = 0
        while page is not None:
            reply = self.send(page)
            count += 1
            yield page, reply
            page = self.next_page(page, reply, seen, count)


class AsyncCore(_CoreBase):
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        super().__init__(settings)
        self.http = client
        self._async_lock: asyncio.Lock | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def token(self, deadline: float | None = None) -> Token:
        cached = self.cached_token()
        if cached is not None:
            return cached
        import asyncio

        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        deadline = self.deadline(deadline)
        try:
            # asyncio.timeout, not wait_for: a cancelled Lock.acquire never holds the lock.
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                await self._async_lock.acquire()
        except TimeoutError:
            raise DeadlineExceededError(f"the call's {self.settings.deadline:g} s deadline passed while another task was getting a token") from None
        try:
            cached = self.cached_token()
            if cached is not None:
                return cached
            settings = self.settings
            token = await settings.token_cache.obtain_async(settings.token_slot, lambda: self._issue(deadline), too_soon=settings.token_spec.too_soon, deadline=deadline)
            self._token = token
            return token
        finally:
            self._async_lock.release()

    async def _issue(self, deadline: float) -> Token:
        logger.info("issuing an access token (%s)", self.settings.env)
        return self.token_from(await self.send(self.token_call(), deadline))

    async def forget_token(self, stale: Token | None = None, deadline: float | None = None) -> None:
        value = self._forget_memory(stale)
        if value is not None:
            await self.settings.token_cache.discard_async(self.settings.token_slot, value, deadline)

    async def exchange(self, call: PreparedCall, headers: dict[str, str], deadline: float) -> Reply:
        import httpx

        from kis_client._network import call_time

        http = self.http
        with call_time(deadline) as time_left:
            try:
                response = await http.send(http.build_request(**self.request_args(call, headers, deadline)), stream=True)
                try:
                    body = self.body()
                    async for chunk in response.aiter_bytes():
                        body.add(chunk)
                finally:
                    await response.aclose()
            except httpx.TimeoutException as error:
                self.check_deadline(error, time_left)
                raise
        return read_reply(call, response.status_code, response.reason_phrase, response.headers.get("tr_cont", ""), body.value())

    async def send(self, call: PreparedCall, deadline: float | None = None) -> Reply:
        import httpx

        op = call.operation
        deadline = self.deadline(deadline)
        needs_token = "authorization" in op.headers
        hashkey = None
        if self.settings.hashkey is not None and op.kind == "order":
            hashkey = self.hash_of(await self.send(self.settings.hashkey.prepare(call.params), deadline))
        renewed = False
        attempt = 0
        while True:
            if time.monotonic() >= deadline:
                raise self.out_of_time(call, "its turn")
            token = await self.token(deadline) if needs_token else None
            limiter = self.limited(call)
            if limiter is not None and not await limiter.acquire_async(deadline - time.monotonic()):
                raise self.out_of_time(call, "the rate limit")
            try:
                logger.debug("%s %s tr_id=%s tr_cont=%r", op.method, op.path, call.tr_id, call.tr_cont)
                headers = self.headers(call, token.value if token is not None else None, hashkey)
                return await self.exchange(call, headers, deadline)
            except (KisApiError, HttpStatusError, httpx.RequestError, Unreadable) as error:
                wait = self.on_failure(call, error, attempt, renewed, deadline)
            if wait is None:
                renewed = True
                await self.forget_token(token, deadline)
            else:
                attempt += 1
                import asyncio
                await asyncio.sleep(wait)

    async def pages(self, call: PreparedCall) -> AsyncIterator[tuple[PreparedCall, Reply]]:
        seen: set[tuple[tuple[str, str], ...]] = set()
        page: PreparedCall | None = call
        count = 0
        while page is not None:
            reply = await self.send(page)
            count += 1
            yield page, reply
            page = self.next_page(page, reply, seen, count)
