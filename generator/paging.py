"""How an operation pages, in the spec language: tr_cont and the keys sent back.

KIS pages three ways. Most account inquiries send the CTX_AREA pair back (``CTX_AREA_FK100`` /
``CTX_AREA_NK100`` from the body's ``ctx_area_fk100`` / ``ctx_area_nk100``); a few send one key
(``KEYB`` from ``keyb``) or one from inside an object output (``INDEX_KEY`` from
``output1.index_key``); rankings and charts send nothing back: the same request again with
tr_cont N, KIS remembering where the read is. ``pagination.keys`` says which: request field →
response key, ``{}`` for tr_cont alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .load import JsonPath

Report = Callable[[JsonPath, str], None]


@dataclass(frozen=True, slots=True)
class PageKey:
    """A continuation key: the response value a following page's request sends back."""

    request: str  # the request field it goes in
    response: str  # the response key it comes from
    output: str | None = None  # the object output holding it (output1); None: the body's top level

    @property
    def shown(self) -> str:
        return f"{self.request} ← {self.output + '.' if self.output else ''}{self.response}"


@dataclass(frozen=True, slots=True)
class Pagination:
    """Paging by tr_cont: ``keys`` are sent back on each following page; with none, the same
    request goes again with tr_cont N."""

    keys: tuple[PageKey, ...]
    page_size: tuple[tuple[str, int], ...]

    @property
    def top_level_keys(self) -> tuple[str, ...]:
        """Response keys at the body's top level (beside the envelope and the outputs)."""
        return tuple(key.response for key in self.keys if key.output is None)


def build_pagination(raw: dict[str, Any], fields: tuple[Any, ...], response: Any, problem: Report) -> Pagination:
    """The operation's `pagination`, checked against its request fields and outputs."""
    if "keys" in raw:
        pairs = [(("keys", request), request, path) for request, path in raw["keys"].items()]
    else:  # the CTX_AREA pair as specs wrote it before `keys`
        pairs = [(("request", name), raw["request"][name], raw["response"][name]) for name in ("fk", "nk")]
    wires = {field.wire for field in fields}
    outputs = {output.key: output for output in response.outputs if output.key is not None}
    keys = []
    for where, request, path in pairs:
        if request not in wires:
            problem(where, f"{request!r} is not a request field")
        output, _, name = path.rpartition(".")
        if output:
            found = outputs.get(output)
            if found is None:
                problem(where, f"{output!r} is not an output of this operation")
            elif found.shape == "list":
                problem(where, f"{output!r} is a list output; a continuation key comes from an object")
        keys.append(PageKey(request, name, output or None))
    return Pagination(tuple(keys), tuple(sorted(raw["page_size"].items())))
