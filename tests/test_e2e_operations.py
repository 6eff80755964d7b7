"""The generated client against the sandbox over HTTP, for every operation, environment, side and
exchange the spec declares. Cases come from the model, so a new spec entry is tested here with no
new test code; arguments are the spec's own examples and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kisgen.model import ENVS, Operation, RequestField, Spec
from kisgen.rules import Situation, request_problems, with_defaults
from kisgen.sandbox import RunningSandbox
from kis_client import KisClient, UnsupportedEnvironmentError
from kis_client._models import Model
from tests.conftest import ClientFactory, operation_module, repo_spec

DATE_PATTERN = "^[0-9]{8}$"

# Operations the sandbox answers from the open orders they modify or cancel.
ACTS_ON_OPEN_ORDERS = frozenset({"domestic_stock.order_rvsecncl", "overseas_stock.order_rvsecncl"})
# KIS echoes the hashed body under BODY; the spec declares only HASH (no field kind is an object).
UNDECLARED_BY_DESIGN: Mapping[str, frozenset[str]] = {"auth.hashkey": frozenset({"BODY"})}


@dataclass(frozen=True)
class Case:
    qualname: str
    env: str
    side: str | None
    exchange: str | None
    period: str | None = None
    refused: bool = False  # the operation does not exist in this environment: the client refuses it

    def __str__(self) -> str:
        parts = (self.qualname, self.env, self.side, self.exchange, self.period, "refused" if self.refused else None)
        return "-".join(part for part in parts if part)


def exchange_field(op: Operation) -> RequestField | None:
    """The field the case's exchange goes in: the TR's market field, else a quotation-code field."""
    for field in op.parameters:
        if (op.tr is not None and field.wire == op.tr.market_field) or field.encode == "quote_code":
            return field
    return None


def cases(spec: Spec) -> list[Case]:
    """Every TR_ID cell of every operation. Where a cell stands for a market, the first operation
    with that market's cells goes through each of its exchanges, the others through its first;
    so too for operations that send an exchange as its quotation code. Each exchange is then
    sent once through the client and the sandbox, and an operation costs a case per cell."""
    found: list[Case] = []
    every_exchange_of: dict[str | None, str] = {}  # market (None: quotation codes) -> the operation that sends each
    for op in spec.operations:
        for env in ENVS:
            if env not in op.envs:
                found.append(Case(op.qualname, env, None, None, refused=True))
                continue
            if op.tr is None:
                found.append(Case(op.qualname, env, None, None))
                continue
            quoted = exchange_field(op) is not None and op.tr.market_field is None
            for cell in op.tr.cells:
                if cell.env != env:
                    continue
                if cell.market or quoted:
                    exchanges: list[str | None] = [e.code for e in spec.exchanges if e.market == cell.market or (quoted and not cell.market)]
                    if every_exchange_of.setdefault(cell.market, op.qualname) != op.qualname:
                        exchanges = exchanges[:1]
                else:
                    exchanges = [None]
                found.extend(Case(op.qualname, env, cell.side, exchange, cell.period) for exchange in exchanges)
            if env == "mock":  # a branch KIS offers on real accounts only: refused on mock
                for cell in op.tr.cells:
                    if cell.env == "real" and any(branch.covers(cell.market, cell.side, cell.period) for branch in op.tr.real_only):
                        exchange = next((e.code for e in spec.exchanges if e.market == cell.market), None) if cell.market else None
                        found.append(Case(op.qualname, env, cell.side, exchange, cell.period, refused=True))
    return found


ALL_CASES = cases(repo_spec())


def arguments(op: Operation, case: Case, today: date) -> dict[str, Any]:
    """Keyword arguments from the spec: the exchange under test, else examples, else defaults.

    Dates are moved to the sandbox's present: KIS's date ranges are written start first, so the
    first date field opens a year back and later ones end today (the examples are from 2022).
    """
    kwargs: dict[str, Any] = {}
    if op.has_side:
        kwargs["side"] = case.side
    if op.has_period:
        kwargs["period"] = case.period
    target = exchange_field(op)
    dates = 0
    for field in op.parameters:
        if case.exchange is not None and field is target:
            kwargs[field.py_name] = case.exchange
        elif field.pattern == DATE_PATTERN and field.example is not None:
            kwargs[field.py_name] = (today - timedelta(days=365) if dates == 0 else today).strftime("%Y%m%d")
            dates += 1
        elif field.example is not None:
            kwargs[field.py_name] = field.example
        elif field.required and not field.has_default:
            pytest.fail(f"{op.qualname}.{field.wire} is required but has no example in the spec")
    return follow_rules(op, case, kwargs)


def follow_rules(op: Operation, case: Case, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Examples that break a rule in this case (a cancel-only market, a mock-only value) take the
    first value the rule allows; a change can bring another rule in, so repeat until none does."""
    spec = repo_spec()
    market = spec.exchange_market(case.exchange) if case.exchange else None
    situation = Situation(case.env, case.side, market, case.period)
    by_wire = {field.wire: field for field in op.parameters}
    for _ in range(len(op.rules) + 1):
        wire_values = {wire: wire_value(spec, field, kwargs[field.py_name]) for wire, field in by_wire.items() if field.py_name in kwargs}
        problems = [p for p in request_problems(spec, op, with_defaults(op, wire_values, case.side), situation) if p.rule]
        if not problems:
            return kwargs
        for problem in problems:
            rule = next(rule for rule in op.rules if rule.id == problem.rule)
            constraint = next(c for c in rule.then if c.wire == problem.field)
            assert constraint.values, f"{op.qualname}: rule {rule.id} allows no listed value to follow"
            kwargs[by_wire[problem.field].py_name] = constraint.values[0]
    pytest.fail(f"{op.qualname}: the spec's examples cannot satisfy its rules for {case}")


def wire_value(spec: Spec, field: RequestField, value: Any) -> Any:
    """What the client sends for ``value``: an exchange's quotation code where the field says so."""
    if field.encode == "quote_code":
        exchange = next((e for e in spec.exchanges if e.code == value), None)
        if exchange is not None:
            return exchange.quote_code
    return str(value)


def seed(sandbox: RunningSandbox, spec: Spec, account: str) -> None:
    """Something on every list output: domestic holdings, fills and an open order (one of them
    four months old, for the before-3-months inquiry), and a fill and an open order on every
    overseas exchange."""
    state = sandbox.state
    cano, product = account.split("-")
    book = state.account(cano, product)
    state.place(book, "buy", "005930", None, 2, None, "01")
    state.place(book, "buy", "005930", None, 1, None, "01", day=state.kst_now().date() - timedelta(days=120))
    state.place(book, "buy", "005930", None, 1, Decimal(1000), "00")
    for exchange in spec.exchanges:
        state.place(book, "buy", "AAPL", exchange.code, 2, state.price("AAPL", True), "00")
        state.place(book, "buy", "AAPL", exchange.code, 1, Decimal(1), "00")


def call(client: KisClient, op: Operation, case: Case, spec: Spec, today: date) -> Any:
    api = getattr(client, op.area)
    method = getattr(api, op.name, None)
    if method is None:
        # The client runs the token operation itself; drive it through the same transport.
        assert op.name == spec.token.operation, f"the client has no method for {op.qualname}"
        module = operation_module(op)
        prepare = getattr(module, f"prepare_{op.function_suffix}")
        parse = getattr(module, f"parse_{op.function_suffix}")
        prepared = prepare(client._ctx)
        return parse(prepared, client._core.send(prepared))
    if op.request_any:
        return method({"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930"})
    kwargs = arguments(op, case, today)
    if op.has_side and case.side == "sell":
        method(**{**kwargs, "side": "buy"})  # something to sell: buy it with the same arguments
    if op.qualname in ACTS_ON_OPEN_ORDERS and not case.refused:  # modify/cancel: an open order to act on
        kwargs.update(resting_order(client, op, kwargs))
    return method(**kwargs)


def resting_order(client: KisClient, op: Operation, kwargs: Mapping[str, Any]) -> dict[str, str]:
    """An open order to modify or cancel: a buy far below the sandbox's price."""
    if op.area == "domestic_stock":
        placed = client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="00", ord_qty="3", ord_unpr="1000")
        assert placed.order is not None and placed.order.odno and placed.order.krx_fwdg_ord_orgno
        return {"orgn_odno": placed.order.odno, "krx_fwdg_ord_orgno": placed.order.krx_fwdg_ord_orgno}
    overseas = client.overseas_stock.order(side="buy", ovrs_excg_cd=kwargs["ovrs_excg_cd"], pdno=kwargs["pdno"], ord_qty="3", ovrs_ord_unpr="1.00", ord_dvsn="00")
    assert overseas.order is not None and overseas.order.odno
    return {"orgn_odno": overseas.order.odno}


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
    today = sandbox.state.kst_now().date()
    if case.refused:
        executed = sandbox.state.executed
        with pytest.raises(UnsupportedEnvironmentError) as refused:
            call(client, op, case, spec, today)
        assert refused.value.operation == op.qualname and refused.value.env == case.env
        branch = case.env in op.envs  # the operation exists here, this branch of it does not
        assert (refused.value.branch is not None) == branch and (not branch or f"period {case.period}" in str(refused.value) or f"side {case.side}" in str(refused.value))
        assert sandbox.state.executed == executed, "the client sent a request it should have refused"
        return
    response = call(client, op, case, spec, today)
    assert_complete(op, response)


def test_cases_cover_every_tr_id(spec: Spec) -> None:
    """Each TR_ID cell of the spec is exercised at least once, and every exchange of a market."""
    def market(case: Case) -> str | None:
        tr = spec.operation(case.qualname).tr
        return spec.exchange_market(case.exchange) if case.exchange and tr is not None and "market" in tr.dims else None

    covered = {(c.qualname, c.env, c.side, market(c), c.period) for c in ALL_CASES if not c.refused}
    for op in spec.operations:
        for cell in op.tr.cells if op.tr is not None else ():
            assert (op.qualname, cell.env, cell.side, cell.market, cell.period) in covered
    exchanges = {c.exchange for c in ALL_CASES if c.exchange}
    assert exchanges == {e.code for e in spec.exchanges}
    refused = {(c.qualname, c.env) for c in ALL_CASES if c.refused and c.env not in spec.operation(c.qualname).envs}
    assert refused == {(op.qualname, env) for op in spec.operations for env in ENVS if env not in op.envs}
    branches = {(c.qualname, c.side, c.period) for c in ALL_CASES if c.refused and c.env in spec.operation(c.qualname).envs}
    assert branches == {(op.qualname, cell.side, cell.period) for op in spec.operations if op.tr is not None for cell in op.tr.cells if cell.env == "real" and any(b.covers(cell.market, cell.side, cell.period) for b in op.tr.real_only)}
    assert branches  # the futures and options night branches, at least


def test_orders_with_a_hashkey_header(mock_sandbox: RunningSandbox, make_client: ClientFactory) -> None:
    client = make_client(mock_sandbox, hashkey=True)  # each order first asks /uapi/hashkey
    order = client.domestic_stock.order_cash(side="buy", pdno="005930", ord_dvsn="01", ord_qty="1", ord_unpr="0")
    assert order.order is not None and order.order.odno
