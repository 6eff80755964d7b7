"""Every public method of the generated clients refuses a wrong argument before any request.

What a field accepts is checked by its operation's ``validate_*``, generated from one template
for every field; what differs between fields is the shape of the parameter (a plain string, a
default, a default by side, an exchange sent as its quotation code, the market field the TR_ID
hangs on) and the checks its declaration asks for (a code table, a pattern, a length, free text).
So the cases are: each wrong type and ``None`` once per parameter shape, one wrong value per
check and shape, each wrong ``side``, ``period``, ``max_calls`` and ``body`` once, and then one
wrong argument through every method (plain, ``_pages``, rows, ``_walk``) of every operation, sync
and async, which shows each method checks before it sends. The cost per operation is one
routing test per method and one valid call; the rest does not grow with the spec.

The client talks to an in-process transport that records requests: a refused call records none.
Each operation is called on a client of an environment it exists in (mock where it can, else
real); a real-only operation on a mock client is refused as a whole (tested below).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kisgen.model import Operation, RequestField, Spec
from kis_client._calls import CallContext
from kis_client._secrets import Credentials
from kis_client.client import AsyncKisClient, KisClient
from kis_client.errors import KisError, UnsupportedEnvironmentError, ValidationError
from tests.conftest import operation_module, repo_spec
from tests.helpers_http import APP_KEY, APP_SECRET, OK, TOKEN, Answer, FakeKis

SPEC: Spec = repo_spec()
WRONG_TYPES: tuple[Any, ...] = (123, 1.5, b"005930", ["00"], {"value": "00"}, object())
# The validator's message for each kind of check (each operation module's validate_*).
SAYS = {
    "type": "must be a string, got",
    "codes": "is not a code of",
    "pattern": "does not match",
    "max_length": "is longer than",
    "unencodable": "lone surrogate",
    "none": "must be a string, got NoneType",
}
VALUE_CHECKS = ("codes", "pattern", "max_length", "unencodable")


def env_of(op: Operation) -> str:
    """The environment the cases call ``op`` in: mock where KIS has it, else real."""
    return "mock" if "mock" in op.envs else "real"


def shape_of(op: Operation, field: RequestField) -> str:
    """How the parameter reaches the request (the branch of ``prepare_*`` it takes)."""
    if field.encode == "quote_code":
        return "quote_code"
    if op.tr is not None and field.wire == op.tr.market_field:
        return "market_field"
    if field.default_by_side:
        return "default_by_side"
    if field.default is not None:
        return "default"
    return "required" if field.required else "optional"


def wrong_value(field: RequestField, check: str) -> str | None:
    """A string that fails ``check`` and every check before it passes; None if there is none."""
    def passes_pattern(value: str) -> bool:
        return field.pattern is None or re.fullmatch(field.pattern, value) is not None

    if check == "codes":
        return "NOT_A_CODE" if field.codes is not None else None
    if check == "pattern" and field.pattern is not None:
        return next(value for value in ("x!", "", "0", "-1", "1" * 300) if not passes_pattern(value))
    if check == "max_length" and field.max_length is not None and field.codes is None:
        return next((value for value in ("1" * (field.max_length + 1), "0" * (field.max_length + 1)) if passes_pattern(value)), None)
    if check == "unencodable" and field.codes is None and passes_pattern("\ud800"):
        return "\ud800"  # a lone surrogate: the body or query could not even be encoded
    return None


def refused_fields(op: Operation, arguments: dict[str, Any]) -> set[str]:
    """The fields the client's own check refuses in these arguments (nothing is sent)."""
    prepare: Callable[..., Any] = getattr(operation_module(op), f"prepare_{op.function_suffix}")
    try:
        prepare(CallContext(env_of(op), "12345678", "01", Credentials(APP_KEY, APP_SECRET), lambda: TOKEN), **arguments)
    except ValidationError as error:
        return set(error.fields)
    return set()


def valid_value(field: RequestField) -> str:
    """A value the field accepts on its own: its example, its default, or its first code."""
    if field.example is not None:
        return field.example
    if field.default is not None:
        return field.default
    assert field.codes is not None, f"{field.wire} needs an example in the spec for this test"
    return SPEC.code_table(field.codes).values[0]


def candidates(field: RequestField) -> list[str]:
    codes = list(SPEC.code_table(field.codes).values) if field.codes is not None else []
    return [value for value in ("", "0", field.default, *codes) if value is not None]


def _base_arguments(op: Operation) -> dict[str, Any]:
    if op.request_any:
        return {"body": {"PDNO": "005930"}}
    arguments: dict[str, Any] = {}
    if op.has_side:
        arguments["side"] = "buy"
    if op.has_period:
        assert op.tr is not None
        arguments["period"] = op.tr.periods[0]
    for field in op.parameters:
        if not field.has_default:
            arguments[field.py_name] = valid_value(field)
    # Examples are valid one by one, not always together (a rule may tie one field to another,
    # or refuse on mock what real takes): replace a refused value with one the rules accept.
    for field in op.parameters:
        if field.wire in refused_fields(op, arguments):
            arguments[field.py_name] = next(
                (value for value in candidates(field) if field.wire not in refused_fields(op, {**arguments, field.py_name: value})),
                arguments.get(field.py_name),
            )
    assert refused_fields(op, arguments) == set(), f"{op.qualname}: no valid base call found"
    return arguments


BASE_ARGUMENTS: dict[str, dict[str, Any]] = {}


def base_arguments(op: Operation) -> dict[str, Any]:
    """A call that passes every check: side buy, and each parameter without a default."""
    if op.qualname not in BASE_ARGUMENTS:
        BASE_ARGUMENTS[op.qualname] = _base_arguments(op)
    return dict(BASE_ARGUMENTS[op.qualname])


PUBLIC_OPERATIONS = [op for op in SPEC.operations if op.qualname != f"auth.{SPEC.token.operation}"]


@dataclass(frozen=True)
class Case:
    op: Operation
    method: str  # the client method's name
    argument: str  # the Python parameter
    wire: str  # the field a ValidationError must name
    value: Any
    check: str = ""  # the kind of check (a key of SAYS, or "none"), where the case is about one

    def __str__(self) -> str:
        shown = "object()" if type(self.value) is object else repr(self.value)
        return f"{self.op.area}.{self.method}:{self.argument}={shown}"


def kind_cases() -> list[Case]:
    """Each wrong type and None once per parameter shape, one wrong value per check and shape."""
    cases: list[Case] = []
    seen: set[tuple[str, str]] = set()
    for op in PUBLIC_OPERATIONS:
        if op.request_any:
            continue
        for field in op.parameters:
            shape = shape_of(op, field)
            if (shape, "type") not in seen:
                seen.add((shape, "type"))
                cases += [Case(op, op.name, field.py_name, field.wire, value, "type") for value in WRONG_TYPES]
            if not field.has_default and (shape, "none") not in seen:
                seen.add((shape, "none"))
                cases.append(Case(op, op.name, field.py_name, field.wire, None, "none"))
            for check in VALUE_CHECKS:
                value = wrong_value(field, check)
                if value is not None and (shape, check) not in seen:
                    seen.add((shape, check))
                    cases.append(Case(op, op.name, field.py_name, field.wire, value, check))
    return cases


def argument_cases() -> list[Case]:
    """side, period, max_calls and a body that is not a mapping, each wrong value once."""
    cases: list[Case] = []
    with_side = next(op for op in PUBLIC_OPERATIONS if op.has_side)
    cases += [Case(with_side, with_side.name, "side", "side", value) for value in ("hold", "BUY", "", None, 1)]
    with_period = next(op for op in PUBLIC_OPERATIONS if op.has_period)
    cases += [Case(with_period, with_period.name, "period", "period", value) for value in ("never", 1)]
    walking = next(op for op in PUBLIC_OPERATIONS if op.walk is not None)
    cases += [Case(walking, f"{walking.name}_walk", "max_calls", "max_calls", value) for value in ("3", 0, -1, 1.5, True, None)]
    any_body = next(op for op in PUBLIC_OPERATIONS if op.request_any)
    cases += [Case(any_body, any_body.name, "body", "body", value) for value in (123, "x", ["a"], {1: "x"})]
    return cases


def routing_case(op: Operation, method: str) -> Case | None:
    """One wrong argument for ``method``: what shows it checks before it sends."""
    if op.request_any:
        return Case(op, method, "body", "body", 123)
    if op.has_side:
        return Case(op, method, "side", "side", "hold")
    if op.parameters:
        field = op.parameters[0]
        return Case(op, method, field.py_name, field.wire, 123)
    return None  # nothing to pass, so nothing to get wrong


ROUTING = [case for op in PUBLIC_OPERATIONS for method in op.method_names if (case := routing_case(op, method)) is not None]


def is_iterator(op: Operation, method: str) -> bool:
    return method != op.name


def arguments_of(case: Case) -> dict[str, Any]:
    arguments = base_arguments(case.op)
    if case.argument:
        arguments[case.argument] = case.value
    return arguments


def call(client: KisClient, case: Case) -> None:
    bound_method: Callable[..., Any] = getattr(getattr(client, case.op.area), case.method)
    arguments = arguments_of(case)
    result = bound_method(arguments.pop("body")) if case.op.request_any and case.method == case.op.name else bound_method(**arguments)
    if is_iterator(case.op, case.method):
        next(iter(result))


async def async_call(client: AsyncKisClient, case: Case) -> None:
    bound_method: Callable[..., Any] = getattr(getattr(client, case.op.area), case.method)
    arguments = arguments_of(case)
    if is_iterator(case.op, case.method):
        await bound_method(**arguments).__anext__()
    elif case.op.request_any:
        await bound_method(arguments.pop("body"))
    else:
        await bound_method(**arguments)


@pytest.fixture(scope="module")
def kis() -> FakeKis:
    return FakeKis(fallback=lambda _request: Answer(OK, headers={"tr_cont": "D"}))


@pytest.fixture(scope="module")
def shared_clients(kis: FakeKis) -> Iterator[dict[str, KisClient]]:
    clients = {env: kis.client(env=env) for env in ("mock", "real")}
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def clients(shared_clients: dict[str, KisClient], kis: FakeKis) -> dict[str, KisClient]:
    kis.requests.clear()
    return shared_clients


@pytest.fixture(scope="module")
def async_clients(kis: FakeKis) -> Iterator[tuple[asyncio.Runner, dict[str, AsyncKisClient]]]:
    """One event loop for the module, so each case costs a call, not a loop and a client."""
    with asyncio.Runner() as runner:
        clients = {env: kis.async_client(env=env) for env in ("mock", "real")}
        yield runner, clients
        for client in clients.values():
            runner.run(client.close())


def assert_refused(case: Case, error: ValidationError, kis: FakeKis) -> None:
    assert case.wire in error.fields
    assert error.operation == case.op.qualname
    if case.check:
        assert any(SAYS[case.check] in problem.message for problem in error.problems if problem.field == case.wire), error
    assert kis.requests == []


@pytest.mark.parametrize("case", kind_cases() + argument_cases(), ids=str)
def test_each_kind_of_wrong_argument_is_refused_before_sending(case: Case, clients: dict[str, KisClient], kis: FakeKis) -> None:
    with pytest.raises(ValidationError) as raised:
        call(clients[env_of(case.op)], case)
    assert_refused(case, raised.value, kis)


@pytest.mark.parametrize("case", ROUTING, ids=str)
def test_every_method_checks_before_sending(case: Case, clients: dict[str, KisClient], kis: FakeKis) -> None:
    with pytest.raises(ValidationError) as raised:
        call(clients[env_of(case.op)], case)
    assert_refused(case, raised.value, kis)


@pytest.mark.parametrize("case", ROUTING, ids=str)
def test_every_async_method_checks_before_sending(case: Case, async_clients: tuple[asyncio.Runner, dict[str, AsyncKisClient]], kis: FakeKis) -> None:
    runner, clients = async_clients
    kis.requests.clear()
    with pytest.raises(ValidationError) as raised:
        runner.run(async_call(clients[env_of(case.op)], case))
    assert_refused(case, raised.value, kis)


def test_the_cases_cover_every_shape_and_check_the_spec_has() -> None:
    # Without this a shape or a check new to the spec would go untested here, silently.
    fields = [(op, field) for op in PUBLIC_OPERATIONS if not op.request_any for field in op.parameters]
    present = {(shape_of(op, field), check) for op, field in fields for check in VALUE_CHECKS if wrong_value(field, check) is not None}
    present |= {(shape_of(op, field), "type") for op, field in fields}
    present |= {(shape_of(op, field), "none") for op, field in fields if not field.has_default}
    covered = [(shape_of(case.op, case.op.field(case.wire)), case.check, type(case.value)) for case in kind_cases()]
    assert {(shape, check) for shape, check, _ in covered} == present
    shapes = {shape for shape, _ in present}
    assert {(shape, kind) for shape, check, kind in covered if check == "type"} == {(shape, type(value)) for shape in shapes for value in WRONG_TYPES}


@pytest.mark.parametrize("op", PUBLIC_OPERATIONS, ids=lambda op: op.qualname)
def test_the_base_call_is_valid_and_reaches_the_server(op: Operation, clients: dict[str, KisClient], kis: FakeKis) -> None:
    # Without this, a refused call above might be refused for a reason other than the case.
    arguments = base_arguments(op)
    method: Callable[..., Any] = getattr(getattr(clients[env_of(op)], op.area), op.name)
    try:
        method(arguments["body"]) if op.request_any else method(**arguments)
    except ValidationError:
        raise
    except KisError:
        pass  # the canned reply need not parse; the request was sent
    assert [request.path for request in kis.api_requests] == [op.path]


REAL_ONLY = [op for op in PUBLIC_OPERATIONS if "mock" not in op.envs]


@pytest.mark.parametrize("method", [f"{op.area}.{m}" for op in REAL_ONLY for m in op.method_names])
def test_real_only_method_on_a_mock_client_sends_nothing(method: str, clients: dict[str, KisClient], kis: FakeKis) -> None:
    area, name = method.split(".")
    op = next(op for op in REAL_ONLY if op.area == area and name in op.method_names)
    with pytest.raises(UnsupportedEnvironmentError, match="not available on a mock account") as raised:
        call(clients["mock"], Case(op, name, "", "", None))
    assert kis.requests == []  # not even a token
    assert op.qualname in str(raised.value)
    assert (raised.value.operation, raised.value.env, raised.value.supported) == (op.qualname, "mock", ("real",))


def test_some_operations_are_real_only() -> None:
    # Otherwise the real-environment client above would test nothing of its own.
    assert REAL_ONLY and all(op.envs == ("real",) for op in REAL_ONLY)


def test_every_public_method_is_routed() -> None:
    client = KisClient(APP_KEY, APP_SECRET, token_cache=False)
    public = {f"{area.name}.{name}" for area in SPEC.areas for name in dir(getattr(client, area.name)) if not name.startswith("_")}
    routed = {f"{case.op.area}.{case.method}" for case in ROUTING}
    nothing_to_pass = {f"{op.area}.{m}" for op in PUBLIC_OPERATIONS if routing_case(op, op.name) is None for m in op.method_names}
    assert public == routed | nothing_to_pass
    client.close()
