"""The sandbox's feed read the way KIS's own WebSocket client reads it (examples_llm/kis_auth.py,
KISWebSocket with the sample subscription functions, open-trading-api@885dd4e): a client written
here from what that code requires of a server, so that KIS's client works against the sandbox
unmodified. It is not KIS's code.

What KIS's client does: it connects with websockets' defaults to its ``ops``/``vops`` base plus
the path its caller passes (``/tryitout``); sends ``{"header": {"content-type", "approval_key",
"tr_type", "custtype"}, "body": {"input": {"tr_id", "tr_key"}}}``; reads every message that does
not start with 0 or 1 as JSON and needs ``header.tr_id``, and unless it is PINGPONG
``header.tr_key`` and ``header.encrypt``; with a body, ``body.rt_cd`` and a string ``body.msg1``,
and where ``body.output`` is present its ``iv`` and ``key``. It keeps the key, iv and encrypt flag
per tr_id from every such message, answers a PINGPONG (a message without a body) with a pong
frame, splits a data frame on every ``|`` and decrypts it only if the tr_id's acknowledgement said
``"encrypt": "Y"``; a tr_id it did not register raises. Any exception makes it reconnect.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from websockets.asyncio.client import ClientConnection, connect

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox
from tests.conftest import fresh_account, fresh_app_key
from tests.realtime_support import SECRET, approval_key, quiet_sandbox, ws_url

# The column lists of KIS's sample subscription functions (ccnl_krx, asking_price_krx, ccnl_notice).
SAMPLE_WIDTHS = {"H0STCNT0": 46, "H0STASP0": 59, "H0STCNI0": 26, "H0STCNI9": 26}


@dataclass
class DataMap:
    """KIS's data_map entry of one tr_id."""

    encrypt: str | None = None
    key: str | None = None
    iv: str | None = None
    frames: list[list[str]] = field(default_factory=list)


class KisWayClient:
    """What KIS's KISWebSocket does with each message, as strictly as its code does it."""

    def __init__(self, connection: ClientConnection, approval_key: str) -> None:
        self.connection = connection
        self.approval_key = approval_key
        self.data_map: dict[str, DataMap] = {}
        self.pingpongs = 0
        self.control: list[dict[str, object]] = []

    async def send(self, tr_id: str, tr_key: str, tr_type: str = "1") -> None:
        header = {"content-type": "utf-8", "approval_key": self.approval_key, "tr_type": tr_type, "custtype": "P"}
        self.data_map.setdefault(tr_id, DataMap())
        await self.connection.send(json.dumps({"header": header, "body": {"input": {"tr_id": tr_id, "tr_key": tr_key}}}))

    async def read(self) -> str:
        raw = await asyncio.wait_for(self.connection.recv(), 10)
        assert isinstance(raw, str), "KIS's client reads text"
        if raw[0] in ("0", "1"):
            parts = raw.split("|")
            assert len(parts) >= 4, "data not found..."
            entry = self.data_map[parts[1]]  # a tr_id it did not register raises
            payload = parts[3]
            if entry.encrypt == "Y":
                assert entry.key is not None and entry.iv is not None
                decryptor = Cipher(algorithms.AES(entry.key.encode("utf-8")), modes.CBC(entry.iv.encode("utf-8"))).decryptor()
                padded = decryptor.update(base64.b64decode(payload)) + decryptor.finalize()
                unpadder = PKCS7(128).unpadder()
                payload = (unpadder.update(padded) + unpadder.finalize()).decode()
            entry.frames.append(payload.split("^"))
            return parts[1]
        message = json.loads(raw)
        tr_id = message["header"]["tr_id"]
        if tr_id != "PINGPONG":
            tr_key, encrypt = message["header"]["tr_key"], message["header"]["encrypt"]
        else:
            tr_key, encrypt = None, None
        body = message.get("body")
        iv = key = None
        if body is not None:
            assert isinstance(body["rt_cd"], str)
            assert body["msg1"][:5] is not None  # a string: KIS's client slices it
            if "output" in body:
                iv, key = body["output"]["iv"], body["output"]["key"]
            self.control.append(message)
        elif tr_id == "PINGPONG":
            self.pingpongs += 1
            await self.connection.pong(raw)
        entry = self.data_map.setdefault(tr_id, DataMap())
        entry.encrypt, entry.key, entry.iv = encrypt, key, iv  # add_data_map overwrites with every control message
        del tr_key
        return tr_id


@pytest.fixture(scope="module")
def kis_sandbox(spec: Spec) -> Iterator[RunningSandbox]:
    with quiet_sandbox(spec) as sandbox:
        yield sandbox


def test_kis_way_registrations_ticks_books_notices_and_pingpong(kis_sandbox: RunningSandbox) -> None:
    app_key = fresh_app_key()
    key = approval_key(kis_sandbox, app_key)

    async def scenario() -> KisWayClient:
        async with connect(ws_url(kis_sandbox)) as connection:  # its ops base and the path its caller passes
            client = KisWayClient(connection, key)
            for tr_id, tr_key in (("H0STCNT0", "005930"), ("H0STASP0", "005930"), ("H0STCNI9", "HTSID01")):
                await client.send(tr_id, tr_key)
                assert await client.read() == tr_id
            await asyncio.to_thread(kis_sandbox.feed.publish, "H0STCNT0", "005930", 1)
            await asyncio.to_thread(kis_sandbox.feed.publish, "H0STASP0", "005930", 1)
            async with httpx.AsyncClient(base_url=kis_sandbox.base_url) as http:
                token = (await http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": app_key, "appsecret": SECRET})).json()["access_token"]
                cano, product = fresh_account().split("-")
                headers = {"authorization": f"Bearer {token}", "appkey": app_key, "appsecret": SECRET, "tr_id": "VTTC0012U", "custtype": "P"}
                body = {"CANO": cano, "ACNT_PRDT_CD": product, "PDNO": "005930", "ORD_DVSN": "00", "ORD_QTY": "1", "ORD_UNPR": "70000"}
                assert (await http.post("/uapi/domestic-stock/v1/trading/order-cash", json=body, headers=headers)).json()["rt_cd"] == "0"
            for _ in range(4):  # a tick, a book, the order accepted and filled
                await client.read()
            assert await asyncio.to_thread(kis_sandbox.feed.pingpong) == 1
            assert await client.read() == "PINGPONG"
            await asyncio.to_thread(kis_sandbox.feed.publish, "H0STCNT0", "005930", 1)
            assert await client.read() == "H0STCNT0"  # the pong frame kept the session
            await client.send("H0STCNT0", "005930", tr_type="2")
            assert await client.read() == "H0STCNT0"
            return client

    client = asyncio.run(scenario())
    acks = [message for message in client.control if isinstance(message["body"], dict)]
    assert [(m["header"]["encrypt"], m["body"]["msg_cd"]) for m in acks] == [("N", "OPSP0000"), ("N", "OPSP0000"), ("Y", "OPSP0000"), ("N", "OPSP0001")]  # type: ignore[index]
    assert [m["body"]["msg1"][:5] for m in acks][-1] == "UNSUB"  # type: ignore[index]
    for tr_id, entry in client.data_map.items():
        for values in entry.frames:
            assert len(values) == SAMPLE_WIDTHS[tr_id]
    notices = client.data_map["H0STCNI9"].frames
    assert [(values[0], values[8], values[13]) for values in notices] == [("HTSID01", "005930", "1"), ("HTSID01", "005930", "2")]
    assert client.pingpongs == 1


def test_kis_way_sees_every_control_message_complete(kis_sandbox: RunningSandbox) -> None:
    """Refusals too carry what KIS's client reads (tr_key, encrypt, rt_cd, msg1)."""
    app_key = fresh_app_key()
    key = approval_key(kis_sandbox, app_key)

    async def scenario() -> list[dict[str, object]]:
        async with connect(ws_url(kis_sandbox)) as connection:
            client = KisWayClient(connection, key)
            sends = [("H0STCNT0", "005930", "1"), ("H0STCNT0", "005930", "1"), ("H0STCNT0", "000660", "2"), ("HDFSCNT0", "DNASAAPL", "1"), ("H0STCNT0", "AAPL", "1")]
            for tr_id, tr_key, tr_type in sends:
                await client.send(tr_id, tr_key, tr_type)
                await client.read()
            client.approval_key = "not-a-key"
            await client.send("H0STASP0", "005930")
            await client.read()
            return client.control

    codes = [message["body"]["msg_cd"] for message in asyncio.run(scenario())]  # type: ignore[index]
    assert codes == ["OPSP0000", "OPSP0002", "OPSP0003", "SBX05003", "SBX05004", "SBX05001"]
