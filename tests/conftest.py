"""Shared fixtures: the spec model, session sandboxes and clients that never touch disk."""

from __future__ import annotations

import functools
import importlib
import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest

from kisgen.cache import cache_dir
from kisgen.model import Operation, Spec
from kisgen.pipeline import load_spec, render_spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from kis_client import KisClient
from kis_client._retry import RetryPolicy

REPO = Path(__file__).resolve().parent.parent
# The generator's own tests read this small spec, frozen for them: editing spec/ never breaks them,
# and their cost does not grow with it.
FIXTURE_SPEC = REPO / "tests" / "fixtures" / "spec"
_serial = itertools.count(1)

# The black chunks of every spec the tests render but spec/ (the fixture's, broken and hostile
# ones) are cached apart: the cache keeps a bounded number of chunks, and theirs would push out
# the ones of spec/ that `kisgen check` has just cached (at 300 operations, a render of spec/
# with them pushed out costs its cold time again).
SPEC_CACHE = cache_dir()
os.environ["KISGEN_CACHE_DIR"] = str(SPEC_CACHE / "tests")


def operation_module(op: Operation) -> ModuleType:
    """The generated module of one operation: its request, validator, prepare_*, response models
    and parse_* (kis_client.<area>.<name>)."""
    return importlib.import_module(f"kis_client.{op.area}.{op.name}")


def new_project(root: Path, spec: Path = FIXTURE_SPEC) -> Path:
    """A kisgen project at ``root``: a copy of ``spec`` and this repository's templates (linked)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(spec, root / "spec")
    (root / "templates").symlink_to(REPO / "templates", target_is_directory=True)
    return root


@functools.cache
def repo_spec() -> Spec:
    """spec/ as a model, built once per run (a model is frozen): every module shares it. Its
    files' schema verdicts are cached where `kisgen validate` caches them."""
    with mock.patch.dict(os.environ, {"KISGEN_CACHE_DIR": str(SPEC_CACHE)}):
        return load_spec(REPO / "spec")


@functools.cache
def repo_render() -> Mapping[str, bytes]:
    """What spec/ renders to, once per run, with the black cache `kisgen check` uses."""
    with mock.patch.dict(os.environ, {"KISGEN_CACHE_DIR": str(SPEC_CACHE)}):
        return render_spec(REPO / "spec", REPO / "templates")


@functools.cache
def fixture_render() -> Mapping[str, bytes]:
    """What the fixture spec renders to (generated/ and docs/), by path in the project."""
    return render_spec(FIXTURE_SPEC, REPO / "templates")


def write_render(root: Path, files: Mapping[str, bytes]) -> None:
    """``files`` written under ``root`` as they are, as a run before the test would have left them."""
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)

KST = timezone(timedelta(hours=9))
# Every sandbox of the tests lives on this day, whatever the wall clock says: a Monday in Korea
# whose day 400 days back is a Sunday (the chart walk's hardest start).
PINNED_NOW = datetime(2026, 12, 7, 10, 0, tzinfo=KST)


def pinned_clock(at: datetime = PINNED_NOW) -> Callable[[], float]:
    """A sandbox clock that starts at ``at`` and runs at real speed, so rate limits and token
    lifetimes still pass as they would."""
    start = time.monotonic()
    return lambda: at.timestamp() + (time.monotonic() - start)

NO_RETRY = RetryPolicy(attempts=1, backoff=0.01, max_backoff=0.01)


@pytest.fixture(scope="session")
def spec() -> Spec:
    return repo_spec()


@pytest.fixture(scope="session")
def mock_sandbox(spec: Spec) -> Iterator[RunningSandbox]:
    """A mock sandbox without a rate limit, so tests never wait; each test uses its own account."""
    with running_sandbox("mock", spec=spec, rate_limit_per_second=0, clock=pinned_clock()) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def real_sandbox(spec: Spec) -> Iterator[RunningSandbox]:
    with running_sandbox("real", spec=spec, rate_limit_per_second=0, clock=pinned_clock()) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def sandboxes(mock_sandbox: RunningSandbox, real_sandbox: RunningSandbox) -> dict[str, RunningSandbox]:
    return {"mock": mock_sandbox, "real": real_sandbox}


def fresh_account() -> str:
    """An account number no other test uses: the sandbox keeps one account per number."""
    return f"{50000000 + next(_serial):08d}-01"


def fresh_app_key() -> str:
    return f"test-app-key-{next(_serial):06d}"


ClientFactory = Callable[..., KisClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Clients with their own app key and account, no token cache, no client-side rate limit."""
    made: list[KisClient] = []

    def make(sandbox: RunningSandbox, **options: Any) -> KisClient:
        settings: dict[str, Any] = {
            "app_key": fresh_app_key(),
            "app_secret": "test-app-secret-0123456789",
            "account": fresh_account(),
            "env": sandbox.env,
            "base_url": sandbox.base_url,
            "token_cache": False,
            "rate_limit": 0,
            "retry": NO_RETRY,
        }
        settings.update(options)
        client = KisClient(**settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
