"""Every TR_ID cell of KIS's documents comes back from ``kis_client.resolve_tr_id``.

The reference document (tests/fixtures/kis-open-api-reference.md, a verbatim copy of the
2026-02-21 edition) is parsed here, not transcribed, so a table cell the resolver disagrees with
cannot hide. The newer facts that override the document are written below as data, each with its
source. The operations KIS's workbook (2026-09-11) documents are checked cell by cell against
tests/fixtures/kis_workbook_2026_09_11/operations.yaml, with their paths, headers and keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kisgen.model import Spec
from kis_client import TrIdNotFoundError, resolve_tr_id
from kis_client.tr_ids import ENVIRONMENTS, TR_IDS
from tests.conftest import repo_spec
from tests.kis_workbook import DOCUMENTED, workbook
from tests.markdown_tables import Table, tables

REFERENCE = Path(__file__).parent / "fixtures" / "kis-open-api-reference.md"
TR_ID = re.compile(r"`([A-Z]{4}[0-9]{4}[A-Z])`")
ENV_OF_HEADER = {"실전": "real", "실전 TR_ID": "real", "모의": "mock", "모의 TR_ID": "mock"}
SIDE_OF_LABEL = {"매수": "buy", "매도": "sell"}


@dataclass(frozen=True)
class Case:
    operation: str
    env: str
    side: str | None
    exchange: str | None
    tr_id: str
    origin: str  # where the expected value comes from


# Newer facts than the document (kis-facts.md, checked 2026-11). Keys: what the document row says.
MOCK_US_SELL = "KIS API portal 2026-05-29; KIS API workbook 2026-09-11; sample code comment 2026-07-09"
MOVED_ROWS = {
    # The document lists 정정/취소 under order-cash; KIS serves it at order-rvsecncl.
    ("/uapi/domestic-stock/v1/trading/order-cash", "정정/취소"): (
        "domestic_stock.order_rvsecncl",
        "kis-facts.md 2026-11: TTTC0013U/VTTC0013U belong to POST .../order-rvsecncl",
    ),
}
VALUE_UPDATES = {
    # (operation, env, side, market label in the document) -> (TR_ID, source)
    ("overseas_stock.order", "mock", "sell", "미국"): ("VTTT1001U", MOCK_US_SELL),
}


def exchanges_by_market(document: list[Table]) -> dict[str, list[str]]:
    """Market label (미국, 홍콩, 베트남...) -> exchange codes, from the document's 거래소 코드 table."""
    (table,) = [t for t in document if t.heading.startswith("거래소 코드")]
    result: dict[str, list[str]] = {}
    for code, market, _ in table.rows:
        result.setdefault(market, []).append(code.strip("`"))
    return result


def market_exchanges(label: str, by_market: dict[str, list[str]]) -> tuple[str, list[str]]:
    """``미국 (NASD/NYSE/AMEX)`` names its exchanges; ``베트남`` covers 베트남 하노이 and 베트남 호치민."""
    match = re.fullmatch(r"(.+?) \(([A-Z/]+)\)", label)
    if match:
        return match.group(1), match.group(2).split("/")
    codes = [code for market, members in by_market.items() if market == label or market.startswith(label + " ") for code in members]
    return label, codes


def document_cases() -> list[Case]:
    spec = repo_spec()
    operation_at = {(op.method, op.path): op.qualname for op in spec.operations}
    document = tables(REFERENCE.read_text(encoding="utf-8"))
    by_market = exchanges_by_market(document)
    cases: list[Case] = []
    for table in document:
        if not any(TR_ID.search(cell) for row in table.rows for cell in row):
            continue
        method, path = re.search(r"(GET|POST) `([^`]+)`", table.heading).groups()  # type: ignore[union-attr]
        operation = operation_at[(method, path)]
        if table.header[0] == "환경":  # one TR_ID per environment
            for env_label, cell in table.rows:
                cases.append(Case(operation, ENV_OF_HEADER[env_label], None, None, TR_ID.fullmatch(cell).group(1), "document"))  # type: ignore[union-attr]
            continue
        envs = [ENV_OF_HEADER[name] for name in table.header[1:]]
        for label, *cells in table.rows:
            label = label.strip("*")
            row_operation, origin = MOVED_ROWS.get((path, label), (operation, "document"))
            if table.caption:  # overseas: the caption names the side, rows name markets
                side: str | None = SIDE_OF_LABEL[table.caption.split()[0]]
                market, exchanges = market_exchanges(label, by_market)
            else:  # domestic: rows name the side (or an operation of their own)
                side, market, exchanges = SIDE_OF_LABEL.get(label), "", []
            for env, cell in zip(envs, cells):
                tr_id = TR_ID.fullmatch(cell).group(1)  # type: ignore[union-attr]
                updated = VALUE_UPDATES.get((row_operation, env, side or "", market))
                value, where = updated if updated else (tr_id, origin)
                for exchange in exchanges or [None]:  # type: ignore[list-item]
                    cases.append(Case(row_operation, env, side, exchange, value, where))
    return cases


CASES = document_cases()


def test_the_document_parse_covers_every_tr_id_cell() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    in_tables = {token for line in text.splitlines() if line.startswith("|") for token in TR_ID.findall(line)}
    documented = {case.tr_id for case in CASES if case.origin != MOCK_US_SELL} | {"VTTT1006U"}
    assert in_tables == documented
    assert len(in_tables) == 36
    # 9 exchanges x 2 sides x 2 environments, plus 2 domestic orders, modify/cancel and 3 balances, x 2.
    assert len(CASES) == 36 + 12
    assert [case.exchange for case in CASES if case.origin == MOCK_US_SELL] == ["NASD", "NYSE", "AMEX"]
    assert {case.exchange for case in CASES if case.side == "buy" and case.operation == "overseas_stock.order"} == {
        "NASD", "NYSE", "AMEX", "SEHK", "SHAA", "SZAA", "TKSE", "HASE", "VNSE",
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.operation}-{c.env}-{c.side}-{c.exchange}-{c.tr_id}")
def test_resolver_returns_the_documented_tr_id(case: Case) -> None:
    assert resolve_tr_id(case.operation, case.env, side=case.side, exchange=case.exchange) == case.tr_id


def test_us_sell_on_mock_is_the_corrected_value_not_the_rule() -> None:
    for exchange in ("NASD", "NYSE", "AMEX"):
        assert resolve_tr_id("overseas_stock.order", "mock", side="sell", exchange=exchange) == "VTTT1001U"
        assert resolve_tr_id("overseas_stock.order", "real", side="sell", exchange=exchange) == "TTTT1006U"
    cell = [c for c in repo_spec().operation("overseas_stock.order").tr.cells if (c.env, c.market, c.side) == ("mock", "US", "sell")]  # type: ignore[union-attr]
    assert [(c.tr_id, c.how) for c in cell] == [("VTTT1001U", "override")]
    assert "2026" in (cell[0].source or "")


def test_mock_rule_turns_c_into_v() -> None:
    assert resolve_tr_id("overseas_stock.inquire_present_balance", "real") == "CTRP6504R"
    assert resolve_tr_id("overseas_stock.inquire_present_balance", "mock") == "VTRP6504R"
    op = repo_spec().operation("overseas_stock.inquire_present_balance")
    assert op.tr is not None
    assert [(c.env, c.tr_id, c.how) for c in op.tr.cells] == [("real", "CTRP6504R", "spec"), ("mock", "VTRP6504R", "rule")]


def test_market_may_be_given_instead_of_an_exchange() -> None:
    assert resolve_tr_id("overseas_stock.order", "real", side="buy", market="VN") == "TTTS0311U"
    assert resolve_tr_id("overseas_stock.order", "real", side="buy", market="VN", exchange="HASE") == "TTTS0311U"


@pytest.mark.parametrize(
    ("operation", "env", "kwargs", "says"),
    [
        pytest.param("overseas_stock.order", "real", {"side": "buy", "exchange": "NAS"}, "exchange 'NAS'", id="unknown-exchange"),
        pytest.param("overseas_stock.order", "mock", {"side": "buy", "exchange": "KRX"}, "exchange 'KRX'", id="domestic-exchange"),
        pytest.param("overseas_stock.order", "real", {"side": "buy"}, "market", id="missing-exchange"),
        pytest.param("overseas_stock.order", "real", {"exchange": "NASD"}, "side", id="missing-side-overseas"),
        pytest.param("domestic_stock.order_cash", "real", {}, "side", id="missing-side"),
        pytest.param("domestic_stock.inquire_balance", "real", {"side": "buy"}, "does not depend on side", id="side-on-op-without-sides"),
        pytest.param("domestic_stock.order_cash", "real", {"side": "buy", "exchange": "NASD"}, "does not depend on market", id="exchange-on-domestic"),
        pytest.param("domestic_stock.order_cash", "real", {"side": "hold"}, "side=hold", id="unknown-side"),
        pytest.param("domestic_stock.order_cash", "paper", {"side": "buy"}, "env=paper", id="unknown-env"),
        pytest.param("domestic_stock.order_stock", "real", {"side": "buy"}, "no operation", id="unknown-operation"),
        pytest.param("auth.token", "real", {}, "no operation", id="operation-without-tr-id"),
        pytest.param("overseas_stock.order", "real", {"side": "buy", "exchange": "NASD", "market": "HK"}, "not HK", id="exchange-market-clash"),
    ],
)
def test_resolver_refuses_what_the_spec_lacks(operation: str, env: str, kwargs: dict[str, str], says: str) -> None:
    with pytest.raises(TrIdNotFoundError) as raised:
        resolve_tr_id(operation, env, **kwargs)
    assert says in str(raised.value)


# -- the operations of KIS's workbook -------------------------------------------------------------

WORKBOOK: dict[str, Any] = workbook("operations.yaml")


def documented_cells(name: str) -> list[tuple[str, dict[str, str], str]]:
    """(env, selector, documented TR_ID or 'unsupported'/'none') of one operation."""
    facts = DOCUMENTED[name]
    found = []
    for env in ("real", "mock"):
        if "by_period" in facts:
            found += [(env, {"period": period}, ids[env]) for period, ids in facts["by_period"].items()]
        elif "by_exchange" in facts:
            found += [(env, {"exchange": exchange}, ids[env]) for exchange, ids in facts["by_exchange"].items()]
        else:
            found.append((env, {}, facts[env]))
    return found


@pytest.mark.parametrize("operation", sorted(DOCUMENTED))
def test_every_documented_tr_id_cell_and_no_other(operation: str) -> None:
    for env, selector, documented in documented_cells(operation):
        if documented == "none":
            assert all(key[0] != operation for key in TR_IDS)
            assert env in ENVIRONMENTS[operation]
        elif documented == "unsupported":
            assert env not in ENVIRONMENTS[operation]
            with pytest.raises(TrIdNotFoundError):
                resolve_tr_id(operation, env, **selector)
        else:
            assert env in ENVIRONMENTS[operation]
            assert resolve_tr_id(operation, env, **selector) == documented, (env, selector)
    # The generated table holds exactly the documented cells, nothing derived on the side.
    documented_ids = {tr for _env, _selector, tr in documented_cells(operation) if tr not in ("none", "unsupported")}
    assert {tr for key, tr in TR_IDS.items() if key[0] == operation} == documented_ids


def test_sample_code_mock_tr_ids_never_appear() -> None:
    for tr_id in WORKBOOK["sample_code_mock_tr_ids_that_do_not_exist"]:
        assert tr_id not in TR_IDS.values()


@pytest.mark.parametrize("operation", sorted(DOCUMENTED))
def test_path_method_and_environments(spec: Spec, operation: str) -> None:
    facts = DOCUMENTED[operation]
    op = spec.operation(operation)
    assert (op.method, op.path) == (facts["method"], facts["path"])
    assert op.envs == (("real",) if facts["env_support"] == "real_only" else ("real", "mock"))


@pytest.mark.parametrize("operation", sorted(DOCUMENTED))
def test_legacy_tr_ids_are_retired_not_used(spec: Spec, operation: str) -> None:
    legacy = DOCUMENTED[operation].get("legacy", [])
    op = spec.operation(operation)
    real_legacy = [tr for tr in legacy if not tr.startswith("V")]
    if op.tr is not None:
        assert {tr for tr, _ in op.tr.retired} == set(real_legacy)
    for tr_id in legacy:
        assert tr_id not in TR_IDS.values()


@pytest.mark.parametrize("operation", sorted(name for name, f in DOCUMENTED.items() if "continuation" in f))
def test_continuation_keys_and_page_sizes(spec: Spec, operation: str) -> None:
    facts = DOCUMENTED[operation]["continuation"]
    page = spec.operation(operation).pagination
    assert page is not None
    assert {key.request for key in page.keys} == set(facts["request"])
    assert {key.response for key in page.keys} == set(facts["response"])
    assert dict(page.page_size) == facts["page_size"]


@pytest.mark.parametrize("operation", sorted(DOCUMENTED))
def test_headers_are_the_documented_ones(spec: Spec, operation: str) -> None:
    """Exactly the workbook's required headers; content-type added on POST bodies, tr_cont on
    paged reads, custtype on every call with a TR_ID (KIS's own client always sends it, also
    where the workbook marks it Req=N)."""
    op = spec.operation(operation)
    expected = set(DOCUMENTED[operation]["headers"])
    if op.method == "POST":
        expected.add("content-type")
    if op.pagination is not None:
        expected.add("tr_cont")
    if op.tr is not None:
        expected.add("custtype")
    assert set(op.headers) == expected


def test_real_only_operations_have_no_mock_cells(spec: Spec) -> None:
    real_only = sorted(name for name, facts in DOCUMENTED.items() if facts["env_support"] == "real_only")
    assert real_only == ["domestic_stock.inquire_psbl_rvsecncl", "domestic_stock.inquire_psbl_sell", "overseas_stock.inquire_nccs"]
    for name in real_only:
        op = spec.operation(name)
        assert op.tr is not None and op.tr.mock == "unsupported"
        assert op.envs == ("real",)
        assert all(cell.env == "real" for cell in op.tr.cells)
