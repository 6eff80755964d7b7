"""KIS's API portal listing (spec/sources/kis_portal.json): which APIs exist, their TR_IDs, and
which of them KIS offers on a mock account ("모의투자 미지원" means real accounts only)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Problem, SpecError

PORTAL_FILE = Path("sources") / "kis_portal.json"  # inside the spec directory
TR_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]{7,13}\b")


@dataclass(frozen=True, slots=True)
class PortalApi:
    collection: str  # "[국내주식] 순위분석"
    name: str
    api_id: str | None
    method: str
    path: str
    real_text: str  # the portal's TR_ID cell, as written ("(매도) TTTC0011U (매수) TTTC0012U")
    mock_text: str
    mock: bool  # False: "모의투자 미지원"
    required: tuple[str, ...]
    response_fields: tuple[str, ...]  # every output's keys together, and the output keys

    @property
    def real_tr_ids(self) -> tuple[str, ...]:
        return tuple(TR_TOKEN.findall(self.real_text))

    @property
    def mock_tr_ids(self) -> tuple[str, ...]:
        return tuple(TR_TOKEN.findall(self.mock_text)) if self.mock else ()

    @property
    def realtime(self) -> bool:
        return self.path.startswith("/tryitout/")


@dataclass(frozen=True, slots=True)
class Portal:
    source: str  # how to cite it: "KIS API portal 2026-05-29"
    apis: tuple[PortalApi, ...]

    def find(self, method: str, path: str) -> PortalApi | None:
        return next((api for api in self.apis if api.path == path and api.method == method), None) or next((api for api in self.apis if api.path == path), None)


def load_portal(spec_dir: Path) -> Portal:
    """The portal listing committed beside the spec; SpecError if it is missing or malformed."""
    return read_portal(spec_dir / PORTAL_FILE, f"{spec_dir.name}/{PORTAL_FILE.as_posix()}")


def read_portal(path: Path, shown: str) -> Portal:
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
        apis = tuple(
            PortalApi(
                str(entry["collection"]),
                str(entry["name"]),
                entry.get("api_id"),
                str(entry["method"]),
                str(entry["path"]),
                str(entry["real_tr_id"]),
                str(entry["mock_tr_id"]),
                bool(entry["mock"]),
                tuple(str(name) for name in entry.get("required", [])),
                tuple(str(name) for name in entry.get("response_fields", [])),
            )
            for entry in document["endpoints"]
        )
        return Portal(str(document["source"]), apis)
    except OSError as error:
        raise SpecError([Problem(shown, 1, "", f"cannot read the KIS portal listing: {error.strerror or error}")]) from None
    except (ValueError, KeyError, TypeError) as error:
        raise SpecError([Problem(shown, 1, "", f"not a KIS portal listing ({type(error).__name__}: {error})")]) from None
