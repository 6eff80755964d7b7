"""The generated client against the sandbox over HTTP, for every operation, environment, side and
exchange the spec declares. Cases come from the model, so a new spec entry is tested here with no
new test code; arguments are the spec's own examples and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from generator.model import Operation, Spec
from generator.pipeline import load_spec
from generator.sandbox import RunningSandbox
from kis_client import KisClient, requests, responses
from kis_client._runtime import Model
from tests.conftest import ClientFactory

# KIS echoes the hashed body under BODY; the spec declares only HASH (no field kind is an object).
UNDECLARED_BY_DESIGN: Mapping[str, frozenset[str]] = {"auth.hashkey": frozenset({"BODY"})}


@dataclass(frozen=True)
class Case:
    qualname: str
    env: str
    side: str | None
    exchange: str | None

    def __str__(self) -> str:
        return "-".join(part for part in (self.qualname, self.env, self.side, self.exchange) if part)


def cases(spec: Spec) -> list[Case]:
    found: list[Case] = []
    for op in spec.operations:
        for env in op.envs:
            if op.tr is None:
                found.append(Case(op.qualname, env, None, None))
                continue
            for cell in op.tr.cells:
                if cell.env != env:
                    continue
                exchanges = [e.code for e in spec.exchanges if e.market == cell.market] if cell.market else [None]
                found.extend(Case(op.qualname, env, cell.side, exchange) for exchange in exchanges)
    return found


ALL_CASES = cases(load_spec())


def arguments(op: Operation, case: Case) -> dict[str, Any]:
    """Keyword arguments from the spec: the exchange under test, else examples, else defaults."""
    kwargs: dict[str, Any] = {}
    if op.has_side:
        kwargs["side"] = case.side
    for field in op.parameters:
        if op.tr is not None and field.wire == op.tr.market_field:
            kwargs[field.py_name] = case.exchange
        elif field.example is not None:
            kwargs[field.py_name] = field.example
        elif field.required and not field.has_default:
            pytest.fail(f"{op.qualname}.{field.wire} is required but has no example in the spec")
    return kwargs


def seed(sandbox: RunningSandbox, spec: Spec, account: str) -> None:
    """Something on every list output: a domestic holding and one on every overseas exchange."""
    state = sandbox.state
    cano, product = account.split("-")
    book = state.account(cano, product)
    state.place(book, "buy", "005930", None, 2, None)
    for exchange in spec.exchanges:
        state.place(book, "buy", "AAPL", exchange.code, 2, state.price("AAPL", True))


def call(client: KisClient, op: Operation, case: Case, spec: Spec) -> Any:
    api = getattr(client, op.area)
    method = getattr(api, op.name, None)
    if method is None:
        # The client runs the token operation itself; drive it through the same transport.
        assert op.name == spec.token.operation, f"the client has no method for {op.qualname}"
        prepare = getattr(requests, f"prepare_{op.function_suffix}")
        parse = getattr(responses, f"parse_{op.function_suffix}")
        prepared = prepare(client._ctx)
        return parse(prepared, client._core.send(prepared))
    if op.request_any:
        return method({"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930"})
    kwargs = arguments(op, case)
    if op.has_side and case.side == "sell":
        method(**{**kwargs, "side": "buy"})  # something to sell: buy it with the same arguments
    if op.qualname == "domestic_stock.order_rvsecncl":
        kwargs.update(resting_domestic_order(client))
    return method(**kwargs)


def resting_domestic_order(client: KisClient) -> dict[str, str]:
    """An open order to modify or cancel: a buy far below the sandbox's price."""
    placed = client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="00", ord_qty="3", ord_unpr="1000")
    assert placed.order is not None and placed.order.odno and placed.order.krx_fwdg_ord_orgno
    return {"orgn_odno": placed.order.odno, "krx_fwdg_ord_orgno": placed.order.krx_fwdg_ord_orgno}


def assert_complete(op: Operation, response: Any) -> None:
    """No undeclared field anywhere (no `extra`), every declared field sent (no gaps)."""
    allowed = UNDECLARED_BY_DESIGN.get(op.qualname, frozenset())
    assert set(response.extra) <= allowed, f"{op.qualname}: undeclared top-level fields {set(response.extra)}"
    if op.response.envelope:
        assert response.rt_cd == "0" and response.msg_cd and response.msg1
    for output in op.response.outputs:
        raw = response.raw if output.key is None else response.raw[output.key]
        raw_rows = raw if isinstance(raw, list) else [raw]
        parsed = getattr(response, output.name)
        models: list[Model] = list(parsed) if output.shape == "list" else [parsed]
        assert raw_rows and models and all(isinstance(model, Model) for model in models), f"{output.name} is empty"
        declared = {field.wire for field in output.fields}
        for row in raw_rows:
            missing = declared - set(row)
            assert not missing, f"{op.qualname}.{output.name}: declared fields not sent: {sorted(missing)}"
        for model in models:
            assert set(model.extra) <= allowed, f"{op.qualname}.{output.name}: extra {dict(model.extra)}"


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_every_operation_round_trips(case: Case, spec: Spec, sandboxes: dict[str, RunningSandbox], make_client: ClientFactory) -> None:
    sandbox = sandboxes[case.env]
    op = spec.operation(case.qualname)
    client = make_client(sandbox)
    assert client.account is not None
    seed(sandbox, spec, client.account)
    response = call(client, op, case, spec)
    assert_complete(op, response)


def test_cases_cover_every_tr_id(spec: Spec) -> None:
    """Each TR_ID cell of the spec is exercised at least once, and every exchange of a market."""
    covered = {(c.qualname, c.env, c.side, spec.exchange_market(c.exchange) if c.exchange else None) for c in ALL_CASES}
    for op in spec.operations:
        for cell in op.tr.cells if op.tr is not None else ():
            assert (op.qualname, cell.env, cell.side, cell.market) in covered
    exchanges = {c.exchange for c in ALL_CASES if c.exchange}
    assert exchanges == {e.code for e in spec.exchanges}


def test_orders_with_a_hashkey_header(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox, hashkey=True)  # each order first asks /uapi/hashkey
    order = client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="0")
    assert order.order is not None and order.order.odno
