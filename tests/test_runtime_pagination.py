"""Pagination: every page, CTX_AREA keys sent back verbatim, no silent truncation; and where KIS
cannot page (charts), the walk's next bound."""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest

from kis_client import KisClient, TransportError
from kis_client._calls import CallContext, walk_back
from kis_client._secrets import Credentials
from kis_client.domestic_stock.inquire_daily_itemchartprice import prepare_domestic_stock_inquire_daily_itemchartprice
from kis_client.domestic_stock.inquire_time_itemchartprice import prepare_domestic_stock_inquire_time_itemchartprice
from kis_client.errors import PaginationError
from tests.fault_server import BALANCE_PATH, Fault, FaultServer, Page, client_options, fault_server

__all__ = ["fault_server"]


def padded(text: str) -> str:
    return text.ljust(100)  # KIS pads CTX_AREA values with spaces to the field's length


def rows(*codes: str) -> list[dict[str, str]]:
    return [{"pdno": code, "hldg_qty": "1"} for code in codes]


THREE_PAGES = [
    Page(rows("000001", "000002"), "F", padded("12345678^01^F1^"), padded("12345678^01^000002^")),
    Page(rows("000003", "000004"), "M", padded("12345678^01^F2^"), padded("12345678^01^000004^")),
    Page(rows("000005"), "D", padded("12345678^01^F3^"), padded("")),
]


def test_every_page_is_read_with_the_keys_sent_back_verbatim(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = THREE_PAGES
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        pages = list(client.domestic_stock.inquire_balance_pages())
    assert [row.pdno for page in pages for row in page.holdings] == ["000001", "000002", "000003", "000004", "000005"]
    seen = fault_server.seen_at(BALANCE_PATH)
    assert [request.headers["tr_cont"] for request in seen] == ["", "N", "N"]
    assert [(request.params["CTX_AREA_FK100"], request.params["CTX_AREA_NK100"]) for request in seen] == [
        ("", ""),
        (THREE_PAGES[0].fk, THREE_PAGES[0].nk),
        (THREE_PAGES[1].fk, THREE_PAGES[1].nk),
    ]
    assert all(request.params["INQR_DVSN"] == "02" for request in seen)  # the other fields repeat
    assert [page.continuation.has_more for page in pages] == [True, True, False]


def test_a_single_call_reports_that_more_pages_follow(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = THREE_PAGES
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        first = client.domestic_stock.inquire_balance()
    assert first.continuation is not None
    assert (first.continuation.tr_cont, first.continuation.has_more) == ("F", True)
    assert first.continuation.nk == THREE_PAGES[0].nk  # spaces kept


def test_a_fault_on_a_later_page_is_retried_not_truncated(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = THREE_PAGES
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        iterator = client.domestic_stock.inquire_balance_pages()
        next(iterator)
        fault_server.script(BALANCE_PATH, Fault.http500(), Fault.reset())
        rest = list(iterator)
    assert [row.pdno for page in rest for row in page.holdings] == ["000003", "000004", "000005"]


def test_a_page_that_keeps_failing_raises_instead_of_ending_early(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = THREE_PAGES
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        iterator = client.domestic_stock.inquire_balance_pages()
        next(iterator)
        fault_server.script(BALANCE_PATH, *[Fault.http500()] * 4)
        with pytest.raises(TransportError):
            list(iterator)


@pytest.mark.parametrize("tr_cont", ["E", "D"])
def test_d_and_e_end_the_pages(fault_server: FaultServer, tmp_path: Path, tr_cont: str) -> None:
    fault_server.pages = [Page(rows("000001"), tr_cont, padded("K"), padded("K"))]
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        pages = list(client.domestic_stock.inquire_balance_pages())
    assert len(pages) == 1
    assert fault_server.requests[BALANCE_PATH] == 1


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ([Page(rows("000001"), "X", padded("K"), padded("K"))], "tr_cont 'X', neither more"),
        ([Page(rows("000001"), "M", padded(""), padded("")), Page(rows("000002"), "D")], "empty continuation keys"),
        (
            [Page(rows("000001"), "M", padded("A"), padded("A")), Page(rows("000002"), "M", padded("A"), padded("A")), Page([], "D")],
            "same continuation keys twice",
        ),
    ],
    ids=["unknown-tr_cont", "more-without-keys", "repeated-keys"],
)
def test_a_continuation_that_makes_no_sense_raises(fault_server: FaultServer, tmp_path: Path, pages: list[Page], message: str) -> None:
    fault_server.pages = pages
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        with pytest.raises(PaginationError, match=message):
            list(client.domestic_stock.inquire_balance_pages())


ENDLESS = [Page(rows(f"{index:06d}"), "M", padded(f"FK{index}"), padded(f"NK{index}")) for index in range(5)] + [Page(rows("999999"), "D")]


def test_pages_stop_at_max_pages_with_a_clear_error(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = ENDLESS  # "more" with new keys every time
    with KisClient(**client_options(fault_server, tmp_path, max_pages=3)) as client:
        pages = client.domestic_stock.inquire_balance_pages()
        read = [next(pages) for _ in range(3)]
        with pytest.raises(PaginationError, match="still says more pages follow after 3 pages, the client's max_pages"):
            next(pages)
    assert len(read) == 3
    assert fault_server.requests[BALANCE_PATH] == 3  # the fourth page was never asked for


def test_max_pages_none_reads_every_page_and_the_default_is_1000(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.pages = ENDLESS
    with KisClient(**client_options(fault_server, tmp_path, max_pages=None)) as client:
        holdings = [row.pdno for row in client.domestic_stock.inquire_balance_holdings()]
    assert holdings == ["000000", "000001", "000002", "000003", "000004", "999999"]
    with KisClient(**client_options(fault_server, tmp_path)) as client:
        assert client._core.settings.max_pages == 1000
    for bad in (0, -1, 2.5, "10"):
        with pytest.raises(ValueError, match="max_pages must be a whole number"):
            KisClient(**client_options(fault_server, tmp_path, max_pages=bad))


def test_async_pages_stop_at_max_pages(fault_server: FaultServer, tmp_path: Path) -> None:
    import asyncio

    from kis_client import AsyncKisClient

    fault_server.pages = ENDLESS

    async def main() -> int:
        read = 0
        async with AsyncKisClient(**client_options(fault_server, tmp_path, max_pages=2)) as client:
            with pytest.raises(PaginationError, match="after 2 pages"):
                async for _page in client.domestic_stock.inquire_balance_pages():
                    read += 1
        return read

    assert asyncio.run(main()) == 2


# -- walks: the next call's bound ---------------------------------------------------------------

CONTEXT = CallContext("real", "12345678", "01", Credentials("app-key-for-walk-tests", "app-secret-for-walk-tests"), lambda: "token-for-walk-tests")


def test_walk_back_rules() -> None:
    call = prepare_domestic_stock_inquire_time_itemchartprice(CONTEXT, fid_input_iscd="005930", fid_input_hour_1="090100")
    assert walk_back(call, "FID_INPUT_HOUR_1", "time", [], None) is None
    assert walk_back(call, "FID_INPUT_HOUR_1", "time", [dtime(0, 0, 0)], None) is None
    step = walk_back(call, "FID_INPUT_HOUR_1", "time", [dtime(9, 1), dtime(9, 0), None], None)
    assert step is not None and step.params["FID_INPUT_HOUR_1"] == "085959"
    assert call.params["FID_INPUT_HOUR_1"] == "090100"  # the call itself is left alone


@pytest.mark.parametrize(
    ("start", "oldest", "next_end"),
    [
        ("20251101", date(2025, 11, 3), None),  # start Saturday, oldest bar Monday: only a weekend is left
        ("20251102", date(2025, 11, 3), None),  # start Sunday
        ("20251031", date(2025, 11, 3), "20251102"),  # start Friday: asked for (the bound is not moved)
        ("20251103", date(2025, 11, 4), "20251103"),
        ("20251104", date(2025, 11, 4), None),
    ],
)
def test_a_daily_walk_never_asks_for_a_weekend_alone(start: str, oldest: date, next_end: str | None) -> None:
    call = prepare_domestic_stock_inquire_daily_itemchartprice(CONTEXT, fid_input_iscd="005930", fid_input_date_1=start, fid_input_date_2="20251130", fid_period_div_code="D", fid_org_adj_prc="0")
    step = walk_back(call, "FID_INPUT_DATE_2", "date", [oldest + timedelta(days=7), oldest], "FID_INPUT_DATE_1")
    assert (step.params["FID_INPUT_DATE_2"] if step is not None else None) == next_end
