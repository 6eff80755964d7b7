"""Each issue-10 operation's wire request for a documented example: built with prepare_*, then
sent by the client to a recording server on 127.0.0.1 (method, path, headers, query or body)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from kis_client._calls import PreparedCall
from tests.wave2_support import APP_KEY, APP_SECRET, TOKEN, Answer, Recorded, client, context, fixture, ok, serve

EXAMPLES: dict[str, dict[str, Any]] = fixture("requests.yaml")["examples"]
OPERATIONS: dict[str, dict[str, Any]] = fixture("operations.yaml")["operations"]
KIS_HEADERS = {"content-type", "authorization", "appkey", "appsecret", "tr_id", "custtype", "tr_cont", "hashkey"}
PLACEHOLDERS = {"<app_key>": APP_KEY, "<app_secret>": APP_SECRET, "<token>": TOKEN}


def expected_params(name: str) -> dict[str, Any]:
    return {key: PLACEHOLDERS.get(value, value) if isinstance(value, str) else value for key, value in EXAMPLES[name]["params"].items()}


def prepare(name: str, env: str, args: dict[str, Any]) -> PreparedCall:
    area, operation = name.split(".")
    function = getattr(importlib.import_module(f"kis_client.{area}.{operation}"), "prepare_" + name.replace(".", "_"))
    call: PreparedCall = function(context(env), **args)
    return call


def test_every_operation_has_an_example() -> None:
    assert set(EXAMPLES) == set(OPERATIONS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_prepared_request(name: str) -> None:
    example = EXAMPLES[name]
    call = prepare(name, example["env"], example["args"])
    assert (call.operation.method, call.operation.path) == (OPERATIONS[name]["method"], OPERATIONS[name]["path"])
    assert call.tr_id == example["tr_id"]
    assert dict(call.params) == expected_params(name)


def answer(request: Recorded) -> Answer:
    if request.path == "/oauth2/revokeP":
        return {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"}, {}
    if request.path == "/oauth2/Approval":
        return {"approval_key": "a2585daf-8c09-4587-9fce-8ab893000000"}, {}
    if request.path == "/uapi/hashkey":
        return {"BODY": request.body, "HASH": "8b84068222a49302f7ef58226d90403f62e216828f8103465f900de0e7be2f0f"}, {}
    if request.method == "POST":  # an accepted order: KIS always sends its number, branch and time
        return ok(output={"KRX_FWDG_ORD_ORGNO": "01790", "ODNO": "0000004336", "ORD_TMD": "160524"})
    return ok()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_wire_request(name: str) -> None:
    example = EXAMPLES[name]
    area, operation = name.split(".")
    with serve(answer) as server:
        with client(server, example["env"]) as kis:
            method = getattr(getattr(kis, area), operation)
            args = dict(example["args"])
            if "body" in args:
                method(args.pop("body"))
            else:
                method(**args)
        sent = server.api_requests
    assert len(sent) == 1
    request = sent[0]
    facts = OPERATIONS[name]
    assert (request.method, request.path) == (facts["method"], facts["path"])
    if facts["method"] == "GET":
        assert request.query == expected_params(name)
        assert request.body is None
    else:
        assert request.body == expected_params(name)
        assert request.query == {}
    headers = {key: value for key, value in request.headers.items() if key in KIS_HEADERS}
    expected = set(facts["headers"]) | ({"content-type"} if facts["method"] == "POST" else set()) | ({"tr_cont"} if "continuation" in facts else set())
    if example["tr_id"] is not None:
        expected.add("custtype")  # on every call with a TR_ID, whatever the workbook marks
    assert set(headers) == expected
    if example["tr_id"] is not None:
        assert headers["tr_id"] == example["tr_id"]
    if "authorization" in headers:
        assert headers["authorization"] == f"Bearer {TOKEN}"
    if "tr_cont" in headers:
        assert headers["tr_cont"] == ""
