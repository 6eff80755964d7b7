"""The rate limiter: per environment from the spec, shared by threads and tasks, configurable."""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from pathlib import Path

import pytest
from tests.fault_server import FaultServer, client_options, fault_server

from kis_client import AsyncKisClient, KisClient, Side
from kis_client._rate_limit import RateLimiter
from kis_client.enums import RATE_LIMITS

__all__ = ["fault_server"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_calls_beyond_the_limit_are_spread_over_the_following_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock)
    window = 1 + RateLimiter.JITTER_MARGIN  # a little over a second, so jitter cannot beat KIS's count
    assert [limiter.reserve() for _ in range(6)] == pytest.approx([0, 0, window, window, 2 * window, 2 * window])
    clock.now += 10
    assert limiter.reserve() == 0


def test_a_fractional_rate_spaces_single_calls() -> None:
    limiter = RateLimiter(0.5, clock=FakeClock())
    window = 2 + RateLimiter.JITTER_MARGIN
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0, window, 2 * window])


def test_no_one_second_window_ever_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock)
    rng = random.Random(7)
    starts = []
    for _ in range(500):
        clock.now += rng.choice([0, 0, 0, 0.001, 0.01, 0.2])
        starts.append(clock.now + limiter.reserve())
    for start in starts:
        assert sum(1 for other in starts if start <= other < start + 1.0) <= 20
    # A token bucket would let 40 through around a second's edge; this never exceeds 20.


def test_threads_share_one_limiter() -> None:
    limiter = RateLimiter(2, clock=FakeClock())
    delays: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        delay = limiter.reserve()
        with lock:
            delays.append(delay)

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window = 1 + RateLimiter.JITTER_MARGIN
    assert sorted(delays) == pytest.approx([window * (index // 2) for index in range(10)])


def test_async_waits_on_the_loop_never_in_time_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter(2, clock=FakeClock())
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    def forbidden(seconds: float) -> None:
        raise AssertionError("time.sleep in async code")

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(time, "sleep", forbidden)

    async def main() -> None:
        await asyncio.gather(*(limiter.acquire_async() for _ in range(5)))

    asyncio.run(main())
    window = 1 + RateLimiter.JITTER_MARGIN
    assert sorted(slept) == pytest.approx([window, window, 2 * window])


def test_rate_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)


@pytest.mark.parametrize("env", ["mock", "real"])
def test_the_default_limit_is_the_spec_limit_for_the_environment(env: str) -> None:
    with KisClient("k" * 36, "s" * 180, env=env, token_cache=False) as client:
        limiter = client._core.settings.rate_limiter
    assert limiter is not None
    assert limiter.per_second == RATE_LIMITS[env] == {"mock": 2.0, "real": 20.0}[env]


def test_the_limit_is_configurable_and_0_turns_it_off() -> None:
    with KisClient("k" * 36, "s" * 180, rate_limit=5, token_cache=False) as client:
        assert client._core.settings.rate_limiter is not None
        assert client._core.settings.rate_limiter.per_second == 5
    with KisClient("k" * 36, "s" * 180, rate_limit=0, token_cache=False) as client:
        assert client._core.settings.rate_limiter is None
    shared = RateLimiter(3)
    with KisClient("k" * 36, "s" * 180, rate_limit=shared, token_cache=False) as one:
        two = AsyncKisClient("k" * 36, "s" * 180, rate_limit=shared, token_cache=False)
        assert one._core.settings.rate_limiter is two._core.settings.rate_limiter is shared
        asyncio.run(two.close())


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(1000)
        self.count = 0

    def reserve(self, max_wait: float = math.inf) -> float | None:
        self.count += 1
        return super().reserve(max_wait)


def test_every_call_but_token_issuance_passes_the_limiter(fault_server: FaultServer, tmp_path: Path) -> None:
    limiter = CountingLimiter()
    with KisClient(**client_options(fault_server, tmp_path, rate_limit=limiter, hashkey=True)) as client:
        client.domestic_stock.inquire_balance()
        client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="70000")
    assert fault_server.tokens_issued() == 1
    assert limiter.count == 3  # balance, hashkey, order
