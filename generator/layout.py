"""What kisgen writes, and where: the client package, the client's own project file, and docs/."""

from __future__ import annotations

PACKAGE = "generated/kis_client"
CLIENT_PROJECT = "generated/pyproject.toml"  # the client's own, so it installs alone
DOCS_DIR = "docs"
DOCS_FILE = f"{DOCS_DIR}/API.md"  # the index
AREA_DOCS = "api"  # docs/api/<area>.md: one page an area, linked from the index
AREA_DOCS_DIR = f"{DOCS_DIR}/{AREA_DOCS}"
WRITABLE = (PACKAGE + "/", CLIENT_PROJECT, DOCS_DIR + "/")
# Written whole: what is in them and not rendered is stale (the other files of docs/ are not kisgen's).
OWNED_DIRS = (PACKAGE, AREA_DOCS_DIR)
