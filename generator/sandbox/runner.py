"""Run the sandbox: in-process on a free port (tests, examples) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from generator.model import Spec
from generator.sandbox.state import SandboxOptions, SandboxState

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    base_url: str
    state: SandboxState

    @property
    def env(self) -> str:
        return self.state.env


def build(env: str = "mock", spec: Spec | None = None, **options: Any) -> tuple[Spec, SandboxState]:
    if spec is None:
        from generator.pipeline import load_spec

        spec = load_spec()
    spec.environment(env)  # KeyError for an environment the spec does not declare
    return spec, SandboxState(spec, SandboxOptions(env=env, **options))


@contextmanager
def running_sandbox(env: str = "mock", *, port: int = 0, spec: Spec | None = None, **options: Any) -> Iterator[RunningSandbox]:
    """A sandbox serving on 127.0.0.1 (a free port unless given) until the block ends."""
    import uvicorn

    from generator.sandbox.app import create_app  # starlette: the sandbox extra, needed from here on

    spec, state = build(env, spec, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(spec, state), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"kis-sandbox-{bound_port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.005)
        yield RunningSandbox(f"http://{HOST}:{bound_port}", state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(env: str = "mock", port: int = 8080, log_level: str = "info", **options: Any) -> None:
    """Serve in the foreground until interrupted."""
    import uvicorn

    from generator.sandbox.app import create_app

    spec, state = build(env, **options)
    print(f"KIS sandbox ({env}) on http://{HOST}:{port} — {len(spec.operations)} operations; Ctrl-C stops it", flush=True)
    uvicorn.run(create_app(spec, state), host=HOST, port=port, log_level=log_level, access_log=log_level != "warning")
