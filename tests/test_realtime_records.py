"""Real-time records in the generated client: one class per TR of the spec, values read by
position and typed on access, frames of several records, wider and narrower records, KIS's
decryption of execution notices, and the approval key's reuse."""

from __future__ import annotations

import asyncio
import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from kisgen.model import Spec
from kis_client import realtime
from kis_client._realtime import ApprovalKeys, _decrypt, feed_url
from kis_client._realtime_records import decode
from kis_client.errors import RecordValueError
from kis_client.realtime import FEED, RECORDS, StockNotice, StockTick

VECTOR = json.loads((Path(__file__).parent / "fixtures" / "realtime" / "notice_vector.json").read_text(encoding="utf-8"))


def tick_values(volume: int = 1000) -> list[str]:
    """A plausible H0STCNT0 record: every field a value of its kind."""
    kinds = {field: "0" for field in StockTick.TR.wire}
    values = {
        "MKSC_SHRN_ISCD": "005930", "STCK_CNTG_HOUR": "093354", "STCK_PRPR": "71900", "PRDY_VRSS_SIGN": "5", "PRDY_VRSS": "-100",
        "PRDY_CTRT": "-0.14", "ACML_VOL": str(volume), "ACML_TR_PBMN": "123456789012345", "OPRC_HOUR": "090000", "HGPR_HOUR": "090101",
        "LWPR_HOUR": "091500", "BSOP_DATE": "20261207", "NEW_MKOP_CLS_CODE": "20", "TRHT_YN": "N", "MRKT_TRTM_CLS_CODE": "", "HOUR_CLS_CODE": "0",
    }
    kinds.update(values)
    return [kinds[field] for field in StockTick.TR.wire]


def test_every_tr_of_the_spec_is_a_record_class_with_its_fields_in_order(spec: Spec) -> None:
    assert spec.realtime is not None
    classes = {cls.TR.real_tr_id: cls for cls in RECORDS}
    assert set(classes) == {tr.real_tr_id for tr in spec.realtime.trs}
    for tr in spec.realtime.trs:
        cls = classes[tr.real_tr_id]
        assert cls.__name__ == tr.class_name and getattr(realtime, tr.class_name) is cls
        assert cls.TR.wire == tuple(field.wire for field in tr.fields)
        assert cls.TR.labels == tuple(field.label for field in tr.fields)
        assert (cls.TR.mock_tr_id, cls.TR.encrypted) == (tr.mock_tr_id, tr.encrypted)
        for field in tr.fields:
            assert isinstance(getattr(cls, field.py_name), property)


def test_a_record_reads_each_value_as_its_kind_and_a_blank_as_none() -> None:
    (tick,), width = decode(StockTick, "^".join(tick_values()), 1)
    assert width == 46 and len(tick) == 46 and tick.extra == ()
    assert tick.key == tick.mksc_shrn_iscd == "005930"
    assert tick.stck_prpr == 71900 and tick.prdy_vrss == -100
    assert tick.prdy_ctrt == Decimal("-0.14")
    assert tick.acml_tr_pbmn == 123456789012345  # past 2**31
    assert tick.stck_cntg_hour == time(9, 33, 54) and tick.bsop_date == date(2026, 12, 7)
    assert tick.trht_yn is False
    assert tick.mrkt_trtm_cls_code is None  # "" is no value
    assert tick.to_dict()["stck_prpr"] == 71900
    assert tick.to_dict("wire")["STCK_PRPR"] == 71900 and tick.to_dict("ko")["주식 현재가"] == 71900
    assert repr(tick).startswith("StockTick('005930', '093354', '71900'")


def test_a_frame_of_several_records_is_cut_by_the_spec_width() -> None:
    payload = "^".join(tick_values(1000) + tick_values(2000) + tick_values(3000))
    records, width = decode(StockTick, payload, 3)
    assert width == 46
    assert [record.acml_vol for record in records] == [1000, 2000, 3000]
    assert all(type(record) is StockTick for record in records)


def test_values_kis_adds_at_the_end_are_kept_and_the_known_ones_still_read() -> None:
    payload = "^".join(tick_values(1000) + ["2", "X"] + tick_values(2000) + ["3", "Y"])
    records, width = decode(StockTick, payload, 2)
    assert width == 48
    assert [(record.acml_vol, record.extra) for record in records] == [(1000, ("2", "X")), (2000, ("3", "Y"))]


def test_a_narrower_record_or_a_count_the_values_do_not_divide_into_gives_no_record() -> None:
    assert decode(StockTick, "^".join(tick_values()[:-1]), 1) == ([], 45)
    assert decode(StockTick, "^".join(tick_values() + ["extra"]), 2) == ([], 0)
    assert decode(StockTick, "^".join(tick_values()), 0) == ([], 0)


def test_empty_values_keep_their_place() -> None:
    values = tick_values()
    values[-1] = ""  # a trailing ^ is a value
    (tick,), _ = decode(StockTick, "^".join(values), 1)
    assert tick.vi_stnd_prc is None and len(tick) == 46


def test_a_value_that_is_not_its_kind_names_the_tr_and_field_when_read() -> None:
    values = tick_values()
    values[2] = "(null)"  # KIS sends this literal in some TRs
    (tick,), _ = decode(StockTick, "^".join(values), 1)
    assert tick.mksc_shrn_iscd == "005930"  # the rest still reads
    with pytest.raises(RecordValueError, match=r"H0STCNT0\.STCK_PRPR: cannot read '\(null\)'") as raised:
        tick.stck_prpr
    assert (raised.value.tr_id, raised.value.field, raised.value.value) == ("H0STCNT0", "STCK_PRPR", "(null)")


def test_whole_numbers_padded_with_decimals_read_as_whole_numbers() -> None:
    values = tick_values()
    values[13] = "744.00000000"
    (tick,), _ = decode(StockTick, "^".join(values), 1)
    assert tick.acml_vol == 744
    values[13] = "744.5"
    (tick,), _ = decode(StockTick, "^".join(values), 1)
    with pytest.raises(RecordValueError):
        tick.acml_vol


def test_an_execution_notice_decrypts_with_the_acknowledgement_key_as_kis_encrypts_it() -> None:
    flag, tr_id, count, payload = VECTOR["frame"].split("|", 3)
    assert (flag, tr_id, count) == ("1", "H0STCNI0", "001")
    plain = _decrypt(VECTOR["key"].encode(), VECTOR["iv"].encode(), payload)
    assert plain == VECTOR["plaintext"]
    (notice,), width = decode(StockNotice, plain, 1)
    assert width == 26
    assert (notice.cust_id, notice.acnt_no, notice.oder_no) == ("HTSID01", "1234567801", "0000002891")
    assert (notice.cntg_yn, notice.cntg_qty, notice.cntg_unpr) == ("2", 1, 71900)
    assert (notice.acnt_name, notice.cntg_isnm40, notice.oder_prc) == ("홍길동", "삼성전자", 71900)
    with pytest.raises(ValueError):
        _decrypt(b"x" * 32, VECTOR["iv"].encode(), payload)  # another key: the padding does not check out


def test_the_feed_url_is_kis_for_kis_and_the_server_itself_otherwise() -> None:
    assert feed_url(FEED, "real", "https://openapi.koreainvestment.com:9443", "https://openapi.koreainvestment.com:9443") == "ws://ops.koreainvestment.com:21000/tryitout"
    assert feed_url(FEED, "mock", "https://openapivts.koreainvestment.com:29443/", "https://openapivts.koreainvestment.com:29443") == "ws://ops.koreainvestment.com:31000/tryitout"
    assert feed_url(FEED, "mock", "http://127.0.0.1:8080", "https://openapivts.koreainvestment.com:29443") == "ws://127.0.0.1:8080/tryitout"
    assert feed_url(FEED, "real", "https://proxy.example:443", "https://openapi.koreainvestment.com:9443") == "wss://proxy.example:443/tryitout"


def test_the_approval_key_is_issued_once_and_again_only_near_the_end_of_its_validity() -> None:
    issued: list[str] = []
    now = [1000.0]

    async def issue() -> str:
        issued.append(f"key-{len(issued) + 1}")
        return issued[-1]

    keys = ApprovalKeys(issue, lifetime=86400, margin=300, clock=lambda: now[0])

    async def scenario() -> list[str]:
        got = [await keys.get(), await keys.get()]
        now[0] += 86400 - 301
        got.append(await keys.get())
        now[0] += 2  # within 300 s of the end: a new one
        got.append(await keys.get())
        return got

    assert asyncio.run(scenario()) == ["key-1", "key-1", "key-1", "key-2"]
    assert "key-" not in repr(keys)


NEW_TR = """
    market_status:
      label: 국내주식 장운영정보
      api_id: 실시간-049
      tr_id: {real: H0STMKO0, mock: H0STMKO0}
      encrypted: false
      tr_key: {label: 종목코드, pattern: "^[0-9A-Z]{6}$", example: "005930"}
      key_field: MKSC_SHRN_ISCD
      source: a test
      fields:
        MKSC_SHRN_ISCD: {label: 유가증권 단축 종목코드, kind: code}
        TRHT_YN: {label: 거래정지 여부, kind: flag}
        MKOP_CLS_CODE: {label: 장운영 구분 코드, kind: code}
        VI_STND_PRC: {label: 정적VI발동기준가, kind: int}
"""


def test_a_tr_added_to_the_spec_needs_no_new_code(tmp_path: Path) -> None:
    """A new TR in spec/realtime.yaml: its record class is generated and reads its values, and
    the sandbox serves it, with nothing else changed."""
    import shutil
    import sys
    import types

    from kisgen.pipeline import load_spec
    from kisgen.render import render
    from tests.realtime_support import approval_key, quiet_sandbox, registration, ws_url

    spec_dir = tmp_path / "spec"
    shutil.copytree(Path(__file__).parent.parent / "spec", spec_dir)
    with (spec_dir / "realtime.yaml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_TR)
    spec = load_spec(spec_dir)
    source = render(spec, Path(__file__).parent.parent / "templates")["generated/kis_client/realtime.py"].decode("utf-8")
    module = types.ModuleType("realtime_with_a_new_tr")
    sys.modules[module.__name__] = module  # dataclasses and annotations look their module up
    try:
        exec(compile(source, "realtime.py", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    market_status = module.MarketStatus
    (record,), width = decode(market_status, "005930^Y^20^71000", 1)
    assert width == 4 and (record.key, record.trht_yn, record.mkop_cls_code, record.vi_stnd_prc) == ("005930", True, "20", 71000)
    assert market_status in module.RECORDS and module.FEED.records[-1] is market_status

    with quiet_sandbox(spec, "real") as sandbox:
        from websockets.sync.client import connect

        with connect(ws_url(sandbox)) as connection:
            connection.send(registration(approval_key(sandbox, "new-tr-app-key-0001"), "H0STMKO0", "005930"))
            assert json.loads(connection.recv(timeout=10))["body"]["msg_cd"] == "OPSP0000"
            assert sandbox.feed.publish("H0STMKO0", "005930", records=2) == 1
            frame = str(connection.recv(timeout=10))
    flag, tr_id, count, payload = frame.split("|", 3)
    records, width = decode(market_status, payload, int(count))
    assert (flag, tr_id, width, len(records)) == ("0", "H0STMKO0", 4, 2)
    assert [record.key for record in records] == ["005930", "005930"] and records[0].trht_yn is False  # the sandbox's neutral values


def test_importing_the_records_loads_neither_websockets_nor_cryptography() -> None:
    import subprocess
    import sys

    script = (
        "import sys, kis_client\n"
        "assert 'kis_client.realtime' not in sys.modules\n"
        "from kis_client.realtime import StockTick\n"
        "print(sorted(name for name in ('websockets', 'cryptography', 'asyncio') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['asyncio']"  # the session's module needs asyncio; the libraries wait for a session


def test_a_session_s_options_are_checked_when_it_is_made() -> None:
    import threading

    from kis_client import KisClient

    with KisClient("options-app-key-0001", "options-secret-0001", base_url="http://127.0.0.1:9", token_cache=False) as client:
        threads = threading.active_count()
        with pytest.raises(ValueError, match="stall_timeout"):
            client.realtime(stall_timeout=0)
        assert threading.active_count() == threads  # the session's thread went with it
        with pytest.raises(ValueError, match="ws://"):
            client.realtime(url="http://127.0.0.1:9/tryitout")
