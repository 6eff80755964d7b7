"""The sandbox's real-time feed on the wire, spoken to by hand: KIS's answers and limits, the
environments' TRs, values from the sandbox's state, the ticker, and what it refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from tests.conftest import fresh_app_key, pinned_clock
from tests.realtime_support import approval_key, quiet_sandbox, registration, ws_url

@pytest.fixture(scope="module")
def real_feed(spec: Spec) -> Iterator[RunningSandbox]:
    with quiet_sandbox(spec, "real") as sandbox:
        yield sandbox


async def ask(connection: ClientConnection, text: str) -> dict[str, Any]:
    await connection.send(text)
    answer = json.loads(await asyncio.wait_for(connection.recv(), 10))
    assert isinstance(answer, dict)
    return answer


def test_the_42nd_registration_is_max_subscribe_over(real_feed: RunningSandbox) -> None:
    key = approval_key(real_feed, fresh_app_key())

    async def scenario() -> list[dict[str, Any]]:
        async with connect(ws_url(real_feed)) as connection:
            answers = [await ask(connection, registration(key, "H0STCNT0", f"{index:06d}")) for index in range(41)]
            answers.append(await ask(connection, registration(key, "H0STCNI0", "HTSID01")))  # notices count too
            answers.append(await ask(connection, registration(key, "H0STCNT0", "000000", tr_type="2")))
            answers.append(await ask(connection, registration(key, "H0STCNI0", "HTSID01")))
            return answers

    answers = asyncio.run(scenario())
    assert [a["body"]["msg_cd"] for a in answers[:41]] == ["OPSP0000"] * 41
    assert answers[41]["body"] == {"rt_cd": "1", "msg_cd": "OPSP0008", "msg1": "MAX SUBSCRIBE OVER"}
    assert answers[42]["body"] == {"rt_cd": "0", "msg_cd": "OPSP0001", "msg1": "UNSUBSCRIBE SUCCESS"}
    assert answers[43]["body"]["msg_cd"] == "OPSP0000" and answers[43]["header"]["encrypt"] == "Y"
    output = answers[0]["body"]["output"]
    assert len(output["key"]) == 32 and len(output["iv"]) == 16 and output["key"].isascii()


def test_a_second_session_of_an_app_key_is_already_in_use(real_feed: RunningSandbox) -> None:
    app_key = fresh_app_key()
    key = approval_key(real_feed, app_key)

    async def scenario() -> dict[str, Any]:
        async with connect(ws_url(real_feed)) as first, connect(ws_url(real_feed, "/")) as second:  # the bare host:port too
            assert (await ask(first, registration(key, "H0STCNT0", "005930")))["body"]["msg_cd"] == "OPSP0000"
            return await ask(second, registration(approval_key(real_feed, app_key), "H0STCNT0", "005930"))

    assert asyncio.run(scenario()) == {"header": {"tr_id": "(null)", "tr_key": "", "encrypt": "N"}, "body": {"rt_cd": "9", "msg_cd": "OPSP8996", "msg1": "ALREADY IN USE appkey"}}


def test_overseas_quotes_come_from_the_sandbox_prices_on_a_real_feed(real_feed: RunningSandbox) -> None:
    app_key = fresh_app_key()
    key = approval_key(real_feed, app_key)

    async def scenario() -> list[str]:
        async with connect(ws_url(real_feed)) as connection:
            for tr_id in ("HDFSCNT0", "HDFSASP0"):
                assert (await ask(connection, registration(key, tr_id, "DNASAAPL")))["body"]["msg_cd"] == "OPSP0000"
            for tr_id in ("HDFSCNT0", "HDFSASP0"):
                assert await asyncio.to_thread(real_feed.feed.publish, tr_id, "DNASAAPL") == 1
            return [str(await asyncio.wait_for(connection.recv(), 10)) for _ in range(2)]

    tick, book = (frame.split("|", 3) for frame in asyncio.run(scenario()))
    assert tick[:3] == ["0", "HDFSCNT0", "001"] and book[:3] == ["0", "HDFSASP0", "001"]
    tick_values, book_values = tick[3].split("^"), book[3].split("^")
    assert len(tick_values) == 26 and len(book_values) == 71
    assert (tick_values[0], tick_values[1], tick_values[11]) == ("DNASAAPL", "AAPL", "190.0000")  # RSYM, SYMB, LAST
    bids, asks = [Decimal(book_values[11 + 6 * level]) for level in range(10)], [Decimal(book_values[12 + 6 * level]) for level in range(10)]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]


def test_the_mock_feed_serves_no_overseas_quotes_and_no_real_tr_ids(mock_sandbox: RunningSandbox) -> None:
    key = approval_key(mock_sandbox, fresh_app_key())

    async def scenario() -> list[str]:
        async with connect(ws_url(mock_sandbox)) as connection:
            sends = [("HDFSCNT0", "DNASAAPL"), ("HDFSASP1", "DHKS00003"), ("H0STCNI0", "HTSID01"), ("H0STCNI9", "HTSID01")]
            return [(await ask(connection, registration(key, tr_id, tr_key)))["body"]["msg_cd"] for tr_id, tr_key in sends]

    assert asyncio.run(scenario()) == ["SBX05003", "SBX05003", "SBX05003", "OPSP0000"]


def test_an_expired_approval_key_registers_nothing(spec: Spec) -> None:
    with quiet_sandbox(spec) as sandbox:
        key = approval_key(sandbox, fresh_app_key())
        sandbox.state.expire_approval_keys()

        async def scenario() -> dict[str, Any]:
            async with connect(ws_url(sandbox)) as connection:
                return await ask(connection, registration(key, "H0STCNT0", "005930"))

        answer = asyncio.run(scenario())
        assert answer["body"]["msg_cd"] == "SBX05001" and answer["body"]["rt_cd"] == "1"
        assert [session.registrations for session in sandbox.feed.view(ended=True)] == [()]


def test_the_ticker_sends_each_registered_symbol_ticks_and_books(spec: Spec) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, clock=pinned_clock(), tick_interval=0.02, pingpong_interval=0.02) as sandbox:
        key = approval_key(sandbox, fresh_app_key())

        async def scenario() -> list[str]:
            async with connect(ws_url(sandbox)) as connection:
                await ask(connection, registration(key, "H0STCNT0", "005930"))
                await ask(connection, registration(key, "H0STASP0", "005930"))
                return [str(await asyncio.wait_for(connection.recv(), 10)) for _ in range(12)]

        messages = asyncio.run(scenario())
    kinds = {text.split("|")[1] if text[0] in "01" else json.loads(text)["header"]["tr_id"] for text in messages}
    assert kinds >= {"H0STCNT0", "H0STASP0", "PINGPONG"}
    volumes = [int(text.split("^")[13]) for text in messages if text.startswith("0|H0STCNT0|")]
    assert volumes == sorted(volumes) and len(set(volumes)) == len(volumes)  # 누적 거래량 only grows


def test_only_the_feed_path_is_a_feed(mock_sandbox: RunningSandbox) -> None:
    async def scenario() -> None:
        async with connect(ws_url(mock_sandbox, "/elsewhere")):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


def test_the_cli_sets_the_feed_s_intervals() -> None:
    from kisgen.cli import build_parser

    args = build_parser().parse_args(["sandbox", "--tick-interval", "0.5", "--pingpong-interval", "0"])
    assert (args.tick_interval, args.pingpong_interval) == (0.5, 0.0)  # 0: none (the sandbox is given None)
    assert (build_parser().parse_args(["sandbox"]).tick_interval, build_parser().parse_args(["sandbox"]).pingpong_interval) == (1.0, 10.0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--tick-interval", "-1"])
