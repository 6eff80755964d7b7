"""A local KIS server driven by the spec: every operation, KIS's checks, a stateful account.

    with running_sandbox("mock") as sandbox:
        client = KisClient("key", "secret", account="12345678-01", base_url=sandbox.base_url)

It never imports the generated client: it reads the same model the client is generated from.
"""

from __future__ import annotations

from .errors import Rejection
from .runner import RunningSandbox, running_sandbox, serve
from .state import SandboxOptions, SandboxState

__all__ = ["Rejection", "RunningSandbox", "SandboxOptions", "SandboxState", "running_sandbox", "serve"]
