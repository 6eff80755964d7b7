"""kisgen diff: the spec compared as models, every change named and classified."""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kisgen.cli import main
from kisgen.diff import CHECKS, Change, diff_specs, load_side, to_json
from kisgen.errors import SpecError
from kisgen.load import load_dir, spec_order
from kisgen.builder import build_model, build_older_model
from kisgen.model import Spec

from tests.conftest import FIXTURE_SPEC

ROOT = Path(__file__).resolve().parent.parent
SPEC = FIXTURE_SPEC
# The spec as it stood per the reference document (2026-02-21): US sell on a mock account is
# VTTT1006U, derived by the mock rule, with no override.
REFERENCE = ROOT / "tests" / "fixtures" / "spec_reference_2026_02_21"
# The same spec updated by kis-facts.md only: the mock override VTTT1001U for US sell orders.
FACTS = ROOT / "tests" / "fixtures" / "spec_facts_2026_11"

Data = dict[str, Any]


def spec_of(directory: Path) -> Spec:
    return build_model(load_dir(directory))


@functools.cache
def current() -> Spec:
    """The fixture spec; the model is frozen, so one build serves every test."""
    return spec_of(SPEC)


@functools.cache
def fixture_data() -> dict[str, Data]:
    """The fixture spec's files as data (file stem → data), read once (with libyaml)."""
    names = spec_order(path.relative_to(SPEC).as_posix() for path in SPEC.rglob("*.yaml"))
    return {name.removesuffix(".yaml"): yaml.load((SPEC / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for name in names}


def edited(tmp_path: Path, edit: Callable[[dict[str, Data]], None], name: str = "head") -> Path:
    """A copy of the fixture spec as data, changed by ``edit`` (file stem → data) and written back."""
    target = tmp_path / name
    target.mkdir()
    files = copy.deepcopy(fixture_data())
    edit(files)
    for stem, data in files.items():
        (target / f"{stem}.yaml").parent.mkdir(exist_ok=True)
        (target / f"{stem}.yaml").write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def changes_for(tmp_path: Path, edit: Callable[[dict[str, Data]], None]) -> list[Change]:
    return diff_specs(current(), spec_of(edited(tmp_path, edit)))


# -- the real update ----------------------------------------------------------------------------


def test_reference_to_facts_names_exactly_the_us_sell_mock_change() -> None:
    changes = diff_specs(spec_of(REFERENCE), spec_of(FACTS))
    assert len(changes) == 1, [c.message for c in changes]
    change = changes[0]
    assert change.check == "tr-id-changed"
    assert change.breaking
    assert change.where == "overseas_stock.order"
    assert "`VTTT1006U` → `VTTT1001U`" in change.message
    assert "breaking for mock-account US sell orders" in change.reason
    details = dict(change.details)
    assert "KIS API portal 2026-05-29" in str(details.pop("source"))
    assert details == {"env": "mock", "market": "US", "side": "sell", "period": None, "before": "VTTT1006U", "after": "VTTT1001U"}


def test_spec_keeps_the_facts_update() -> None:
    """spec/ has grown past the fixtures, but still sends what kis-facts.md says for US sells."""
    for spec in (spec_of(ROOT / "spec"), spec_of(FACTS)):
        tr = spec.operation("overseas_stock.order").tr
        assert tr is not None
        assert (tr.lookup("mock", market="US", side="sell"), tr.lookup("real", market="US", side="sell")) == ("VTTT1001U", "TTTT1006U")


def test_cli_markdown_names_the_change_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(REFERENCE), str(FACTS)]) == 0
    out = capsys.readouterr().out
    assert "### Breaking (1)" in out
    assert "Not breaking" not in out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert len(rows) == 1
    assert "mock-account US sell orders" in rows[0] and "VTTT1001U" in rows[0]


def test_cli_json_and_fail_on_breaking(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(REFERENCE), str(FACTS), "--format", "json", "--fail-on-breaking"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["breaking"] == 1
    assert [(c["check"], c["breaking"], c["details"]["before"], c["details"]["after"]) for c in document["changes"]] == [
        ("tr-id-changed", True, "VTTT1006U", "VTTT1001U")
    ]


def test_no_change_exits_0_even_with_fail_on_breaking(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(SPEC), str(SPEC), "--fail-on-breaking"]) == 0
    assert "No changes" in capsys.readouterr().out


# -- what must not show -------------------------------------------------------------------------


def test_labels_text_and_yaml_order_show_no_change(tmp_path: Path) -> None:
    def relabel_and_reorder(files: dict[str, Data]) -> None:
        for data in files.values():
            for key in list(data):
                data[key] = data.pop(key)  # rotate top-level keys
        order = files["overseas_stock"]["operations"]["order"]
        order["summary"] = "renamed"
        order["request"] = dict(reversed(list(order["request"].items())))
        order["request"]["PDNO"]["label"] = "다른 이름"
        order["request"]["PDNO"]["description"] = "new words"
        order["rules"] = list(reversed(order["rules"]))
        order["rules"][0]["text"] = "reworded"
        order["tr_id"]["real"] = dict(reversed(list(order["tr_id"]["real"].items())))
        files["domestic_stock"]["codes"]["ord_dvsn"]["values"]["00"]["label"] = "limit"
        files["domestic_stock"]["codes"]["ord_dvsn"]["label"] = "order type"
        files["markets"]["exchanges"] = dict(reversed(list(files["markets"]["exchanges"].items())))
        files["markets"]["exchanges"]["NASD"]["label"] = "Nasdaq"
        files["common"]["headers"]["custtype"]["label"] = "customer type"

    assert changes_for(tmp_path, relabel_and_reorder) == []


# -- one case per check -------------------------------------------------------------------------


def _order(files: dict[str, Data]) -> Data:
    op: Data = files["overseas_stock"]["operations"]["order"]
    return op


def _cash(files: dict[str, Data]) -> Data:
    op: Data = files["domestic_stock"]["operations"]["order_cash"]
    return op


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Data]], None]:
    def edit(files: dict[str, Data]) -> None:
        node: Any = files
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _delete(path: tuple[str, ...]) -> Callable[[dict[str, Data]], None]:
    def edit(files: dict[str, Data]) -> None:
        node: Any = files
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


def _add_rule(files: dict[str, Data]) -> None:
    _cash(files)["rules"].append({"id": "no_fok", "text": "FOK 없음", "when": {"env": "mock"}, "then": {"ORD_DVSN": {"in": ["00", "01"]}}})


def _rule(op: Data, rule_id: str) -> Data:
    (rule,) = [rule for rule in op["rules"] if rule["id"] == rule_id]
    found: Data = rule
    return found


def _widen_rule(files: dict[str, Data]) -> None:
    _rule(_order(files), "hk_buy_limit_only")["then"]["ORD_DVSN"]["in"] = ["00", "50"]


def _narrow_rule(files: dict[str, Data]) -> None:
    _rule(_order(files), "us_sell_order_types")["then"]["ORD_DVSN"]["in"] = ["00", "31"]


def _operations(files: dict[str, Data]) -> list[Data]:
    return [op for data in files.values() for op in data.get("operations", {}).values()]


def _scrub(files: dict[str, Data], gone: set[str]) -> None:
    """Take codes that no longer exist (markets, exchanges, quote codes) out of every rule's lists."""
    for op in _operations(files):
        for rule in op.get("rules", []):
            for key, value in rule.get("when", {}).items():
                if isinstance(value, list):
                    rule["when"][key] = [v for v in value if v not in gone]
            for constraint in rule.get("then", {}).values():
                if isinstance(constraint, dict) and isinstance(constraint.get("in"), list):
                    constraint["in"] = [v for v in constraint["in"] if v not in gone]


def _remove_exchanges(files: dict[str, Data], codes: list[str]) -> None:
    exchanges = files["markets"]["exchanges"]
    gone = set(codes) | {exchanges[code][key] for code in codes for key in ("quote_code", "day_quote_code") if key in exchanges[code]}
    for code in codes:
        del exchanges[code]
    _scrub(files, gone)


def _market_tables(files: dict[str, Data]) -> list[Data]:
    """The TR_ID tables chosen by market."""
    return [op["tr_id"] for op in _operations(files) if "market" in op.get("tr_id", {}).get("by", [])]


def _remove_exchange(files: dict[str, Data]) -> None:
    _remove_exchanges(files, ["AMEX"])


def _add_exchange(files: dict[str, Data]) -> None:
    files["markets"]["exchanges"]["BATS"] = {"label": "BATS", "market": "US"}


def _add_required_field(files: dict[str, Data]) -> None:
    _cash(files)["request"]["NEW_FIELD"] = {"label": "new", "required": True}


def _add_optional_field(files: dict[str, Data]) -> None:
    _cash(files)["request"]["NEW_FIELD"] = {"label": "new", "default": ""}


def _add_code_table(files: dict[str, Data]) -> None:
    """As an import adds one: a new table, and a new field that takes it."""
    files["domestic_stock"]["codes"]["fid_div_cls_code"] = {"label": "분류 구분 코드", "values": {"0": {"name": "ALL", "label": "전체"}, "1": {"name": "COMMON", "label": "보통주"}}}
    _cash(files)["request"]["FID_DIV_CLS_CODE"] = {"label": "분류 구분 코드", "codes": "fid_div_cls_code", "default": "0"}


def _remove_code_table(files: dict[str, Data]) -> None:
    del files["domestic_stock"]["codes"]["prcs_dvsn"]
    for op in _operations(files):
        for field in op.get("request", {}).values():
            if field.get("codes") == "prcs_dvsn":
                del field["codes"]


def _remove_operation(files: dict[str, Data]) -> None:
    del files["overseas_stock"]["operations"]["inquire_present_balance"]


def _add_operation(files: dict[str, Data]) -> None:
    ops = files["domestic_stock"]["operations"]
    ops["inquire_balance_copy"] = dict(copy.deepcopy(ops["inquire_balance"]), path="/uapi/domestic-stock/v1/trading/other", tr_id={"real": "TTTC9999R"})


def _add_market(files: dict[str, Data]) -> None:
    """Singapore, with a new real TR_ID (per side where the table has sides) in every table chosen by market."""
    files["markets"]["markets"]["SG"] = {"label": "싱가포르", "country": "싱가포르", "natn_cd": "702", "currency": "SGD", "timezone": "Asia/Singapore"}
    files["markets"]["exchanges"]["SGXX"] = {"label": "싱가포르", "market": "SG"}
    numbers = iter(range(901, 999))
    for table in _market_tables(files):
        sides = "side" in table["by"]
        table["real"]["SG"] = {side: f"TTTS0{next(numbers)}U" for side in ("buy", "sell")} if sides else f"TTTS0{next(numbers)}U"


def _remove_market(files: dict[str, Data]) -> None:
    """Vietnam: its exchanges, its TR_IDs and every rule's mention go."""
    del files["markets"]["markets"]["VN"]
    _remove_exchanges(files, [code for code, exchange in files["markets"]["exchanges"].items() if exchange["market"] == "VN"])
    for table in _market_tables(files):
        del table["real"]["VN"]
    _scrub(files, {"VN"})


def _tr_by_side(files: dict[str, Data]) -> None:
    files["overseas_stock"]["operations"]["inquire_balance"]["tr_id"] = {"by": ["side"], "real": {"buy": "TTTS3012R", "sell": "TTTS3013R"}}


def _trs(files: dict[str, Data]) -> Data:
    trs: Data = files["realtime"]["realtime"]["trs"]
    return trs


def _insert_field(tr: str, before: str, wire: str) -> Callable[[dict[str, Data]], None]:
    """A field inserted before ``before`` (or at the end), as KIS grew H0STCNI0 in 2025."""

    def edit(files: dict[str, Data]) -> None:
        fields = _trs(files)[tr]["fields"]
        items = list(fields.items())
        position = next((index for index, (name, _field) in enumerate(items) if name == before), len(items))
        items.insert(position, (wire, {"label": f"새 {wire}", "kind": "code"}))
        _trs(files)[tr]["fields"] = dict(items)

    return edit


def _add_tr(files: dict[str, Data]) -> None:
    _trs(files)["stock_tick_nxt"] = dict(copy.deepcopy(_trs(files)["stock_tick"]), tr_id={"real": "H0NXCNT0", "mock": "unsupported"})


CASES: list[tuple[str, Callable[[dict[str, Data]], None], str, bool]] = [
    ("operation removed", _remove_operation, "operation-removed", True),
    ("operation added", _add_operation, "operation-added", False),
    ("path changed", lambda f: _cash(f).update(path="/uapi/domestic-stock/v2/trading/order-cash"), "endpoint-changed", True),
    ("real TR_ID changed", lambda f: _cash(f)["tr_id"]["real"].update(buy="TTTC0099U"), "tr-id-changed", True),
    ("mock made unsupported", lambda f: _cash(f)["tr_id"].update(mock="unsupported"), "tr-id-removed", True),
    ("TR_ID chosen by side", _tr_by_side, "tr-id-dimensions-changed", True),
    ("required field added", _add_required_field, "field-added", True),
    ("optional field added", _add_optional_field, "field-added", False),
    ("field removed", _delete(("overseas_stock", "operations", "order", "request", "MGCO_APTM_ODNO")), "field-removed", True),
    ("made optional", _set(("domestic_stock", "operations", "order_cash", "request", "PDNO", "required"), False), "field-made-optional", False),
    ("made required, no default", lambda f: _order(f)["request"].update(CTAC_TLNO={"label": "연락전화번호", "required": True}), "field-made-required", True),
    ("code added", _set(("domestic_stock", "codes", "prcs_dvsn", "values", "02"), {"name": "OTHER", "label": "기타"}), "codes-added", False),
    ("code removed", _delete(("domestic_stock", "codes", "prcs_dvsn", "values", "01")), "codes-removed", True),
    ("code table added", _add_code_table, "code-table-added", False),
    ("code table removed", _remove_code_table, "code-table-removed", True),
    ("pattern changed", _set(("domestic_stock", "operations", "order_cash", "request", "PDNO", "pattern"), "^[0-9]{6}$"), "pattern-changed", True),
    ("pattern removed", _delete(("domestic_stock", "operations", "order_cash", "request", "PDNO", "pattern")), "pattern-changed", False),
    ("max length lowered", _set(("domestic_stock", "operations", "inquire_balance", "request", "CTX_AREA_FK100", "max_length"), 50), "max-length-changed", True),
    ("max length raised", _set(("domestic_stock", "operations", "inquire_balance", "request", "CTX_AREA_FK100", "max_length"), 300), "max-length-changed", False),
    ("default changed", _set(("domestic_stock", "operations", "inquire_balance", "request", "INQR_DVSN", "default"), "01"), "default-changed", True),
    ("rule added", _add_rule, "rule-added", True),
    ("rule removed", lambda f: _order(f)["rules"].pop(0), "rule-removed", False),
    ("rule widened", _widen_rule, "rule-changed", False),
    ("rule narrowed", _narrow_rule, "rule-changed", True),
    ("exchange removed", _remove_exchange, "exchange-removed", True),
    ("exchange added", _add_exchange, "exchange-added", False),
    ("exchange moved", lambda f: f["markets"]["exchanges"]["HASE"].update(market="HK"), "exchange-moved", True),
    ("market added", _add_market, "market-added", False),
    ("market removed", _remove_market, "market-removed", True),
    ("market currency", lambda f: f["markets"]["markets"]["VN"].update(currency="USD"), "market-changed", True),
    ("base URL", lambda f: f["common"]["environments"]["mock"].update(base_url="https://example.invalid:1"), "base-url-changed", True),
    ("rate limit lowered", lambda f: f["common"]["environments"]["real"].update(rate_limit_per_second=10), "rate-limit-changed", True),
    ("rate limit raised", lambda f: f["common"]["environments"]["real"].update(rate_limit_per_second=25), "rate-limit-changed", False),
    ("header value", lambda f: f["common"]["headers"]["custtype"].update(value="B"), "header-changed", True),
    ("operation sends a new header", lambda f: f["auth"]["operations"]["token"].update(headers=["content-type", "custtype"]), "operation-header-added", True),
    ("mock rule", lambda f: f["common"]["mock_tr_id_rule"].update(first_letters=["T", "J", "C", "F"]), "mock-rule-changed", False),
    ("pagination removed", _delete(("domestic_stock", "operations", "inquire_balance", "pagination")), "pagination-removed", True),
    ("response field added", _set(("domestic_stock", "operations", "order_cash", "response", "outputs", "output", "fields", "NEW"), {"label": "새", "kind": "text"}), "response-field-added", False),
    ("response field removed", _delete(("domestic_stock", "operations", "inquire_balance", "response", "outputs", "output1", "fields", "prdt_name")), "response-field-removed", True),
    ("response field kind", _set(("domestic_stock", "operations", "order_cash", "response", "outputs", "output", "fields", "ODNO", "kind"), "int"), "response-field-kind-changed", True),
    ("response field no longer always sent", _set(("domestic_stock", "operations", "order_cash", "response", "outputs", "output", "always_sent", "fields"), ["ODNO"]), "response-field-always-sent", True),
    ("response field now always sent", _set(("domestic_stock", "operations", "inquire_balance", "response", "outputs", "output1", "always_sent"), {"fields": ["pdno"], "source": "a test"}), "response-field-always-sent", False),
    ("market time zone", lambda f: f["markets"]["markets"]["VN"].update(timezone="Asia/Bangkok"), "market-timezone-changed", False),
    ("parameter renamed", _set(("domestic_stock", "operations", "order_cash", "request", "PDNO", "py_name"), "symbol"), "field-renamed", True),
    ("response attribute renamed", _set(("domestic_stock", "operations", "order_cash", "response", "outputs", "output", "fields", "ODNO", "py_name"), "order_number"), "response-field-renamed", True),
    ("kind now inferred", _set(("domestic_stock", "operations", "inquire_balance", "response", "outputs", "output1", "fields", "hldg_qty", "kind_inferred"), True), "response-field-kind-inferred", False),
]


def test_each_kind_of_real_time_change_is_named_and_classified(tmp_path: Path) -> None:
    """One edit a TR (they do not meet), all in one spec: building a spec is most of a case."""
    edits = [
        _insert_field("stock_tick", "", "MARKET_CLS_CODE"),
        _set(("realtime", "realtime", "trs", "stock_tick", "fields", "STCK_PRPR", "kind"), "decimal"),
        _set(("realtime", "realtime", "trs", "stock_tick", "encrypted"), True),
        _insert_field("stock_notice", "CRDT_CLS", "NEW_CODE"),
        _delete(("realtime", "realtime", "trs", "stock_order_book", "fields", "STCK_DEAL_CLS_CODE")),
        _set(("realtime", "realtime", "trs", "stock_order_book", "tr_id", "mock"), "unsupported"),
        _delete(("realtime", "realtime", "trs", "asia_delayed_order_book")),
        _add_tr,
        _set(("realtime", "realtime", "limits", "registrations"), 40),
        _set(("realtime", "realtime", "environments", "real", "url"), "ws://ops.koreainvestment.com:21001"),
    ]

    def edit(files: dict[str, Data]) -> None:
        for each in edits:
            each(files)

    found = sorted((change.check, change.breaking, change.where, change.message) for change in changes_for(tmp_path, edit))
    assert found == sorted([
        ("realtime-field-added", False, "realtime.stock_tick", "`H0STCNT0` field `MARKET_CLS_CODE` added at the end (position 47)"),
        ("realtime-field-kind-changed", True, "realtime.stock_tick", "`H0STCNT0` field `STCK_PRPR`: int → decimal"),
        ("realtime-tr-changed", True, "realtime.stock_tick", "`H0STCNT0` now encrypted"),
        ("realtime-field-added", True, "realtime.stock_notice", "`H0STCNI0` field `NEW_CODE` inserted at position 23, before 4 field(s) from `CRDT_CLS`"),
        ("realtime-field-removed", True, "realtime.stock_order_book", "`H0STASP0` field `STCK_DEAL_CLS_CODE` removed (was position 59)"),
        ("realtime-tr-changed", True, "realtime.stock_order_book", "`H0STASP0` no longer served on mock (was `H0STASP0`)"),
        ("realtime-tr-removed", True, "realtime.asia_delayed_order_book", "real-time TR `HDFSASP1` removed"),
        ("realtime-tr-added", False, "realtime.stock_tick_nxt", "real-time TR `H0NXCNT0` added (국내주식 실시간체결가 (KRX), 47 fields)"),  # copied from stock_tick, as edited
        ("realtime-feed", True, "realtime", "registrations a session 41 → 40"),
        ("realtime-feed", True, "realtime", "real WebSocket `ws://ops.koreainvestment.com:21000/tryitout` → `ws://ops.koreainvestment.com:21001/tryitout`"),
    ])


@pytest.mark.parametrize(("edit", "check", "breaking"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_kind_of_change_is_named_and_classified(tmp_path: Path, edit: Callable[[dict[str, Data]], None], check: str, breaking: bool) -> None:
    changes = changes_for(tmp_path, edit)
    found = [change for change in changes if change.check == check]
    assert found, f"expected {check}; got {[c.check for c in changes]}"
    assert {change.breaking for change in found} == {breaking}, found
    assert all(change.reason for change in changes)


def test_kis_growing_h0stcni0_from_23_to_26_fields_is_named_field_by_field(tmp_path: Path) -> None:
    """KIS's 2025 change (python-kis #68): CNTG_ISNM gave way to four fields in the middle."""

    def back_to_23(files: dict[str, Data]) -> None:
        fields = _trs(files)["stock_notice"]["fields"]
        items = [(wire, field) for wire, field in fields.items() if wire not in ("ORD_COND_PRC", "ORD_EXG_GB", "POPUP_YN", "FILLER")]
        position = next(index for index, (wire, _field) in enumerate(items) if wire == "CRDT_CLS")
        items.insert(position, ("CNTG_ISNM", {"label": "종목명", "kind": "text"}))
        _trs(files)["stock_notice"]["fields"] = dict(items)

    changes = diff_specs(spec_of(edited(tmp_path, back_to_23)), current())
    shown = [(change.check, change.breaking, change.message) for change in changes]
    assert shown == [
        ("realtime-field-added", True, "`H0STCNI0` field `ORD_COND_PRC` inserted at position 19, before 4 field(s) from `CRDT_CLS`"),
        ("realtime-field-added", True, "`H0STCNI0` field `ORD_EXG_GB` inserted at position 20, before 4 field(s) from `CRDT_CLS`"),
        ("realtime-field-added", True, "`H0STCNI0` field `POPUP_YN` inserted at position 21, before 4 field(s) from `CRDT_CLS`"),
        ("realtime-field-added", True, "`H0STCNI0` field `FILLER` inserted at position 22, before 4 field(s) from `CRDT_CLS`"),
        ("realtime-field-removed", True, "`H0STCNI0` field `CNTG_ISNM` removed (was position 19)"),
    ]
    assert {change.where for change in changes} == {"realtime.stock_notice"}


def test_real_tr_id_change_lists_the_derived_mock_cell_too(tmp_path: Path) -> None:
    changes = changes_for(tmp_path, lambda f: _cash(f)["tr_id"]["real"].update(buy="TTTC0099U"))
    assert sorted(c.message.split(" changed")[0] for c in changes) == [
        "TR_ID for mock-account buy orders",
        "TR_ID for real-account buy orders",
    ]


def test_a_new_market_names_each_new_tr_id_and_breaks_nothing(tmp_path: Path) -> None:
    head = spec_of(edited(tmp_path, _add_market))
    changes = diff_specs(current(), head)
    assert not any(change.breaking for change in changes)
    new_cells = sorted((op.qualname, cell.tr_id) for op in head.operations if op.tr for cell in op.tr.cells if cell.market == "SG")
    assert len(new_cells) >= 4  # buy and sell orders, on real and mock accounts
    added = [c for c in changes if c.check == "tr-id-added"]
    assert sorted((c.where, c.message.rsplit("`", 2)[1]) for c in added) == new_cells
    assert all(" SG " in c.message for c in added)
    takes_exchange = [op.qualname for op in head.operations if any(field.codes == "exchanges" for field in op.fields)]
    assert [c.check for c in changes] == ["tr-id-added"] * len(new_cells) + ["codes-added"] * len(takes_exchange) + ["market-added", "exchange-added"]
    assert [c.where for c in changes if c.check == "codes-added"] == takes_exchange
    assert "TR_ID added for mock-account SG sell orders: `VTTS0902U`" in [c.message for c in changes]


def test_a_directory_holding_spec_is_read_as_its_spec() -> None:
    assert diff_specs(load_side(str(SPEC.parent), ROOT), spec_of(SPEC)) == []


def test_checks_table_lists_each_check_once() -> None:
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    assert len({check.run for check in CHECKS}) == len(CHECKS)


def test_breaking_changes_come_first(tmp_path: Path) -> None:
    def two(files: dict[str, Data]) -> None:
        _add_exchange(files)
        files["common"]["headers"]["custtype"]["value"] = "B"

    changes = changes_for(tmp_path, two)
    assert [c.breaking for c in changes] == sorted((c.breaking for c in changes), reverse=True)
    assert changes[0].check == "header-changed"


# -- reading sides ------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A kisgen project in a git repository whose first commit holds the reference spec and
    second the facts update."""
    repo = tmp_path / "repo"
    shutil.copytree(REFERENCE, repo / "spec")
    (repo / "templates").symlink_to(ROOT / "templates", target_is_directory=True)  # untracked
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "empty")
    _git(repo, "add", "spec")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "reference")
    shutil.rmtree(repo / "spec")
    shutil.copytree(FACTS, repo / "spec")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "facts")
    (repo / "spec" / "common.yaml").write_text("source: [unclosed\n", encoding="utf-8")  # the working tree is broken
    return repo


def test_git_revisions_are_read_without_a_checkout(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "diff", "HEAD~1", "HEAD", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [c["check"] for c in document["changes"]] == ["tr-id-changed"]
    assert diff_specs(load_side("HEAD", repo), spec_of(FACTS)) == []
    assert [c.check for c in diff_specs(load_side("HEAD~1", repo), load_side(str(REFERENCE), repo))] == []


def test_spec_errors_on_either_side_exit_2_with_file_and_line(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "diff", "HEAD", str(repo / "spec")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"repo/spec/common\.yaml:\d+: YAML syntax error", err), err
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "broken")
    assert main(["--root", str(repo), "diff", "HEAD", str(SPEC)]) == 2
    assert re.search(r"^HEAD:spec/common\.yaml:\d+: YAML syntax error", capsys.readouterr().err, re.MULTILINE), "git side named by revision"
    assert main(["--root", str(repo), "diff", "HEAD~3", str(SPEC)]) == 2  # the empty commit has no spec
    assert "HEAD~3:spec" in capsys.readouterr().err


def test_unknown_revision_is_a_one_line_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "diff", "no-such-branch", str(SPEC)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"kisgen: project {repo}"
    assert err[1].startswith("no-such-branch:spec:1: git ls-tree failed")


# -- where it runs ------------------------------------------------------------------------------


def test_ci_posts_the_diff_against_the_base_branch_and_pre_commit_runs_check() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as a boolean
    steps = workflow["jobs"]["test"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    runs = [step.get("run", "") for step in steps]
    assert "scripts/test" in runs and ".venv/bin/kisgen check" in runs
    diff_step = next(step for step in steps if "kisgen diff" in step.get("run", ""))
    assert diff_step["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert '"origin/$BASE_REF"' in diff_step["run"] and "$GITHUB_STEP_SUMMARY" in diff_step["run"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    assert [hook["entry"] for hook in hooks] == [".venv/bin/kisgen check"]


def test_output_is_the_same_under_any_hash_seed(tmp_path: Path) -> None:
    def many(files: dict[str, Data]) -> None:
        _add_market(files)
        _add_exchange(files)
        _add_rule(files)
        files["common"]["headers"]["x-extra"] = {"value": "1", "label": "extra"}
        _set(("domestic_stock", "operations", "order_cash", "response", "outputs", "output", "fields", "NEW"), {"label": "새", "kind": "text"})(files)

    head = edited(tmp_path, many)
    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "kisgen", "diff", str(SPEC), str(head), "--format", "json"],
            capture_output=True, check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    in_process = diff_specs(current(), spec_of(head))
    assert len(in_process) >= 11
    assert [(c["check"], c["where"], c["message"]) for c in json.loads(outputs.pop())["changes"]] == [(c.check, c.where, c.message) for c in in_process]


def test_json_details_name_the_field_and_both_values(tmp_path: Path) -> None:
    changes = changes_for(tmp_path, _set(("domestic_stock", "operations", "order_cash", "request", "PDNO", "pattern"), "^[0-9]{6}$"))
    document = json.loads(to_json(changes, "a", "b"))
    assert document["changes"] == [
        {
            "check": "pattern-changed",
            "breaking": True,
            "where": "domestic_stock.order_cash",
            "message": "`PDNO`: pattern `^Q?[0-9A-Z]{6}$` → `^[0-9]{6}$`",
            "reason": "values accepted before may now be rejected",
            "details": {"field": "PDNO", "before": "^Q?[0-9A-Z]{6}$", "after": "^[0-9]{6}$"},
        }
    ]


def _before_the_language_grew(files: dict[str, Data]) -> None:
    """The spec as a revision from before time zones, EGW00121 and custtype on every TR call."""
    del files["common"]["timezone"]
    del files["common"]["headers"]["custtype"]["codes"]
    for market in files["markets"]["markets"].values():
        del market["timezone"]
    del files["auth"]["token"]["errors"]["invalid"]
    files["overseas_price"]["operations"]["price"]["headers"].remove("custtype")


def test_a_spec_older_than_the_language_is_still_diffed(tmp_path: Path) -> None:
    older = edited(tmp_path, _before_the_language_grew, "base")
    with pytest.raises(SpecError) as refused:
        spec_of(older)  # not generated from: it lacks what the client needs
    assert "no spec file declares `timezone`" in str(refused.value)
    changes = diff_specs(build_older_model(load_dir(older)), current())
    assert {(c.check, c.where) for c in changes} == {("market-timezone-changed", "markets"), ("operation-header-added", "overseas_price.price")}
    assert "market `US`: time zone (none) → America/New_York" in [c.message for c in changes]
