"""The README's main job: the examples run against in-process sandboxes and say what happened."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent



def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # everything an example has to say is in its steps
    return done.stdout


def test_quickstart_tours_orders_and_balances() -> None:
    out = run_example("quickstart.py")
    assert "1. token: 1 issued" in out
    assert "2. quote: 005930 at 70,000원" in out
    assert "3. buying power: 10,000,000원 cash, 142주 of 005930 at market" in out
    assert "005930 삼성전자: 10주, avg 70,000원" in out
    assert re.search(r"rests below the price: order (\d{10})\n   open order listed: \1 삼성전자 매수 5주 at 60,000원", out)
    assert "inquire_psbl_rvsecncl is real-only: the client refused it on mock" in out
    assert "cancelled: order" in out and "open orders left: 0" in out
    assert re.search(r"today's fills \(domestic\):\n   \d{10} 매수 005930 10주 at 70,000원 = 700,000원\n8\.", out)
    assert "AAPL 애플: 3주, avg $190.00" in out
    assert "USD deposit $9,430.00" in out


def test_error_handling_shows_each_kind_of_error() -> None:
    out = run_example("error_handling.py")
    assert "refused before sending — ORD_QTY" in out and "market_order_price_zero" in out
    assert "KIS said no — SBX03002" in out
    steps = re.split(r"^(?=\d\. )", out, flags=re.MULTILINE)
    assert [step[:2] for step in steps[1:]] == ["1.", "2.", "3.", "4.", "5."]
    assert "EGW00201" in steps[3]
    retries = re.findall(r"^   kis_client log: domestic_stock.inquire_balance: rate limited \(EGW00201\); retrying$", steps[4], flags=re.MULTILINE)
    assert retries and "all 5 answered;" in steps[4]
    assert "all 5 answered at the first attempt" in steps[5] and "kis_client log" not in steps[5]


def test_markets_reads_flows_rankings_futures_etfs_and_a_paged_chart() -> None:
    out = run_example("markets.py")
    assert re.search(r"1\. investor flows for 005930, 30 days, newest first:\n   \d{4}-\d{2}-\d{2}: close 70,000원", out)
    assert "2. futures quote 101W09: 350.00," in out
    assert re.search(r"3\. KOSPI daily chart, paged by tr_cont alone: 2 pages, 30 days", out)
    assert "4. domestic_stock.volume_rank is real-only: the mock client refused it, nothing was sent" in out
    ranking = re.findall(r"^   #(\d) (.+) \((\d{6})\): ([\d,]+)주 at ([\d,]+)원$", out, flags=re.MULTILINE)
    assert [rank for rank, *_ in ranking] == ["1", "2", "3"] and {symbol for _, _, symbol, _, _ in ranking} == {"005930", "000660", "069500"}
    volumes = [int(volume.replace(",", "")) for *_, volume, _ in ranking]
    assert volumes == sorted(volumes, reverse=True)
    assert "6. ETF 069500 KODEX 200: 35,000원" in out


def test_realtime_shows_ticks_and_an_order_s_notices_decrypted() -> None:
    out = run_example("realtime.py")
    assert "1. registered 005930 ticks (H0STCNT0)" in out
    ticks = re.findall(r"^   tick \d\d:\d\d:\d\d: 005930 70,000원 × \d+주 \(누적 ([\d,]+)주", out, flags=re.MULTILINE)
    volumes = [int(volume.replace(",", "")) for volume in ticks]
    assert len(volumes) == 3 and volumes == sorted(volumes)
    order = re.search(r"3\. bought 5 × 005930 at 71,000원 limit over REST: order (\d{10})", out)
    assert order is not None
    assert f"notice: order {order.group(1)} accepted: 5주 at 71,000원 (삼성전자, account 5012345601)" in out
    assert f"notice: order {order.group(1)} filled: 5주 at 70,000원" in out
    assert "4. closed the session: 1 connection" in out
