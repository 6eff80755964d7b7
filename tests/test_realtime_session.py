"""The generated client's real-time session against the sandbox's feed, over real sockets:
registrations and their acknowledgements, ticks in frames of several records, execution notices
of orders placed over REST (decrypted), PINGPONG, KIS's limits and control codes, reconnecting
after a drop or a stall with every registration restored, wider and narrower records, and no
secret in any log.

The sandbox sends nothing by itself here (no ticks, no PINGPONG): each test publishes what it
reads, so nothing depends on timing but the bounded waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox
from kisgen.sandbox.feed import SessionView
from kis_client import AsyncKisClient, KisClient, RetryPolicy, Side, UnsupportedEnvironmentError, ValidationError
from kis_client._realtime import _decrypt
from kis_client.errors import AppKeyInUseError, RealtimeError, RegistrationLimitError
from kis_client.realtime import OverseasTick, RealtimeProblem, RealtimeRecord, RealtimeSession, StockNotice, StockOrderBook, StockTick
from tests.conftest import ClientFactory, fresh_account, fresh_app_key
from tests.realtime_support import SECRET, quiet_sandbox

FAST = RetryPolicy(attempts=5, backoff=0.05, max_backoff=0.2)
HTS_ID = "HTSID01"


@pytest.fixture(scope="module")
def feed_sandbox(spec: Spec) -> Iterator[RunningSandbox]:
    with quiet_sandbox(spec) as sandbox:
        yield sandbox


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.01)


def sessions_of(sandbox: RunningSandbox, app_key: str, ended: bool = False) -> list[SessionView]:
    return [session for session in sandbox.feed.view(ended=ended) if session.app_key == app_key]


def live_registrations(sandbox: RunningSandbox, app_key: str) -> list[tuple[tuple[str, str], ...]]:
    """The registrations of each session of the app key that was neither dropped nor stalled."""
    return [session.registrations for session in sessions_of(sandbox, app_key) if not session.stalled]


def sent_records(sandbox: RunningSandbox, app_key: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every record the sandbox wrote to the app key's sessions, in order: (tr_id, values),
    notices decrypted with their session's key."""
    found = []
    for session in sessions_of(sandbox, app_key, ended=True):
        for sent in session.sent:
            flag, tr_id, count, payload = sent.frame.split("|", 3)
            if flag == "1":
                payload = _decrypt(session.key.encode(), session.iv.encode(), payload)
            values = payload.split("^")
            width = len(values) // int(count)
            found += [(tr_id, tuple(values[start : start + width])) for start in range(0, len(values), width)]
    return found


def receive(feed: RealtimeSession, count: int) -> list[RealtimeRecord]:
    return [feed.receive(timeout=10) for _ in range(count)]


def open_feed(sandbox: RunningSandbox, make_client: ClientFactory, **options: object) -> tuple[KisClient, RealtimeSession, str]:
    app_key = fresh_app_key()
    client = make_client(sandbox, app_key=app_key, app_secret=SECRET)
    feed = client.realtime(reconnect=FAST, **options)  # type: ignore[arg-type]
    feed.open()
    return client, feed, app_key


def test_ticks_arrive_typed_and_a_frame_of_twenty_records_is_twenty_records(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    _client, feed, app_key = open_feed(feed_sandbox, make_client)
    with feed:
        feed.subscribe(StockTick, "005930", "000660")
        assert [(session.registrations) for session in sessions_of(feed_sandbox, app_key)] == [(("H0STCNT0", "005930"), ("H0STCNT0", "000660"))]
        assert feed_sandbox.feed.publish("H0STCNT0", "005930", records=20) == 1
        assert feed_sandbox.feed.publish("H0STCNT0", "000660") == 1
        records = receive(feed, 21)
    assert all(type(record) is StockTick for record in records)
    ticks = [record for record in records if isinstance(record, StockTick)]
    assert [tick.key for tick in ticks] == ["005930"] * 20 + ["000660"]
    volumes = [tick.acml_vol or 0 for tick in ticks[:20]]
    assert volumes == sorted(volumes) and len(set(volumes)) == 20  # twenty trades, none twice
    assert ticks[0].stck_prpr == 70000 and ticks[-1].stck_prpr == 180000  # the sandbox's prices
    assert [(StockTick.TR.real_tr_id, tuple(tick)) for tick in ticks] == sent_records(feed_sandbox, app_key)


def test_an_order_placed_over_rest_arrives_as_its_decrypted_typed_notices(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client, feed, app_key = open_feed(feed_sandbox, make_client)
    with feed:
        feed.subscribe(StockNotice, HTS_ID)
        order = client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn="00", ord_qty="3", ord_unpr="71000")
        accepted, filled = receive(feed, 2)
    assert isinstance(accepted, StockNotice) and isinstance(filled, StockNotice)
    assert [(n.cust_id, n.oder_no, n.stck_shrn_iscd, n.seln_byov_cls) for n in (accepted, filled)] == [(HTS_ID, order.order.odno, "005930", "02")] * 2
    assert (accepted.cntg_yn, accepted.cntg_qty, accepted.cntg_unpr) == ("1", 3, 71000)  # the order: its quantity and limit
    assert (filled.cntg_yn, filled.cntg_qty, filled.cntg_unpr) == ("2", 3, 70000)  # the fill: at the sandbox's price
    assert accepted.acnt_no == client.account.replace("-", "")  # type: ignore[union-attr]
    frames = [sent.frame for session in sessions_of(feed_sandbox, app_key, ended=True) for sent in session.sent]
    assert [frame[:15] for frame in frames] == ["1|H0STCNI9|001|"] * 2  # the mock TR_ID, encrypted
    assert HTS_ID not in "".join(frames)


def test_pingpong_is_answered(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    _client, feed, app_key = open_feed(feed_sandbox, make_client)
    with feed:
        feed.subscribe(StockTick, "005930")
        assert feed_sandbox.feed.pingpong() >= 1
        wait_until(lambda: sessions_of(feed_sandbox, app_key)[0].pingpong_answers == 1, "the PINGPONG answered")
        assert feed_sandbox.feed.publish("H0STCNT0", "005930") == 1
        assert isinstance(feed.receive(timeout=10), StockTick)  # the PINGPONG was no record


def test_limits_and_environments_are_checked_before_anything_is_sent(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    _client, feed, app_key = open_feed(feed_sandbox, make_client)
    with feed:
        codes = [f"{index:06d}" for index in range(41)]
        feed.subscribe(StockTick, *codes)
        with pytest.raises(RegistrationLimitError, match="41"):
            feed.subscribe(StockOrderBook, "005930")
        with pytest.raises(UnsupportedEnvironmentError, match="HDFSCNT0"):
            feed.subscribe(OverseasTick, "DNASAAPL")  # 모의투자 미지원
        with pytest.raises(ValidationError, match="tr_key"):
            feed.subscribe(StockTick, "AAPL")
        assert len(sessions_of(feed_sandbox, app_key)[0].registrations) == 41
        feed.unsubscribe(StockTick, codes[0])
        feed.subscribe(StockOrderBook, "005930")  # a released registration makes room
        assert sessions_of(feed_sandbox, app_key)[0].registrations[-1] == ("H0STASP0", "005930")
        assert len(feed.registrations) == 41


def test_a_tr_the_environment_lacks_is_refused_without_connecting(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    app_key = fresh_app_key()
    client = make_client(feed_sandbox, app_key=app_key)
    with client.realtime() as feed, pytest.raises(UnsupportedEnvironmentError):
        feed.subscribe(OverseasTick, "DNASAAPL")
    assert not sessions_of(feed_sandbox, app_key, ended=True)  # no registration ever reached it


def test_a_drop_reconnects_restores_every_registration_and_loses_nothing_the_sandbox_sent(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client, feed, app_key = open_feed(feed_sandbox, make_client)
    wanted = (("H0STCNT0", "005930"), ("H0STCNT0", "000660"), ("H0STCNI9", HTS_ID))
    with feed:
        feed.subscribe(StockTick, "005930", "000660")
        feed.subscribe(StockNotice, HTS_ID)
        feed_sandbox.feed.publish("H0STCNT0", "005930", records=3)
        feed_sandbox.feed.publish("H0STCNT0", "000660")
        first = receive(feed, 4)
        assert feed_sandbox.feed.drop(app_key) == 1
        wait_until(lambda: live_registrations(feed_sandbox, app_key) == [wanted], "every registration restored")
        feed_sandbox.feed.publish("H0STCNT0", "005930", records=2)
        client.domestic_stock.order_cash(side=Side.BUY, pdno="000660", ord_dvsn="00", ord_qty="1", ord_unpr="180000")
        second = receive(feed, 4)  # two ticks, the order accepted and filled
        assert feed.connections == 2
    received = [(type(record).TR.tr_id("mock"), tuple(record)) for record in first + second]
    assert received == sent_records(feed_sandbox, app_key)  # nothing lost, nothing twice
    notices = [record for record in second if isinstance(record, StockNotice)]
    assert [notice.cntg_yn for notice in notices] == ["1", "2"]  # decrypted with the new session's key
    keys = {session.key for session in sessions_of(feed_sandbox, app_key, ended=True)}
    assert len(keys) == 2
    approval_keys = [owner for owner, _at in feed_sandbox.state.approval_keys.values() if owner == app_key]
    assert len(approval_keys) == 1  # issued once, reused on the reconnect


def test_a_silent_connection_is_replaced_and_its_registrations_restored(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    _client, feed, app_key = open_feed(feed_sandbox, make_client, stall_timeout=0.5)
    with feed:
        feed.subscribe(StockTick, "005930")
        assert feed_sandbox.feed.stall(app_key) == 1
        wait_until(lambda: live_registrations(feed_sandbox, app_key) == [(("H0STCNT0", "005930"),)], "a new session registered")
        assert feed_sandbox.feed.publish("H0STCNT0", "005930", app_key=app_key) == 1
        assert isinstance(feed.receive(timeout=10), StockTick)
        assert feed.connections == 2


def test_a_second_session_of_an_app_key_ends_at_once_without_reconnecting(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    _client, first, app_key = open_feed(feed_sandbox, make_client)
    second_client = make_client(feed_sandbox, app_key=app_key, app_secret=SECRET)
    with first, second_client.realtime(reconnect=FAST) as second:
        first.subscribe(StockTick, "005930")
        with pytest.raises(AppKeyInUseError) as refused:
            second.subscribe(StockTick, "000660")
        assert refused.value.msg_cd == "OPSP8996"
        with pytest.raises(AppKeyInUseError):
            second.receive(timeout=10)  # the session is over, and says why
        wait_until(lambda: len(feed_sandbox.feed.view()) == len([s for s in feed_sandbox.feed.view() if s.app_key is not None]), "the refused connection closed")
        assert second.connections == 1
        assert feed_sandbox.feed.publish("H0STCNT0", "005930") == 1
        assert isinstance(first.receive(timeout=10), StockTick)  # the first session is unharmed


def test_wider_records_are_delivered_with_their_extra_values_and_narrower_ones_reported(feed_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    problems: list[RealtimeProblem] = []
    _client, feed, _app_key = open_feed(feed_sandbox, make_client, on_problem=problems.append)
    with feed:
        feed.subscribe(StockTick, "005930")
        feed_sandbox.feed.publish("H0STCNT0", "005930", records=2, extra_fields=2)
        feed_sandbox.feed.publish("H0STCNT0", "005930", extra_fields=2)
        wider = receive(feed, 3)
        feed_sandbox.feed.publish("H0STCNT0", "005930", records=2, missing_fields=1)
        feed_sandbox.feed.publish("H0STCNT0", "005930")
        after = feed.receive(timeout=10)
    assert [record.extra for record in wider] == [("X0", "X1")] * 3
    assert all(isinstance(record, StockTick) and record.stck_prpr == 70000 for record in wider)
    assert isinstance(after, StockTick) and after.extra == ()  # the narrow frame did not end the stream
    assert [(problem.kind, problem.tr_id) for problem in problems] == [("extra", "H0STCNT0"), ("short", "H0STCNT0")]
    assert len(problems[1].values) == 2 * 45  # what KIS sent is kept with the report


def test_no_secret_reaches_any_log(feed_sandbox: RunningSandbox, make_client: ClientFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, feed, app_key = open_feed(feed_sandbox, make_client)
    with feed:
        feed.subscribe(StockNotice, HTS_ID)
        client.domestic_stock.order_cash(side=Side.BUY, pdno="005930", ord_dvsn="00", ord_qty="1", ord_unpr="70000")
        receive(feed, 2)
        feed_sandbox.feed.drop(app_key)
        wait_until(lambda: live_registrations(feed_sandbox, app_key) == [(("H0STCNI9", HTS_ID),)], "the notice registration restored")
    sessions = sessions_of(feed_sandbox, app_key, ended=True)
    approval = [key for key, (owner, _at) in feed_sandbox.state.approval_keys.items() if owner == app_key]
    secrets = [app_key, SECRET, *approval, *(s.key for s in sessions), *(s.iv for s in sessions)]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "websocket" in logged.lower()  # the websockets library did log, at DEBUG
    assert [secret for secret in secrets if secret in logged] == []


def test_the_async_session_iterates_until_closed(feed_sandbox: RunningSandbox) -> None:
    async def scenario() -> list[RealtimeRecord]:
        async with AsyncKisClient(fresh_app_key(), SECRET, account=fresh_account(), base_url=feed_sandbox.base_url, token_cache=False, rate_limit=0) as client:
            feed = client.realtime(reconnect=FAST)
            async with feed:
                await feed.subscribe(StockTick, "005930")
                await asyncio.to_thread(feed_sandbox.feed.publish, "H0STCNT0", "005930", 2)
                got = []
                async for record in feed:
                    got.append(record)
                    if len(got) == 2:
                        await feed.close()
            with pytest.raises(RealtimeError, match="closed"):
                await feed.receive(timeout=1)
            return got

    records = asyncio.run(scenario())
    assert [type(record) for record in records] == [StockTick, StockTick]


def test_already_subscribed_is_a_success(feed_sandbox: RunningSandbox) -> None:
    """KIS answers OPSP0002 (rt_cd "1") to a pair registered already, for example after a
    reconnect it did not notice: a server that answers so to everything."""
    heard: list[dict[str, object]] = []

    async def already(connection: ServerConnection) -> None:
        async for text in connection:
            message = json.loads(text)
            heard.append(message)
            request = message["body"]["input"]
            header = {"tr_id": request["tr_id"], "tr_key": request["tr_key"], "encrypt": "N"}
            await connection.send(json.dumps({"header": header, "body": {"rt_cd": "1", "msg_cd": "OPSP0002", "msg1": "ALREADY IN SUBSCRIBE"}}))
            await connection.send("0|H0STCNT0|001|" + "^".join(["005930"] + ["0"] * 45))

    async def scenario() -> RealtimeRecord:
        async with serve(already, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            async with AsyncKisClient(fresh_app_key(), SECRET, account=fresh_account(), base_url=feed_sandbox.base_url, token_cache=False, rate_limit=0) as client:
                async with client.realtime(url=f"ws://127.0.0.1:{port}/tryitout", reconnect=FAST) as feed:
                    await feed.subscribe(StockTick, "005930")
                    return await feed.receive(timeout=10)

    record = asyncio.run(scenario())
    assert isinstance(record, StockTick) and record.key == "005930"
    header = heard[0]["header"]
    assert isinstance(header, dict) and header["tr_type"] == "1" and header["custtype"] == "P" and header["content-type"] == "utf-8"
    assert len(str(header["approval_key"])) == 36  # the sandbox's key, from the REST side
