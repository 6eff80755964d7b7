"""The real-time feed: ticks of 005930, and an order's execution notices, decrypted and typed.

    python examples/realtime.py

Starts the sandbox in this process (mock environment, 모의투자), whose feed is on the same port as
its REST side. With kis_client: a real-time session (its approval key issued over REST), 005930's
ticks, then execution notices registered by HTS ID; a buy of 005930 placed over REST arrives on
the socket as two notices, the order accepted and then filled, decrypted with this session's key
and read as typed records.
"""

from __future__ import annotations

from kisgen.sandbox import running_sandbox
from kis_client import KisClient, Side
from kis_client.enums import OrdDvsn
from kis_client.realtime import RealtimeRecord, RealtimeSession, StockNotice, StockTick

ACCOUNT = "50123456-01"
HTS_ID = "DEMOHTSID"  # execution notices are registered by the HTS ID, not the account
WAIT = 10.0  # seconds: the sandbox ticks every half second


def next_of(feed: RealtimeSession, kind: type[RealtimeRecord]) -> RealtimeRecord:
    """The next record of ``kind``, skipping the others (the ticks go on meanwhile)."""
    while True:
        record = feed.receive(timeout=WAIT)
        if isinstance(record, kind):
            return record


def main() -> None:
    with running_sandbox("mock", tick_interval=0.5) as sandbox:
        print(f"KIS sandbox (mock) at {sandbox.base_url}, its feed at {sandbox.base_url.replace('http', 'ws')}/tryitout\n")
        with KisClient("demo-realtime-key-0001", "demo-app-secret-0001", account=ACCOUNT, base_url=sandbox.base_url, token_cache=False) as client:
            with client.realtime() as feed:
                feed.subscribe(StockTick, "005930")
                print(f"1. registered 005930 ticks (H0STCNT0) on {feed.url}: KIS acknowledged, approval key issued over REST")
                for _ in range(3):
                    tick = next_of(feed, StockTick)
                    assert isinstance(tick, StockTick)
                    print(f"   tick {tick.stck_cntg_hour}: {tick.key} {tick.stck_prpr:,}원 × {tick.cntg_vol}주 (누적 {tick.acml_vol:,}주, {tick.prdy_ctrt:+}%)")

                feed.subscribe(StockNotice, HTS_ID)
                print(f"2. registered execution notices for HTS ID {HTS_ID} (H0STCNI9 on mock; AES-encrypted)")

                order = client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn=OrdDvsn.LIMIT, ord_qty="5", ord_unpr="71000")
                print(f"3. bought 5 × 005930 at 71,000원 limit over REST: order {order.order.odno}")

                for _ in range(2):
                    notice = next_of(feed, StockNotice)
                    assert isinstance(notice, StockNotice) and notice.oder_no == order.order.odno
                    what = "filled" if notice.cntg_yn == "2" else "accepted"
                    print(f"   notice: order {notice.oder_no} {what}: {notice.cntg_qty}주 at {notice.cntg_unpr:,}원 ({notice.cntg_isnm40}, account {notice.acnt_no})")
            print(f"4. closed the session: {feed.connections} connection, {len(sandbox.feed.view(ended=True))} session seen by the sandbox")


if __name__ == "__main__":
    main()
