"""The sandbox's account through the generated client: fills, resting orders, modify and cancel,
cash and holdings, the three balances, and paging."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kisgen.model import Spec
from kisgen.sandbox import Rejection, RunningSandbox, SandboxOptions, SandboxState, running_sandbox
from kisgen.sandbox.state import Account
from kis_client import KisApiError, KisClient
from tests.conftest import ClientFactory

SAMSUNG = "005930"  # the sandbox's default price: 70,000 won
APPLE = "AAPL"  # 190 dollars


def domestic_holding(client: KisClient, pdno: str) -> tuple[int, Decimal]:
    balance = client.domestic_stock.inquire_balance()
    for row in balance.holdings:
        if row.pdno == pdno:
            assert row.hldg_qty is not None and row.pchs_avg_pric is not None
            return row.hldg_qty, row.pchs_avg_pric
    return 0, Decimal(0)


def cash_after_trades(client: KisClient) -> int:
    summary = client.domestic_stock.inquire_balance().summary
    assert summary is not None and summary.prvs_rcdl_excc_amt is not None
    return summary.prvs_rcdl_excc_amt


def test_a_market_buy_fills_at_the_price_and_moves_cash_into_holdings(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    order = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="3", ord_unpr="0")
    assert order.order is not None and order.order.odno is not None and len(order.order.odno) == 10
    assert order.order.krx_fwdg_ord_orgno == "06010" and order.order.ord_tmd is not None
    assert domestic_holding(client, SAMSUNG) == (3, Decimal("70000"))
    assert cash_after_trades(client) == 10_000_000 - 3 * 70_000
    summary = client.domestic_stock.inquire_balance().summary
    assert summary is not None and summary.dnca_tot_amt == 10_000_000  # settles on D+2
    assert summary.scts_evlu_amt == 210_000 and summary.tot_evlu_amt == 10_000_000


def test_a_limit_order_that_does_not_cross_rests_then_modify_fills_and_cancel_closes(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    resting = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="5", ord_unpr="60000")
    assert resting.order is not None and resting.order.odno and resting.order.krx_fwdg_ord_orgno
    assert domestic_holding(client, SAMSUNG) == (0, Decimal(0))
    # Modify 2 of the 5 to a price that still rests, then cancel what is left of the original.
    modified = client.domestic_stock.order_rvsecncl(
        krx_fwdg_ord_orgno=resting.order.krx_fwdg_ord_orgno, orgn_odno=resting.order.odno, ord_dvsn="00",
        rvse_cncl_dvsn_cd="01", ord_qty="2", ord_unpr="65000", qty_all_ord_yn="N",
    )
    assert modified.order is not None and modified.order.odno not in (None, resting.order.odno)
    client.domestic_stock.order_rvsecncl(
        krx_fwdg_ord_orgno=resting.order.krx_fwdg_ord_orgno, orgn_odno=resting.order.odno, ord_dvsn="00",
        rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y",
    )
    assert client.account is not None
    open_orders = mock_sandbox.state.open_orders(*client.account.split("-"))
    assert [(o.odno, o.open_qty, o.price) for o in open_orders] == [(modified.order.odno, 2, Decimal("65000"))]
    # Modifying the rest to cross the price fills it at the sandbox's price.
    client.domestic_stock.order_rvsecncl(
        krx_fwdg_ord_orgno="06010", orgn_odno=modified.order.odno, ord_dvsn="00",
        rvse_cncl_dvsn_cd="01", ord_qty="0", ord_unpr="71000", qty_all_ord_yn="Y",
    )
    assert domestic_holding(client, SAMSUNG) == (2, Decimal("70000"))
    assert mock_sandbox.state.open_orders(*client.account.split("-")) == []


def test_cancelling_an_order_that_is_not_open_is_refused(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    filled = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="1", ord_unpr="0")
    assert filled.order is not None and filled.order.odno
    with pytest.raises(KisApiError) as caught:
        client.domestic_stock.order_rvsecncl(
            krx_fwdg_ord_orgno="06010", orgn_odno=filled.order.odno, ord_dvsn="00",
            rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y",
        )
    assert caught.value.msg_cd == "SBX03003"
    resting = client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="1", ord_unpr="50000")
    assert resting.order is not None and resting.order.odno
    with pytest.raises(KisApiError) as caught:  # the right number under the wrong branch
        client.domestic_stock.order_rvsecncl(
            krx_fwdg_ord_orgno="91252", orgn_odno=resting.order.odno, ord_dvsn="00",
            rvse_cncl_dvsn_cd="02", ord_qty="0", ord_unpr="0", qty_all_ord_yn="Y",
        )
    assert caught.value.msg_cd == "SBX03003"


def test_selling_fills_and_selling_more_than_held_is_refused(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="4", ord_unpr="0")
    client.domestic_stock.order_cash(side="sell", pdno=SAMSUNG, ord_dvsn="01", ord_qty="1", ord_unpr="0")
    assert domestic_holding(client, SAMSUNG)[0] == 3
    with pytest.raises(KisApiError) as caught:
        client.domestic_stock.order_cash(side="sell", pdno=SAMSUNG, ord_dvsn="01", ord_qty="4", ord_unpr="0")
    assert caught.value.msg_cd == "SBX03002" and caught.value.rt_cd == "1"
    assert domestic_holding(client, SAMSUNG)[0] == 3


def test_a_buy_beyond_the_cash_is_refused(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    with pytest.raises(KisApiError) as caught:
        client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="01", ord_qty="1000", ord_unpr="0")
    assert caught.value.msg_cd == "SBX03001"
    assert cash_after_trades(client) == 10_000_000


def test_overseas_limit_orders_fill_when_they_cross_and_show_in_both_balances(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    client.overseas_stock.order(side="buy", ovrs_excg_cd="NASD", pdno=APPLE, ord_qty="2", ovrs_ord_unpr="195.00", ord_dvsn="00")
    client.overseas_stock.order(side="buy", ovrs_excg_cd="NASD", pdno="TSLA", ord_qty="1", ovrs_ord_unpr="100.00", ord_dvsn="00")
    balance = client.overseas_stock.inquire_balance(ovrs_excg_cd="NASD", tr_crcy_cd="USD")
    assert [(row.ovrs_pdno, row.ovrs_cblc_qty, row.pchs_avg_pric) for row in balance.holdings] == [(APPLE, 2, Decimal("190.0000"))]
    assert balance.summary is not None and balance.summary.frcr_pchs_amt1 == Decimal("380")
    present = client.overseas_stock.inquire_present_balance(wcrc_frcr_dvsn_cd="02", natn_cd="840", tr_mket_cd="01", inqr_dvsn_cd="00")
    assert [(row.pdno, row.cblc_qty13) for row in present.holdings] == [(APPLE, Decimal(2))]
    usd = [row for row in present.deposits if row.crcy_cd == "USD"]
    assert usd and usd[0].frcr_dncl_amt_2 == Decimal("10000") - 380
    assert present.totals is not None and present.totals.pchs_amt_smtl == Decimal(380 * 1350)
    # NYSE is another market code: nothing there.
    nyse = client.overseas_stock.inquire_present_balance(wcrc_frcr_dvsn_cd="02", natn_cd="840", tr_mket_cd="02", inqr_dvsn_cd="00")
    assert list(nyse.holdings) == []


@pytest.fixture
def pages_of_two(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, page_size=2) as sandbox:
        yield sandbox


def test_balances_page_with_tr_cont_and_the_ctx_area_keys(pages_of_two: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(pages_of_two)
    symbols = ["000020", "000040", "000050", "000070", "000080"]
    for pdno in symbols:
        client.domestic_stock.order_cash(side="buy", pdno=pdno, ord_dvsn="01", ord_qty="1", ord_unpr="0")
    pages = list(client.domestic_stock.inquire_balance_pages())
    assert [page.continuation.tr_cont for page in pages if page.continuation] == ["F", "M", "D"]
    assert [row.pdno for page in pages for row in page.holdings] == symbols
    first = pages[0].continuation
    assert first is not None and first.has_more and first.fk and first.nk
    assert pages[0].raw["ctx_area_nk100"] == first.nk
    for exchange in ("NASD", "NYSE", "AMEX"):
        client.overseas_stock.order(side="buy", ovrs_excg_cd=exchange, pdno=APPLE, ord_qty="1", ovrs_ord_unpr="200", ord_dvsn="00")
    overseas = list(client.overseas_stock.inquire_balance_pages(ovrs_excg_cd="NYSE", tr_crcy_cd="USD"))
    assert [page.continuation.tr_cont for page in overseas if page.continuation] == ["D"]


def test_typed_rows_come_across_every_page(pages_of_two: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(pages_of_two)
    symbols = ["000020", "000040", "000050"]
    for pdno in symbols:
        client.domestic_stock.order_cash(side="buy", pdno=pdno, ord_dvsn="01", ord_qty="2", ord_unpr="0")
    rows = list(client.domestic_stock.inquire_balance_holdings())  # three rows over two pages
    assert [row.pdno for row in rows] == symbols
    assert all(row.hldg_qty == 2 and isinstance(row.pchs_avg_pric, Decimal) for row in rows)
    assert [row.pdno for page in client.domestic_stock.inquire_balance_pages() for row in page.holdings] == symbols


# -- buying power: what resting orders can cost is reserved, and checked again on every modify --


def test_modifying_resting_buys_cannot_spend_cash_the_account_lacks(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    resting = [client.domestic_stock.order_cash(side="buy", pdno=SAMSUNG, ord_dvsn="00", ord_qty="100", ord_unpr="1").order for _ in range(20)]
    refused = 0
    for order in resting:
        assert order is not None and order.odno
        try:
            client.domestic_stock.order_rvsecncl(
                krx_fwdg_ord_orgno="06010", orgn_odno=order.odno, ord_dvsn="00", rvse_cncl_dvsn_cd="01", ord_qty="0", ord_unpr="70000", qty_all_ord_yn="Y"
            )
        except KisApiError as error:
            assert error.msg_cd == "SBX03001"
            refused += 1
    assert refused == 19  # 100 x 70,000 once fits in 10,000,000; twice does not
    assert cash_after_trades(client) == 10_000_000 - 100 * 70_000 >= 0
    assert domestic_holding(client, SAMSUNG) == (100, Decimal("70000"))


Step = tuple[str, int, int, str]  # (action, which instrument or recent order, quantity, which price)
# Cash for a share or so, and few prices, so that orders meet: a limit that rests, one that
# crosses the price, a market-type order (overseas, it rests), the largest price a request may carry.
PRICES = {
    None: {"rests": Decimal(1), "crosses": Decimal(80000), "market": Decimal(0), "largest": Decimal("9" * 19)},
    "NASD": {"rests": Decimal("0.01"), "crosses": Decimal(200), "market": Decimal(0), "largest": Decimal("9" * 23)},
}
CASH = {"KRW": Decimal(100_000), "USD": Decimal(200)}
steps = st.tuples(
    st.sampled_from(["buy", "modify", "sell", "cancel"]),
    st.integers(0, 3),
    st.one_of(st.integers(1, 3), st.integers(1, 9_999_999_999)),
    st.sampled_from(["rests", "crosses", "market", "largest"]),
)


def worst_case(state: SandboxState, book: Account, currency: str) -> Decimal:
    """What the open buys in ``currency`` can still cost: quantity x limit, or x the price for a
    market-type order (the sandbox fills those at its price)."""
    return sum(
        (o.open_qty * (o.price or state.price(o.symbol, o.exchange is not None)) for o in book.orders.values() if o.side == "buy" and o.is_open and state.currency_of(o.exchange) == currency),
        Decimal(0),
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, max_size=20))
def test_no_sequence_of_orders_modifies_and_cancels_spends_cash_the_account_lacks(spec: Spec, sequence: list[Step]) -> None:
    state = SandboxState(spec, SandboxOptions(env="mock", cash=CASH))
    book = state.account("99999999", "01")
    instruments = [(SAMSUNG, None), (APPLE, "NASD")]
    placed: list[str] = []
    for action, which, qty, price in sequence:
        try:
            if action in ("buy", "sell"):
                symbol, exchange = instruments[which % len(instruments)]
                limit = PRICES[exchange][price]
                placed.append(state.place(book, action, symbol, exchange, qty, limit or None, "00" if limit else "01").odno)
            elif placed:
                original = book.orders[placed[-1 - which % len(placed)]]
                amount = None if original.exchange is None and qty % 2 else min(qty, original.open_qty) or 1
                record = state.modify_or_cancel(book, None, original.odno, action == "cancel", amount, PRICES[original.exchange][price], original.exchange, original.symbol)
                placed.append(record.odno)
        except Rejection as refusal:
            assert refusal.code in ("SBX03001", "SBX03002", "SBX03003")
        for currency in CASH:
            # Every open buy can still be paid for, so no fill can take cash below zero.
            assert book.cash[currency] >= worst_case(state, book, currency) >= 0
            assert state.buying_power(book, currency) == book.cash[currency] - worst_case(state, book, currency)
        for holding in book.holdings.values():
            assert holding.qty >= 0 and state.orderable(book, holding.exchange, holding.symbol) >= 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cash": {"KRW": Decimal("1e400")}}, "cash KRW must have at most 19 digits before the point and 4 after"),
        ({"cash": {"USD": Decimal("0.00001")}}, "cash USD must have at most 19 digits before the point and 4 after"),
        ({"cash": {"KRW": Decimal("NaN")}}, "cash KRW must be zero or more"),
        ({"prices": {"005930": Decimal("1e20")}}, "price of 005930 must have at most 19 digits"),
        ({"prices": {"AAPL": Decimal("0")}}, "price of AAPL must be more than zero"),
        ({"rate_limit_per_second": -1.0}, "rate_limit_per_second must be a number of 0 or more"),
        ({"rate_limit_per_second": float("nan")}, "rate_limit_per_second must be a number of 0 or more"),
        ({"rate_limit_per_second": float("inf")}, "rate_limit_per_second must be a number of 0 or more"),
    ],
)
def test_options_outside_what_kis_holds_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxOptions(env="mock", **options)  # type: ignore[arg-type]


def test_the_largest_cash_and_smallest_price_still_answer(spec: Spec, make_client: ClientFactory) -> None:
    # 19 digits of won against a price of 0.0001: every amount inquiry answers (it once answered SBX00500).
    most = Decimal("9999999999999999999.9999")
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, cash={"KRW": most, "USD": most}, prices={"005930": Decimal("0.0001"), "AAPL": Decimal("0.0001")}) as sandbox:
        client = make_client(sandbox)
        power = client.domestic_stock.inquire_psbl_order(pdno="005930", ord_unpr="1", ord_dvsn="00", cma_evlu_amt_icld_yn="N", ovrs_icld_yn="N").buying_power
        assert power is not None and power.nrcvb_buy_qty == 9999999999999999999
        assert client.domestic_stock.inquire_balance().summary is not None
        assert client.overseas_stock.inquire_psamount(ovrs_excg_cd="NASD", ovrs_ord_unpr="0.0001", item_cd="AAPL").buying_power is not None
