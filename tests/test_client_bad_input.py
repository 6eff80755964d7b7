"""Every public method of the generated KisClient refuses a wrong argument before any request.

The cases come from the spec model: each operation's parameters (and side, period, body),
each given a wrong type and, where the field constrains its value, a wrong value, through every
method of the operation (plain, ``_pages``, ``_walk``). A tiny HTTP server on 127.0.0.1 counts
requests; a refused call must leave the count at zero. Each operation is called on a client of
an environment it exists in (mock where it can, else real): a real-only operation on a mock
client is refused as a whole (UnsupportedEnvironmentError, tested below), whatever its arguments.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kisgen.model import Operation, RequestField, Spec
from kisgen.pipeline import load_spec
from kis_client._calls import CallContext
from kis_client._secrets import Credentials
from kis_client.client import AsyncKisClient, KisClient
from kis_client.errors import KisError, UnsupportedEnvironmentError, ValidationError
from tests.conftest import operation_module

REPO = Path(__file__).resolve().parent.parent
SPEC: Spec = load_spec(REPO / "spec")
# Long enough to be credentials: the runtime masks every secret it has seen in all logs of the
# process, so single letters here would garble the log assertions of other tests.
APP_KEY, APP_SECRET, TOKEN = "app-key-for-bad-input-tests", "app-secret-for-bad-input-tests", "token-for-bad-input-tests"
WRONG_TYPES: tuple[Any, ...] = (123, 1.5, b"005930", ["00"], {"value": "00"}, object())


class CountingServer(ThreadingHTTPServer):
    hits: int = 0


class Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def _reply(self) -> None:
        self.server.hits += 1
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/oauth2/tokenP"):
            body: dict[str, Any] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400, "access_token_token_expired": "2099-01-01 00:00:00"}
        else:
            body = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.send_header("tr_cont", "D")
        self.end_headers()
        self.wfile.write(data)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[CountingServer]:
    httpd = CountingServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def client_options(server: CountingServer, env: str) -> dict[str, Any]:
    host, port = server.server_address[:2]
    return {"account": "12345678-01", "env": env, "base_url": f"http://{host!s}:{port}", "token_cache": False, "rate_limit": 0}


@pytest.fixture(scope="module")
def shared_clients(server: CountingServer) -> Iterator[dict[str, KisClient]]:
    clients = {env: KisClient(APP_KEY, APP_SECRET, **client_options(server, env)) for env in ("mock", "real")}
    yield clients
    for kis in clients.values():
        kis.close()


@pytest.fixture
def clients(shared_clients: dict[str, KisClient], server: CountingServer) -> dict[str, KisClient]:
    server.hits = 0
    return shared_clients


def env_of(op: Operation) -> str:
    """The environment the cases call ``op`` in: mock where KIS has it, else real."""
    return "mock" if "mock" in op.envs else "real"


def valid_value(field: RequestField) -> str:
    """A value the field accepts on its own: its example, its default, or its first code."""
    if field.example is not None:
        return field.example
    if field.default is not None:
        return field.default
    assert field.codes is not None, f"{field.wire} needs an example in the spec for this test"
    return SPEC.code_table(field.codes).values[0]


def wrong_values(field: RequestField) -> list[str]:
    """Strings the field itself refuses (none for a field that takes any string)."""
    wrong = []
    if field.codes is not None:
        wrong.append("NOT_A_CODE")
    if field.pattern is not None:
        wrong.append(next(v for v in ("x!", "", "0", "-1", "1" * 300) if re.fullmatch(field.pattern, v) is None))
    if field.max_length is not None:
        wrong.append("0" * (field.max_length + 1))
    if field.codes is None and field.pattern is None:
        wrong.append("\ud800")  # a lone surrogate: the body or query could not even be encoded
    return wrong


def refused_fields(op: Operation, arguments: dict[str, Any]) -> set[str]:
    """The fields the client's own check refuses in these arguments (nothing is sent)."""
    prepare: Callable[..., Any] = getattr(operation_module(op), f"prepare_{op.function_suffix}")
    try:
        prepare(CallContext(env_of(op), "12345678", "01", Credentials(APP_KEY, APP_SECRET), lambda: TOKEN), **arguments)
    except ValidationError as error:
        return set(error.fields)
    return set()


def candidates(field: RequestField) -> list[str]:
    codes = list(SPEC.code_table(field.codes).values) if field.codes is not None else []
    return [value for value in ("", "0", field.default, *codes) if value is not None]


def _base_arguments(op: Operation) -> dict[str, Any]:
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


def methods(op: Operation) -> list[str]:
    """Every public method of the operation; iterators (pages, rows, walks) check on the first step."""
    return list(op.method_names)


def is_iterator(method: str) -> bool:
    return method.endswith(("_pages", "_walk")) or any(method in op.method_names[1:] for op in SPEC.operations)


PUBLIC_OPERATIONS = [op for op in SPEC.operations if op.qualname != f"auth.{SPEC.token.operation}"]


@dataclass(frozen=True)
class Case:
    method: str  # area.method
    argument: str  # the Python parameter
    wire: str  # the field a ValidationError must name
    value: Any
    op: Operation

    def __str__(self) -> str:
        return f"{self.method}:{self.argument}={self.value!r}"


def cases() -> list[Case]:
    found = []
    for op in PUBLIC_OPERATIONS:
        for method in methods(op):
            name = f"{op.area}.{method}"
            if op.request_any:
                found += [Case(name, "body", "body", value, op) for value in (123, "x", ["a"], {1: "x"})]
                continue
            if op.has_side:
                found += [Case(name, "side", "side", value, op) for value in ("hold", "BUY", "", None, 1)]
            if op.has_period:
                found += [Case(name, "period", "period", value, op) for value in ("never", 1)]
            if method.endswith("_walk"):
                found += [Case(name, "max_calls", "max_calls", value, op) for value in ("3", 0, -1, 1.5, True, None)]
            for field in op.parameters:
                bad: list[Any] = list(WRONG_TYPES) + wrong_values(field)
                if not field.has_default:
                    bad.append(None)
                found += [Case(name, field.py_name, field.wire, value, op) for value in bad]
    return found


def call(client: KisClient, case: Case, arguments: dict[str, Any]) -> None:
    area, method = case.method.split(".")
    bound_method: Callable[..., Any] = getattr(getattr(client, area), method)
    result = bound_method(arguments["body"]) if case.op.request_any else bound_method(**arguments)
    if is_iterator(method):
        next(iter(result))


@pytest.mark.parametrize("case", cases(), ids=str)
def test_wrong_argument_is_refused_before_sending(case: Case, clients: dict[str, KisClient], server: CountingServer) -> None:
    arguments = {"body": {}} if case.op.request_any else base_arguments(case.op)
    arguments[case.argument] = case.value
    with pytest.raises(ValidationError) as raised:
        call(clients[env_of(case.op)], case, arguments)
    assert case.wire in raised.value.fields
    assert raised.value.operation == case.op.qualname
    assert server.hits == 0


async def async_call(server: CountingServer, case: Case, arguments: dict[str, Any], env: str) -> None:
    async with AsyncKisClient(APP_KEY, APP_SECRET, **client_options(server, env)) as kis:
        area, method = case.method.split(".")
        bound_method: Callable[..., Any] = getattr(getattr(kis, area), method)
        if is_iterator(method):
            await bound_method(**arguments).__anext__()
        elif case.op.request_any:
            await bound_method(arguments["body"])
        else:
            await bound_method(**arguments)


@pytest.mark.parametrize("case", cases(), ids=str)
def test_async_client_refuses_too(case: Case, server: CountingServer) -> None:
    server.hits = 0
    arguments = {"body": {}} if case.op.request_any else base_arguments(case.op)
    arguments[case.argument] = case.value
    with pytest.raises(ValidationError) as raised:
        asyncio.run(async_call(server, case, arguments, env_of(case.op)))
    assert case.wire in raised.value.fields
    assert server.hits == 0


@pytest.mark.parametrize("op", PUBLIC_OPERATIONS, ids=lambda op: op.qualname)
def test_the_base_call_is_valid_and_reaches_the_server(op: Operation, clients: dict[str, KisClient], server: CountingServer) -> None:
    # Without this, a refused call above might be refused for a reason other than the case.
    case = Case(f"{op.area}.{op.name}", "", "", None, op)
    try:
        call(clients[env_of(op)], case, {"body": {"PDNO": "005930"}} if op.request_any else base_arguments(op))
    except ValidationError:
        raise
    except KisError:
        pass  # the counting server's reply need not parse; the request was sent
    assert server.hits >= 1


REAL_ONLY = [op for op in PUBLIC_OPERATIONS if "mock" not in op.envs]


@pytest.mark.parametrize("method", [f"{op.area}.{m}" for op in REAL_ONLY for m in methods(op)])
def test_real_only_method_on_a_mock_client_sends_nothing(method: str, clients: dict[str, KisClient], server: CountingServer) -> None:
    op = next(op for op in REAL_ONLY if method.split(".")[1] in methods(op) and method.startswith(op.area + "."))
    with pytest.raises(UnsupportedEnvironmentError, match="not available on a mock account"):
        call(clients["mock"], Case(method, "", "", None, op), base_arguments(op))
    assert server.hits == 0


def test_some_operations_are_real_only() -> None:
    # Otherwise the real-environment client above would test nothing of its own.
    assert REAL_ONLY and all(op.envs == ("real",) for op in REAL_ONLY)


def test_every_public_method_is_covered() -> None:
    public = {
        f"{area}.{name}"
        for area in (a.name for a in SPEC.areas)
        for name in dir(getattr(KisClient(APP_KEY, APP_SECRET, token_cache=False), area))
        if not name.startswith("_")
    }
    covered = {case.method for case in cases()} | {f"{op.area}.{m}" for op in PUBLIC_OPERATIONS if not op.parameters and not op.has_side and not op.request_any for m in methods(op)}
    assert public == covered
