"""The real-time feed's benchmarks (bench/run.py sections 8 and 9).

Decoding: H0STCNT0 frames of 1 and of 20 records into kis_client's typed records, against the
naive approach (split, then zip the column names into a dict per record), in records a second.
End to end: the sandbox sends one-record H0STCNT0 frames at 1,000 a second; the latency of each
is the time from the sandbox's write to the typed record in the program's hands, median and 99th
percentile. The sandbox runs in a process of its own; ``time.perf_counter`` (the system's
monotonic clock) is one clock for both.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

RATE = 1000  # frames a second
MESSAGES = 5000  # measured, after WARMUP
WARMUP = 500
TRIALS = 3  # each session's figures are the median of its trials, the sessions alternated


def tick_payload(records: int) -> str:
    """H0STCNT0 records as the sandbox writes them: every field a value of its kind."""
    from datetime import datetime

    from kisgen.pipeline import load_spec
    from kisgen.sandbox.feed_values import record

    spec = load_spec()
    assert spec.realtime is not None
    tr = spec.realtime.tr("H0STCNT0")
    now = datetime(2026, 12, 7, 9, 33, 54)
    values = {"STCK_PRPR": "71900", "PRDY_VRSS": "-100", "PRDY_CTRT": "-0.14", "CNTG_VOL": "12", "CTTR": "102.31"}
    return "^".join("^".join(record(tr, "005930", dict(values, ACML_VOL=str(1000 + index)), now)) for index in range(records))


def naive(columns: tuple[str, ...], payload: str, count: int) -> list[dict[str, str]]:
    """What most clients do: split, then a dict per record."""
    values = payload.split("^")
    width = len(values) // count
    return [dict(zip(columns, values[start : start + width])) for start in range(0, len(values), width)]


def bench_decode(per_call: Callable[[Callable[[], object]], float]) -> dict[str, dict[str, float]]:
    """Records a second for each way of decoding, by frame size."""
    from kis_client._realtime_records import decode
    from kis_client.realtime import StockTick

    columns = StockTick.TR.wire
    names = StockTick.TR.names

    def read_all(records: list[StockTick]) -> None:
        for record in records:
            for name in names:
                getattr(record, name)

    results: dict[str, dict[str, float]] = {}
    for count in (1, 20):
        payload = tick_payload(count)
        records, _ = decode(StockTick, payload, count)
        assert len(records) == count and records[-1].acml_vol == 1000 + count - 1
        assert naive(columns, payload, count)[-1]["ACML_VOL"] == str(1000 + count - 1)
        contenders: dict[str, Callable[[], object]] = {
            "naive: split, zip into a dict per record (strings)": lambda: naive(columns, payload, count),
            "kis_client: typed records (values read when asked)": lambda: decode(StockTick, payload, count),
            "kis_client: typed records, every field read": lambda: read_all(decode(StockTick, payload, count)[0]),
        }
        results[f"{count} record{'s' if count > 1 else ''} a frame"] = {name: count / per_call(function) for name, function in contenders.items()}
    return results


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"median": statistics.median(ordered), "p99": ordered[int(len(ordered) * 0.99) - 1], "max": ordered[-1], "count": float(len(ordered))}


def _sandbox(connection: Any) -> None:
    """The sandbox in a process of its own (so that the client's threads and the sandbox's do
    not take turns at one GIL): it sends its base URL, then plays each (app key, count, rate) it
    is sent and answers with when it wrote each frame, by the frame's ACML_VOL."""
    from kisgen.sandbox import running_sandbox

    with running_sandbox("mock", rate_limit_per_second=0, tick_interval=None, pingpong_interval=None) as sandbox:
        connection.send(sandbox.base_url)
        while (order := connection.recv()) is not None:
            app_key, count, rate = order
            sandbox.feed.play("H0STCNT0", "005930", count, rate)
            sent = {}
            for session in sandbox.feed.view(ended=True):
                if session.app_key == app_key:
                    for frame in session.sent:
                        sent[int(frame.frame.split("|", 3)[3].split("^")[13])] = frame.at
            connection.send(sent)


def bench_latency() -> dict[str, Any]:
    """Sandbox write to typed record, at RATE a second: the async session, and the sync one
    (which hands each record from its thread to the caller's). The sandbox runs in another
    process; ``time.perf_counter`` is the system's monotonic clock, one for both."""
    import multiprocessing
    import threading

    from kis_client import AsyncKisClient, KisClient
    from kis_client.realtime import StockTick

    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=_sandbox, args=(theirs,), daemon=True)
    process.start()
    results: dict[str, Any] = {}
    try:
        base_url = mine.recv()
        total = WARMUP + MESSAGES
        answer: dict[str, dict[int, float]] = {}

        def play(app_key: str) -> threading.Thread:
            def run() -> None:
                mine.send((app_key, total, RATE))
                answer[app_key] = mine.recv()

            player = threading.Thread(target=run)
            player.start()
            return player

        async def async_run(app_key: str) -> list[tuple[int, float]]:
            async with AsyncKisClient(app_key, "bench-secret-0001", base_url=base_url, token_cache=False, rate_limit=0) as client:
                async with client.realtime() as feed:
                    await feed.subscribe(StockTick, "005930")
                    player = play(app_key)
                    got = []
                    for _ in range(total):
                        record = await feed.receive(timeout=30)
                        got.append((int(record[13]), time.perf_counter()))
                    await asyncio.to_thread(player.join)
            return got

        def sync_run(app_key: str) -> list[tuple[int, float]]:
            with KisClient(app_key, "bench-secret-0001", base_url=base_url, token_cache=False, rate_limit=0) as client, client.realtime() as feed:
                feed.subscribe(StockTick, "005930")
                player = play(app_key)
                got = []
                for _ in range(total):
                    record = feed.receive(timeout=30)
                    got.append((int(record[13]), time.perf_counter()))
                player.join()
            return got

        runs: dict[str, Callable[[str], list[tuple[int, float]]]] = {
            "async session (AsyncKisClient)": lambda app_key: asyncio.run(async_run(app_key)),
            "sync session (KisClient)": sync_run,
        }
        measured: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
        for trial in range(TRIALS):
            for index, (name, run) in enumerate(runs.items()):
                app_key = f"bench-realtime-key-{trial}-{index}"
                got = run(app_key)
                sent = answer[app_key]
                latencies = [received - sent[volume] for volume, received in got[WARMUP:]]
                assert len(latencies) == MESSAGES and all(latency > 0 for latency in latencies)
                measured[name].append(_percentiles(latencies))
        sessions = {name: {key: statistics.median(trial[key] for trial in trials) for key in trials[0]} for name, trials in measured.items()}
        results = {"sessions": sessions, "load_average": os.getloadavg()[0]}
    finally:
        mine.send(None)
        process.join(timeout=30)
    return results
