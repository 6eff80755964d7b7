"""What kisgen writes, and where: the client package, the client's own project file, and docs/."""

from __future__ import annotations

PACKAGE = "generated/kis_client"
CLIENT_PROJECT = "generated/pyproject.toml"  # the client's own, so it installs alone
DOCS_DIR = "docs"
DOCS_FILE = f"{DOCS_DIR}/API.md"
WRITABLE = (PACKAGE + "/", CLIENT_PROJECT, DOCS_DIR + "/")
