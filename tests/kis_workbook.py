"""KIS's workbook (2026-09-11) as copied into tests/fixtures/kis_workbook_2026_09_11: the
documented operations (TR_IDs, paths, headers, continuation), an example request of each, and
their response fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.helpers_http import APP_KEY, APP_SECRET, TOKEN

FIXTURES = Path(__file__).parent / "fixtures" / "kis_workbook_2026_09_11"


def workbook(name: str) -> Any:
    return yaml.load((FIXTURES / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


DOCUMENTED: dict[str, dict[str, Any]] = workbook("operations.yaml")["operations"]
EXAMPLES: dict[str, dict[str, Any]] = workbook("requests.yaml")["examples"]
PLACEHOLDERS = {"<app_key>": APP_KEY, "<app_secret>": APP_SECRET, "<token>": TOKEN}


def example_params(name: str) -> dict[str, Any]:
    """The documented query or body of the example, the test's credentials filled in."""
    return {key: PLACEHOLDERS.get(value, value) if isinstance(value, str) else value for key, value in EXAMPLES[name]["params"].items()}
