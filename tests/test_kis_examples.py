"""KIS's example call of every operation (its chk_ file's arguments, recorded in the spec as
`kis_example`): the generated client's request for it is, on the wire, what KIS's sample sends
(method, path, TR_ID, query or body keys and values) except where the example says, with a source,
why KIS's sample is wrong; and the sandbox answers it, typed, with no `extra` and no gaps.

One round trip per operation: a client per environment for the whole module, so its token is
issued once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kisgen.examples import example_problems
from kisgen.model import ExampleDifference, KisExample, Operation, Spec
from kisgen.pipeline import load_spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kis_client import KisClient, UnsupportedEnvironmentError
from kis_client._models import Model
from tests.conftest import NO_RETRY, operation_module, pinned_clock

SPEC = load_spec()
EXAMPLES = [op.qualname for op in SPEC.operations if op.kis_example is not None]
ACCOUNT = "50999999-01"
KIS_ENVS = {"real": "real", "demo": "mock"}  # KIS's env_dv


class Recorder(httpx.HTTPTransport):
    """The client's transport, remembering the last request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.last: httpx.Request | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.last = request
        return super().handle_request(request)


@pytest.fixture(scope="module")
def example_sandboxes(spec: Spec) -> Iterator[dict[str, RunningSandbox]]:
    cash = {"KRW": Decimal(10**10), "USD": Decimal(10**7), "HKD": Decimal(10**7), "JPY": Decimal(10**9), "CNY": Decimal(10**7), "VND": Decimal(10**11)}
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, clock=pinned_clock(), cash=cash) as mock:
        with running_sandbox("real", spec=spec, rate_limit_per_second=0, clock=pinned_clock(), cash=cash) as real:
            yield {"mock": mock, "real": real}


@pytest.fixture(scope="module")
def example_clients(example_sandboxes: dict[str, RunningSandbox]) -> Iterator[dict[str, tuple[KisClient, Recorder]]]:
    clients = {}
    for env, sandbox in example_sandboxes.items():
        recorder = Recorder()
        client = KisClient("example-app-key", "example-app-secret-0123456789", account=ACCOUNT, env=env, base_url=sandbox.base_url, token_cache=False, rate_limit=0, retry=NO_RETRY, transport=recorder)
        clients[env] = (client, recorder)
    yield clients
    for client, _ in clients.values():
        client.close()


def example_env(op: Operation, example: KisExample) -> str:
    """The environment KIS's chk_ call names (env_dv), else the operation's first."""
    named = dict(example.call).get("env_dv")
    return KIS_ENVS.get(named or "", op.envs[0])


def arguments(op: Operation, example: KisExample) -> dict[str, Any]:
    """The call's keyword arguments: KIS's values; the field's example where KIS passes the user's
    own; where the spec knowingly differs, its default (or example, for a required field)."""
    kwargs: dict[str, Any] = {}
    if example.side is not None:
        kwargs["side"] = example.side
    if example.period is not None:
        kwargs["period"] = example.period
    values = example.values
    for field in op.parameters:
        difference = example.differs_on(f"request.{field.wire}")
        if difference is not None and difference.sends is not None:
            kwargs[field.py_name] = difference.sends
        elif field.wire not in values or difference is not None:
            if not field.has_default:
                kwargs[field.py_name] = field.example
        else:
            value = values[field.wire]
            kwargs[field.py_name] = value if value is not None else field.example
    return kwargs


def expected_request(op: Operation, example: KisExample, client: KisClient) -> dict[str, Any]:
    """KIS's request, the user's own values filled in as the client fills them."""
    cano, product = ACCOUNT.split("-")
    bound = {"account_number": cano, "account_product": product, "app_key": "example-app-key", "app_secret": "example-app-secret-0123456789"}
    fields = {field.wire: field for field in op.fields}
    expected: dict[str, Any] = {}
    for wire, value in example.request:
        if example.differs_on(f"request.{wire}") is not None:
            continue
        field = fields[wire]
        expected[wire] = value if value is not None else bound.get(field.bind or "", field.example)
    return expected


def seed(sandbox: RunningSandbox, op: Operation, example: KisExample) -> None:
    """What the example acts on: shares to sell, an open order with the number it modifies."""
    state = sandbox.state
    account = state.account(*ACCOUNT.split("-"))
    values = example.values
    exchange = values.get(op.tr.market_field) if op.tr is not None and op.tr.market_field else None
    symbol = values.get("PDNO")
    if example.side == "sell" and symbol:
        state.place(account, "buy", symbol, exchange, int(values.get("ORD_QTY") or 1), state.price(symbol, exchange is not None), "00")
    original = values.get("ORGN_ODNO")
    if original:  # a domestic modification names no symbol: any will do
        resting = state.place(account, "buy", symbol or "005930", exchange, int(values.get("ORD_QTY") or 1), Decimal(1), "00")
        del account.orders[resting.odno]
        resting.odno = original.zfill(10)
        resting.orgno = values.get("KRX_FWDG_ORD_ORGNO") or resting.orgno
        account.orders[resting.odno] = resting


def assert_typed_without_extra_or_gaps(op: Operation, response: Any) -> None:
    """Every declared field in every row KIS's format sends (a list with nothing in it comes as
    one blank row, which the client drops), and nothing undeclared anywhere."""
    assert not response.extra, f"undeclared top-level fields {set(response.extra)}"
    for output in op.response.outputs:
        raw = response.raw if output.key is None else response.raw[output.key]
        declared = {field.wire for field in output.fields}
        for row in raw if isinstance(raw, list) else [raw]:
            assert declared <= set(row), f"{output.name}: declared fields not sent: {sorted(declared - set(row))}"
        parsed = getattr(response, output.name)
        for model in parsed if output.is_list else [parsed]:
            assert isinstance(model, Model) and not model.extra, f"{output.name}: {model!r}"


def send(client: KisClient, op: Operation, example: KisExample) -> Any:
    method = getattr(getattr(client, op.area), op.name, None)
    if method is None:  # the token operation: the client runs it itself
        module = operation_module(op)
        prepared = getattr(module, f"prepare_{op.function_suffix}")(client._ctx)
        return getattr(module, f"parse_{op.function_suffix}")(prepared, client._core.send(prepared))
    return method(**arguments(op, example))


def test_every_operation_has_kis_example(spec: Spec) -> None:
    """KIS's samples call every REST API but these two (the audit lists them as spec operations KIS's samples lack)."""
    assert {op.qualname for op in spec.operations if op.kis_example is None} == {"auth.revoke", "auth.hashkey"}


def test_every_example_agrees_with_its_operation(spec: Spec) -> None:
    assert [problem for op in spec.operations if op.kis_example is not None for problem in example_problems(op, spec)] == []


@pytest.mark.parametrize("qualname", EXAMPLES)
def test_kis_example_on_the_wire_and_through_the_sandbox(qualname: str, spec: Spec, example_sandboxes: dict[str, RunningSandbox], example_clients: dict[str, tuple[KisClient, Recorder]]) -> None:
    op = spec.operation(qualname)
    example = op.kis_example
    assert example is not None
    env = example_env(op, example)
    client, recorder = example_clients[env]
    sandbox = example_sandboxes[env]
    if env not in op.envs:  # KIS's sample would call a real-only API on a mock account
        executed = sandbox.state.executed
        with pytest.raises(UnsupportedEnvironmentError):
            send(client, op, example)
        assert sandbox.state.executed == executed
        return
    seed(sandbox, op, example)
    response = send(client, op, example)
    sent = recorder.last
    assert sent is not None and sent.url.path == op.path
    assert (sent.method, sent.url.path) == (example.method, example.path) or example.differs_on("method") or example.differs_on("path")
    if op.tr is not None:
        kis_tr = dict(example.tr_ids).get(env)
        assert example.differs_on(f"tr_id.{env}") is not None or sent.headers["tr_id"] == kis_tr, f"KIS's sample sends {kis_tr}"
    wire = dict(sent.url.params) if sent.method == "GET" else json.loads(sent.content)
    expected = expected_request(op, example, client)
    assert {key: wire.get(key) for key in expected} == expected
    knowingly = {difference.fact.removeprefix("request.") for difference in example.differs if difference.fact.startswith("request.")}
    assert set(wire) - knowingly == set(expected), "the client sends fields KIS's sample does not, or leaves some out"
    assert_typed_without_extra_or_gaps(op, response)


def test_a_disagreement_with_kis_sample_is_named(spec: Spec) -> None:
    """example_problems (the audit's kis-example check) names each fact where the operation's
    request would not be what KIS's sample sends, and a difference that no longer differs."""
    op = spec.operation("domestic_stock.inquire_price")
    example = op.kis_example
    assert example is not None
    changed = dataclasses.replace(
        example,
        method="POST",
        tr_ids=(("real", "FHKST99999999"),),
        request=(*example.request, ("FID_NOT_DECLARED", "1")),
        differs=(ExampleDifference("path", example.path, "a difference that is none"),),
    )
    problems = example_problems(dataclasses.replace(op, kis_example=changed), spec)
    assert any("KIS's sample sends POST, the operation is GET" in problem for problem in problems)
    assert any("KIS's sample sends FHKST99999999 on a real account, the operation FHKST01010100" in problem for problem in problems)
    assert any("KIS's sample sends FID_NOT_DECLARED, which the operation does not declare" in problem for problem in problems)
    assert any("path: KIS's sample and the operation agree" in problem for problem in problems)
    assert all(problem.startswith(f"domestic_stock.inquire_price ({example.at}): ") for problem in problems)
