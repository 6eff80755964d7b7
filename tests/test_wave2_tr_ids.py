"""Every TR_ID cell (environment x market x side x period) of the issue-10 operations, against
KIS's documents as copied into tests/fixtures/wave2/operations.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from kisgen.model import Spec
from kisgen.pipeline import load_spec
from kis_client import TrIdNotFoundError, resolve_tr_id
from kis_client.tr_ids import ENVIRONMENTS, TR_IDS
from tests.wave2_support import fixture

FACTS: dict[str, Any] = fixture("operations.yaml")
OPERATIONS: dict[str, dict[str, Any]] = FACTS["operations"]
ENVS = ("real", "mock")


def cells() -> list[tuple[str, str, dict[str, str], str]]:
    """(operation, env, selector, documented TR_ID or 'unsupported'/'none')."""
    found = []
    for name, facts in OPERATIONS.items():
        for env in ENVS:
            if "by_period" in facts:
                for period, ids in facts["by_period"].items():
                    found.append((name, env, {"period": period}, ids[env]))
            elif "by_exchange" in facts:
                for exchange, ids in facts["by_exchange"].items():
                    found.append((name, env, {"exchange": exchange}, ids[env]))
            else:
                found.append((name, env, {}, facts[env]))
    return found


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


@pytest.mark.parametrize(("operation", "env", "selector", "documented"), cells(), ids=lambda v: str(v))
def test_tr_id_cell(operation: str, env: str, selector: dict[str, str], documented: str) -> None:
    if documented == "none":
        assert all(key[0] != operation for key in TR_IDS)
        assert env in ENVIRONMENTS[operation]
    elif documented == "unsupported":
        assert env not in ENVIRONMENTS[operation]
        with pytest.raises(TrIdNotFoundError):
            resolve_tr_id(operation, env, **selector)
    else:
        assert env in ENVIRONMENTS[operation]
        assert resolve_tr_id(operation, env, **selector) == documented


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_no_tr_id_beyond_the_documents(operation: str) -> None:
    """The generated table holds exactly the documented cells, nothing derived on the side."""
    documented = {tr for (name, _env, _sel, tr) in cells() if name == operation and tr not in ("none", "unsupported")}
    generated = {tr for key, tr in TR_IDS.items() if key[0] == operation}
    assert generated == documented


def test_sample_code_mock_tr_ids_never_appear() -> None:
    for tr_id in FACTS["sample_code_mock_tr_ids_that_do_not_exist"]:
        assert tr_id not in TR_IDS.values()


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_path_method_and_environments(spec: Spec, operation: str) -> None:
    facts = OPERATIONS[operation]
    op = spec.operation(operation)
    assert (op.method, op.path) == (facts["method"], facts["path"])
    assert op.envs == (("real",) if facts["env_support"] == "real_only" else ("real", "mock"))


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_legacy_tr_ids_are_retired_not_used(spec: Spec, operation: str) -> None:
    legacy = OPERATIONS[operation].get("legacy", [])
    op = spec.operation(operation)
    real_legacy = [tr for tr in legacy if not tr.startswith("V")]
    if op.tr is not None:
        assert {tr for tr, _ in op.tr.retired} == set(real_legacy)
    for tr_id in legacy:
        assert tr_id not in TR_IDS.values()


@pytest.mark.parametrize("operation", sorted(name for name, f in OPERATIONS.items() if "continuation" in f))
def test_continuation_keys_and_page_sizes(spec: Spec, operation: str) -> None:
    facts = OPERATIONS[operation]["continuation"]
    page = spec.operation(operation).pagination
    assert page is not None
    assert {key.request for key in page.keys} == set(facts["request"])
    assert {key.response for key in page.keys} == set(facts["response"])
    assert dict(page.page_size) == facts["page_size"]


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_headers_are_the_documented_ones(spec: Spec, operation: str) -> None:
    """Exactly the workbook's required headers; content-type added on POST bodies, tr_cont on
    paged reads, custtype on every call with a TR_ID (KIS's own client always sends it, also
    where the workbook marks it Req=N)."""
    op = spec.operation(operation)
    expected = set(OPERATIONS[operation]["headers"])
    if op.method == "POST":
        expected.add("content-type")
    if op.pagination is not None:
        expected.add("tr_cont")
    if op.tr is not None:
        expected.add("custtype")
    assert set(op.headers) == expected
