"""Run the sandbox: in-process on a free port (tests, examples) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Spec
from .state import SandboxOptions, SandboxState

if TYPE_CHECKING:
    from .feed import Feed

HOST = "127.0.0.1"
BACKLOG = 2048  # uvicorn's default


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    base_url: str
    state: SandboxState
    feed: Feed  # the real-time feed on the same port (ws:// and the spec's path)

    @property
    def env(self) -> str:
        return self.state.env


def build(env: str = "mock", spec: Spec | None = None, **options: Any) -> tuple[Spec, SandboxState]:
    if spec is None:
        from ..pipeline import load_spec
        from ..project import ProjectNotFoundError, find_project

        try:
            spec_dir = find_project().spec
        except ProjectNotFoundError:
            where = Path.cwd()
            raise ProjectNotFoundError(f"no kisgen project in {where} or above it to take the spec from: pass it, spec=load_spec(Path('/path/to/kisgen/spec')) with load_spec from kisgen.pipeline") from None
        spec = load_spec(spec_dir)
    spec.environment(env)  # KeyError for an environment the spec does not declare
    return spec, SandboxState(spec, SandboxOptions(env=env, **options))


@contextmanager
def running_sandbox(env: str = "mock", *, port: int = 0, spec: Spec | None = None, **options: Any) -> Iterator[RunningSandbox]:
    """A sandbox serving on 127.0.0.1 (a free port unless given) until the block ends."""
    # starlette and uvicorn: the sandbox extra, needed from here on
    from .app import create_app
    from .server import build_server

    spec, state = build(env, spec, **options)
    sock = bind(port)
    bound_port = sock.getsockname()[1]
    app = create_app(spec, state)
    server = build_server(app, state.options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"kis-sandbox-{bound_port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.005)
        yield RunningSandbox(f"http://{HOST}:{bound_port}", state, app.feed)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (OSError if the port is taken)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def serve(env: str = "mock", port: int = 8080, log_level: str = "info", spec: Spec | None = None, **options: Any) -> None:
    """Serve in the foreground until interrupted; the banner comes once the port is listening."""
    from .app import create_app
    from .server import build_server

    spec, state = build(env, spec, **options)
    server = build_server(create_app(spec, state), state.options, log_level=log_level, access_log=log_level != "warning")
    sock = bind(port)
    try:
        port = sock.getsockname()[1]
        feed = f"; real-time feed at ws://{HOST}:{port}{spec.realtime.path}" if spec.realtime is not None else ""
        print(f"KIS sandbox ({env}) on http://{HOST}:{port} — {len(spec.operations)} operations{feed}; Ctrl-C stops it", flush=True)
        server.run(sockets=[sock])
    finally:
        sock.close()
