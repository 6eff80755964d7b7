"""TR_ID tables: every cell for every environment, market, side and period, the mock ones derived
by the rule unless an override (with its source), `mock: same`/`unsupported` or a real-only
branch says otherwise.

Some operations KIS offers on mock accounts for some branches only: domestic futures and options
take day orders on a mock account, night orders on a real one alone (KIS API portal 2026-05-29:
"야간은 모의투자 미제공"). ``real_only`` names those branches with their source; they get no mock
TR_ID, so a mock client refuses them before sending and a mock sandbox refuses their TR_ID."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..load import JsonPath
from ..model import ENVS, EXCHANGES_TABLE, PERIOD_NAME, SIDES, Dimension, RealOnlyBranch, RequestField, Spec, TrCell, TrTable
from .common import Context
from .problems import At, Problems

Leaf = tuple[dict[str, Any], str, At]  # the dimensions chosen, the TR_ID, where it is written


def tr_table(ctx: Context, at: At, raw: dict[str, Any], fields: Mapping[str, RequestField]) -> TrTable:
    """The table declared at ``at``; ``fields``: the operation's request fields by wire name."""
    dims: tuple[Dimension, ...] = tuple(raw.get("by", ()))
    market_field = raw.get("market_field")
    _check_market_field(ctx, at, dims, market_field, fields)
    before = ctx.problems.count()
    leaves = _leaves(ctx, at / "real", raw["real"], dims)
    table_is_sound = ctx.problems.count() == before
    mock = raw.get("mock", "derive")
    overrides = _overrides(ctx, at, raw, dims, leaves)
    real_only = _real_only(ctx, at, raw, dims, overrides, leaves)
    cells: list[TrCell] = []
    for chosen, tr_id, where in leaves:
        market, side, period = chosen.get("market"), chosen.get("side"), chosen.get("period")
        cells.append(TrCell("real", market, side, period, tr_id, "spec", None))
        if mock == "unsupported" or any(branch.covers(market, side, period) for branch in real_only):
            continue
        override = overrides.get((market, side, period))
        if override is not None:
            cells.append(TrCell("mock", market, side, period, override[0], "override", override[1]))
        elif mock == "same":
            cells.append(TrCell("mock", market, side, period, tr_id, "same", None))
        else:
            derived = ctx.mock_rule.derive(tr_id)
            if derived is None:
                rule = ctx.mock_rule
                ctx.problems.add(
                    where,
                    f"the mock rule cannot derive a TR_ID from {tr_id!r} (first letter not in {', '.join(rule.first_letters)}); set `mock: same` or `mock: unsupported`, or add an override",
                )
                continue
            cells.append(TrCell("mock", market, side, period, derived, "rule", None))
    if "side" in dims and table_is_sound:
        _check_both_sides(ctx, at, dims, leaves)
    if "market" in dims:
        # Every market must resolve, so that every exchange has a TR_ID.
        present = {cell.market for cell in cells if cell.env == "real"}
        missing = [code for code in ctx.market_codes if code not in present]
        if missing:
            ctx.problems.add(at / "real", f"no TR_ID for market(s) {', '.join(missing)}")
    periods = tuple(dict.fromkeys(cell.period for cell in cells if cell.period is not None))
    retired = tuple((entry["tr_id"], entry["note"]) for entry in raw.get("retired", []))
    for index, (tr_id, _) in enumerate(retired):
        if any(cell.tr_id == tr_id for cell in cells):
            ctx.problems.add(at.down("retired", index, "tr_id"), f"{tr_id} is retired but still used")
    return TrTable(dims, market_field, mock, periods, tuple(cells), retired, real_only)


def _check_market_field(ctx: Context, at: At, dims: tuple[Dimension, ...], market_field: str | None, fields: Mapping[str, RequestField]) -> None:
    if "market" not in dims:
        if market_field is not None:
            ctx.problems.add(at / "market_field", "`market_field` needs `market` in `by`")
    elif market_field is None:
        ctx.problems.add(at / "by", "`market` in `by` needs `market_field`: the request field naming the exchange")
    elif market_field not in fields:
        ctx.problems.add(at / "market_field", f"{market_field!r} is not a request field")
    elif fields[market_field].codes != EXCHANGES_TABLE:
        ctx.problems.add(at / "market_field", f"{market_field!r} must use the `exchanges` code table")


def _leaves(ctx: Context, at: At, node: Any, dims: tuple[Dimension, ...], chosen: dict[str, Any] | None = None) -> list[Leaf]:
    """Every TR_ID of the nested table at ``at``, with the dimension values that lead to it."""
    chosen = chosen or {}
    level = len(chosen)
    if level == len(dims):
        if not isinstance(node, str):
            ctx.problems.add(at, f"expected a TR_ID here, found a table (by has {len(dims)} level(s))")
            return []
        return [(chosen, node, at)]
    if not isinstance(node, dict):
        ctx.problems.add(at, f"expected a table by {dims[level]}, found {node!r}")
        return []
    dim = dims[level]
    leaves: list[Leaf] = []
    for key, child in node.items():
        if dim == "side" and key not in SIDES:
            ctx.problems.add(at / key, f"side {key!r} is not buy or sell")
        elif dim == "market" and key not in ctx.market_codes:
            ctx.problems.add(at / key, f"market {key!r} is not declared under `markets`")
        elif dim == "period" and not PERIOD_NAME.fullmatch(key):
            ctx.problems.add(at / key, f"period {key!r} must be letters, digits and _ (a name, or KIS's code for the branch)")
        else:
            leaves += _leaves(ctx, at / key, child, dims, {**chosen, dim: key})
    return leaves


def _in_dims(ctx: Context, where: At, when: Mapping[str, Any], dims: tuple[Dimension, ...]) -> bool:
    """Whether every dimension a `when` names is one the table is split by (each other reported)."""
    unknown = [dim for dim in when if dim not in dims]
    for dim in unknown:
        ctx.problems.add(where.down("when", dim), f"`{dim}` is not in tr_id.by")
    return not unknown


def _overrides(ctx: Context, at: At, raw: dict[str, Any], dims: tuple[Dimension, ...], leaves: list[Leaf]) -> dict[tuple[str | None, ...], tuple[str, str]]:
    """The mock overrides by (market, side, period): each TR_ID and its source."""
    overrides: dict[tuple[str | None, ...], tuple[str, str]] = {}
    for index, override in enumerate(raw.get("mock_overrides", [])):
        where = at.down("mock_overrides", index)
        when = override["when"]
        key = (when.get("market"), when.get("side"), when.get("period"))
        if _in_dims(ctx, where, when, dims) and not any((chosen.get("market"), chosen.get("side"), chosen.get("period")) == key for chosen, _, _ in leaves):
            ctx.problems.add(where / "when", f"no TR_ID entry for {dict(when.items())} to override")
        if raw.get("mock", "derive") == "unsupported":
            ctx.problems.add(where, "a mock override on an operation without mock support")
        overrides[key] = (override["tr_id"], override["source"])
    return overrides


def _real_only(ctx: Context, at: At, raw: dict[str, Any], dims: tuple[Dimension, ...], overrides: Mapping[tuple[str | None, ...], tuple[str, str]], leaves: list[Leaf]) -> tuple[RealOnlyBranch, ...]:
    """The branches `real_only` names, each matching at least one TR_ID and no mock override."""
    mock = raw.get("mock", "derive")
    branches = []
    for index, entry in enumerate(raw.get("real_only", [])):
        where = at.down("real_only", index)
        when = entry["when"]
        branch = RealOnlyBranch(when.get("market"), when.get("side"), when.get("period"), entry["source"])
        if _in_dims(ctx, where, when, dims) and not any(branch.covers(chosen.get("market"), chosen.get("side"), chosen.get("period")) for chosen, _, _ in leaves):
            ctx.problems.add(where / "when", f"no TR_ID entry for {dict(when)}: nothing to mark real-only")
        if mock == "unsupported":
            ctx.problems.add(where, "the whole operation is real-only (`mock: unsupported`); `real_only` is for some of its branches")
        for key in overrides:
            if branch.covers(*key):
                ctx.problems.add(where, f"a mock override names a branch this entry makes real-only ({branch.shown})")
        branches.append(branch)
    if branches and leaves and all(any(branch.covers(chosen.get("market"), chosen.get("side"), chosen.get("period")) for branch in branches) for chosen, _, _ in leaves):
        ctx.problems.add(at / "real_only", "every branch is real-only: say `mock: unsupported` instead")
    return tuple(branches)


def _check_both_sides(ctx: Context, at: At, dims: tuple[Dimension, ...], leaves: list[Leaf]) -> None:
    """A side dimension needs both sides wherever it splits, or one side has no TR_ID."""
    sides_at: dict[JsonPath, set[str]] = {}
    depth = len(at.path) + 1 + dims.index("side")
    for chosen, _, where in leaves:
        sides_at.setdefault(where.path[:depth], set()).add(chosen["side"])
    for path, present in sides_at.items():
        for side in SIDES:
            if side not in present:
                ctx.problems.add(At(at.file, path), f"no TR_ID for side {side}")


def check_unique_tr_ids(problems: Problems, spec: Spec, files: Mapping[str, At]) -> None:
    """No TR_ID names two things in one environment."""
    for env in ENVS:
        seen: dict[str, str] = {}
        for op in spec.operations:
            for cell in op.tr.cells if op.tr is not None else ():
                if cell.env != env:
                    continue
                where = f"{op.qualname} ({', '.join(v for v in (cell.market, cell.side, cell.period) if v) or 'all'})"
                if cell.tr_id in seen and seen[cell.tr_id] != where:
                    problems.add(files[op.file].down("operations", op.name, "tr_id"), f"{env} TR_ID {cell.tr_id} is used twice: {seen[cell.tr_id]} and {where}")
                seen[cell.tr_id] = where
