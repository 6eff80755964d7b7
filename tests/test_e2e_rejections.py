"""The sandbox's refusals, each seen by the generated client as the right typed error.

The client validates before sending, so requests it would never send are built with its own
``prepare_*`` functions and then spoiled (a header dropped, a field changed) before its transport
sends them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kis_client import KisApiError, KisClient, RateLimitError, TokenCache, TokenError, ValidationError
from kis_client._calls import PreparedCall
from kis_client._rate_limit import RateLimiter
from kis_client._retry import RetryPolicy
from kis_client.domestic_stock.inquire_balance import prepare_domestic_stock_inquire_balance
from kis_client.domestic_stock.order_cash import prepare_domestic_stock_order_cash
from tests.conftest import ClientFactory


def balance_call(client: KisClient) -> PreparedCall:
    return prepare_domestic_stock_inquire_balance(client._ctx)


def buy_call(client: KisClient, **changes: str) -> PreparedCall:
    call = prepare_domestic_stock_order_cash(client._ctx, side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="0")
    return dataclasses.replace(call, params={**call.params, **changes})


def without_header(call: PreparedCall, header: str) -> PreparedCall:
    headers = tuple(name for name in call.operation.headers if name != header)
    return dataclasses.replace(call, operation=dataclasses.replace(call.operation, headers=headers))


def orders_of(sandbox: RunningSandbox, client: KisClient) -> int:
    assert client.account is not None
    cano, product = client.account.split("-")
    return len(sandbox.state.account(cano, product).orders)


@pytest.mark.parametrize(("client_env", "sandbox_env"), [("real", "mock"), ("mock", "real")])
def test_a_tr_id_of_the_other_environment_is_refused(client_env: str, sandbox_env: str, sandboxes: dict[str, RunningSandbox], make_client: ClientFactory) -> None:
    client = make_client(sandboxes[sandbox_env], env=client_env)
    with pytest.raises(KisApiError) as caught:
        client.domestic_stock.inquire_balance()
    assert caught.value.msg_cd == "SBX01002"
    assert caught.value.tr_id == ("TTTC8434R" if client_env == "real" else "VTTC8434R")


@pytest.mark.parametrize(
    ("header", "msg_cd"),
    [("authorization", "EGW00121"), ("appkey", "EGW00103"), ("appsecret", "EGW00105"), ("tr_id", "SBX01001"), ("custtype", "SBX01003")],
)
def test_a_missing_header_is_refused(header: str, msg_cd: str, mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    client.domestic_stock.inquire_balance()  # a token first
    with pytest.raises(KisApiError) as caught:
        client._core.send(without_header(balance_call(client), header))
    assert caught.value.msg_cd == msg_cd
    assert caught.value.status_code == 500


def test_a_wrong_custtype_is_refused(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    client._core.settings.custtype = "X"  # the client itself refuses custtype="X" when it is made
    with pytest.raises(KisApiError) as caught:
        client.domestic_stock.inquire_balance()
    assert caught.value.msg_cd == "SBX01003"


def test_a_bad_field_is_refused_and_nothing_is_ordered(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    with pytest.raises(KisApiError) as caught:
        client._core.send(buy_call(client, PDNO="5930", ORD_QTY="0"))
    assert caught.value.msg_cd == "SBX02001"
    assert caught.value.status_code == 200 and caught.value.rt_cd == "1"
    assert "PDNO" in caught.value.msg1 and "ORD_QTY" in caught.value.msg1
    assert orders_of(mock_sandbox, client) == 0


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"SLL_TYPE": "01"}, "buy_has_no_sll_type"),
        ({"ORD_UNPR": "70000"}, "market_order_price_zero"),
        ({"EXCG_ID_DVSN_CD": "NXT"}, "mock_krx_only"),
    ],
)
def test_a_broken_rule_is_refused(changes: dict[str, str], rule: str, mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    with pytest.raises(KisApiError) as caught:
        client._core.send(buy_call(client, **changes))
    assert caught.value.msg_cd == "SBX02002"
    assert rule in caught.value.msg1


def test_the_client_refuses_the_same_order_before_sending(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox)
    with pytest.raises(ValidationError) as caught:
        client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="70000")
    assert caught.value.fields == ("ORD_UNPR",)
    assert orders_of(mock_sandbox, client) == 0


def test_a_tr_id_of_another_market_is_refused(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    from kis_client.overseas_stock.order import prepare_overseas_stock_order

    client = make_client(mock_sandbox)
    call = prepare_overseas_stock_order(client._ctx, side="buy", ovrs_excg_cd="NASD", pdno="AAPL", ord_qty="1", ovrs_ord_unpr="200", ord_dvsn="00")
    spoiled = dataclasses.replace(call, params={**call.params, "OVRS_EXCG_CD": "SEHK"})
    with pytest.raises(KisApiError) as caught:
        client._core.send(spoiled)
    assert caught.value.msg_cd == "SBX02003"


def test_a_second_issuance_within_the_interval_is_a_token_error(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    first = make_client(mock_sandbox)
    first.domestic_stock.inquire_balance()
    first.auth.revoke()  # the next request must issue a new token, not return this one
    # A client that will not wait out the minute sees KIS's refusal as a TokenError.
    impatient = TokenCache.in_memory(wait_seconds=0)
    second = make_client(mock_sandbox, app_key=first._core.settings.credentials.app_key, token_cache=impatient)
    with pytest.raises(TokenError) as caught:
        second.domestic_stock.inquire_balance()
    assert caught.value.msg_cd == "EGW00133"
    assert caught.value.status_code == 403


def test_asking_again_returns_the_same_token(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    first = make_client(mock_sandbox)
    second = make_client(mock_sandbox, app_key=first._core.settings.credentials.app_key)
    assert first._core.token().value == second._core.token().value


@pytest.fixture
def frozen_one_per_second(spec: Spec) -> Iterator[RunningSandbox]:
    """One request a second and a stopped clock: the second request is always over the limit."""
    with running_sandbox("mock", spec=spec, rate_limit_per_second=1, clock=lambda: 1_900_000_000.0) as sandbox:
        yield sandbox


def test_over_the_rate_limit_is_a_rate_limit_error_and_nothing_executes(frozen_one_per_second: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(frozen_one_per_second)
    client.domestic_stock.inquire_balance()
    with pytest.raises(RateLimitError) as caught:
        client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="0")
    assert caught.value.msg_cd == "EGW00201"
    assert orders_of(frozen_one_per_second, client) == 0


def test_the_client_retries_past_the_rate_limit(spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=1) as sandbox:
        # Backoffs of at least 0.25 + 0.5 + 1.0 s: past the one-second window by the last try.
        client = make_client(sandbox, retry=RetryPolicy(attempts=4, backoff=0.5, max_backoff=2.0))
        client.domestic_stock.inquire_balance()
        order = client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="0")
        assert order.order is not None and order.order.odno
        assert orders_of(sandbox, client) == 1


def test_an_expired_token_is_renewed_once_by_the_client(spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, token_min_interval_seconds=0) as sandbox:
        client = make_client(sandbox)
        client.domestic_stock.inquire_balance()
        sandbox.state.expire_tokens()
        client.domestic_stock.inquire_balance()  # EGW00123, then a new token and the call again
        assert len(sandbox.state.tokens) == 2


def test_an_expired_token_without_a_new_one_is_a_kis_error(spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0) as sandbox:
        client = make_client(sandbox, token_cache=TokenCache.in_memory(wait_seconds=0))
        client.domestic_stock.inquire_balance()
        sandbox.state.expire_tokens()
        # The client renews once; within the minute KIS refuses a new token (not waited out here).
        with pytest.raises(TokenError) as caught:
            client.domestic_stock.inquire_balance()
        assert caught.value.msg_cd == "EGW00133"


def test_the_client_default_limiter_stays_under_the_sandbox_limit(spec: Spec, make_client: ClientFactory) -> None:
    with running_sandbox("mock", spec=spec) as sandbox:  # the spec's 2 a second for mock
        client = make_client(sandbox, rate_limit=None)  # the spec's limit, no retries
        before = sandbox.state.executed
        balances = [client.domestic_stock.inquire_balance() for _ in range(5)]
        # No retries could hide an EGW00201: each read was answered the first time it was sent.
        assert [balance.rt_cd for balance in balances] == ["0"] * 5
        assert sandbox.state.executed - before == 6  # the token, then the five reads
