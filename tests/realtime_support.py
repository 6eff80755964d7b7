"""What the real-time tests share: a sandbox whose feed sends nothing by itself (no ticks, no
PINGPONG: each test publishes what it reads), its approval keys and address, and KIS's
registration message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from kisgen.model import Spec
from kisgen.sandbox import RunningSandbox, running_sandbox
from tests.conftest import pinned_clock

SECRET = "feed-secret-0123456789"


@contextmanager
def quiet_sandbox(spec: Spec, env: str = "mock") -> Iterator[RunningSandbox]:
    with running_sandbox(env, spec=spec, rate_limit_per_second=0, clock=pinned_clock(), tick_interval=None, pingpong_interval=None) as sandbox:
        yield sandbox


def approval_key(sandbox: RunningSandbox, app_key: str) -> str:
    """POST /oauth2/Approval as KIS's samples do: the secret goes in ``secretkey``."""
    reply = httpx.post(f"{sandbox.base_url}/oauth2/Approval", json={"grant_type": "client_credentials", "appkey": app_key, "secretkey": SECRET})
    assert reply.status_code == 200
    return str(reply.json()["approval_key"])


def ws_url(sandbox: RunningSandbox, path: str = "/tryitout") -> str:
    return sandbox.base_url.replace("http://", "ws://") + path


def registration(key: str, tr_id: str, tr_key: str, tr_type: str = "1") -> str:
    return json.dumps({"header": {"approval_key": key, "custtype": "P", "tr_type": tr_type, "content-type": "utf-8"}, "body": {"input": {"tr_id": tr_id, "tr_key": tr_key}}})
