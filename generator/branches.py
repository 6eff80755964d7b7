"""Branches of a TR_ID table that KIS offers on real accounts only.

KIS offers some operations on mock accounts for some branches only: domestic futures and options
take day orders on a mock account, night orders on a real one alone (KIS API portal 2026-05-29:
"야간은 모의투자 미제공"). ``tr_id.real_only`` names those branches with their source; the model
gives them no mock TR_ID, so a mock client refuses them before sending and a mock sandbox
refuses their TR_ID.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .load import JsonPath

Report = Callable[[JsonPath, str], None]


@dataclass(frozen=True, slots=True)
class RealOnlyBranch:
    """The branches a `when` selects (a dimension it leaves out matches every value)."""

    market: str | None
    side: str | None
    period: str | None
    source: str

    def covers(self, market: str | None, side: str | None, period: str | None) -> bool:
        return all(mine is None or mine == theirs for mine, theirs in ((self.market, market), (self.side, side), (self.period, period)))

    @property
    def shown(self) -> str:
        return ", ".join(f"{dim} {value}" for dim, value in (("market", self.market), ("side", self.side), ("period", self.period)) if value)


def real_only_branches(
    raw: list[dict[str, Any]],
    dims: tuple[str, ...],
    mock: str,
    overrides: dict[tuple[str | None, str | None, str | None], tuple[str, str]],
    leaves: list[dict[str, str]],
    problem: Report,
) -> tuple[RealOnlyBranch, ...]:
    """The `real_only` entries of a TR_ID table, checked against its branches (``leaves``: the
    dimension values of each real TR_ID)."""
    branches = []
    for index, entry in enumerate(raw):
        where: JsonPath = ("real_only", index)
        when = entry["when"]
        unknown = [dim for dim in when if dim not in dims]
        for dim in unknown:
            problem(where + ("when", dim), f"`{dim}` is not in tr_id.by")
        branch = RealOnlyBranch(when.get("market"), when.get("side"), when.get("period"), entry["source"])
        covered = [leaf for leaf in leaves if branch.covers(leaf.get("market"), leaf.get("side"), leaf.get("period"))]
        if not unknown and not covered:
            problem(where + ("when",), f"no TR_ID entry for {dict(when)}: nothing to mark real-only")
        if mock == "unsupported":
            problem(where, "the whole operation is real-only (`mock: unsupported`); `real_only` is for some of its branches")
        for key in overrides:
            if branch.covers(*key):
                problem(where, f"a mock override names a branch this entry makes real-only ({branch.shown})")
        branches.append(branch)
    if branches and leaves and all(any(branch.covers(leaf.get("market"), leaf.get("side"), leaf.get("period")) for branch in branches) for leaf in leaves):
        problem(("real_only",), "every branch is real-only: say `mock: unsupported` instead")
    return tuple(branches)
