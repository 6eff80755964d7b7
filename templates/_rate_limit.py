"""Rate limiting: a sliding window shared by the threads (or tasks) of one client."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``per_second`` calls in any one-second window (KIS counts calls per second).

    A token bucket would let twice the limit through around a second's edge; a window of the
    last calls' start times does not. The window is a little longer than a second so that
    network jitter cannot squeeze two windows into one of KIS's. Waits are reserved under a
    thread lock and slept outside it, so threads and asyncio tasks (``acquire_async`` never
    blocks the loop) share one limiter.
    """

    JITTER_MARGIN = 0.05  # seconds

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive; pass 0 to the client to turn it off")
        self.per_second = per_second
        self._calls = max(1, int(per_second))
        self._window = self._calls / per_second + self.JITTER_MARGIN  # 20/s: 20 per 1.05 s
        self._starts: deque[float] = deque(maxlen=self._calls)
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter({self.per_second}/s)"

    def reserve(self, max_wait: float = math.inf) -> float | None:
        """Book the next free start time; return how long the caller must wait for it, or None
        (booking nothing) when that would be longer than ``max_wait``."""
        with self._lock:
            now = self._clock()
            start = now
            if len(self._starts) == self._calls:
                start = max(now, self._starts[0] + self._window)
            if start - now > max_wait:
                return None
            self._starts.append(start)
            return start - now

    def acquire(self, max_wait: float = math.inf) -> bool:
        """Wait for a start; False (without waiting) when it is more than ``max_wait`` away."""
        delay = self.reserve(max_wait)
        if delay is None:
            return False
        if delay > 0:
            time.sleep(delay)
        return True

    async def acquire_async(self, max_wait: float = math.inf) -> bool:
        delay = self.reserve(max_wait)
        if delay is None:
            return False
        if delay > 0:
            import asyncio
            await asyncio.sleep(delay)
        return True
