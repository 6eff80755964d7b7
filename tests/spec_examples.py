"""Valid calls derived from the spec model: which variants an operation has (env, side, period)
and arguments built from the spec's examples that also satisfy the rules the variant triggers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kisgen.model import Operation, Spec
from kisgen.rules import Situation, request_problems, with_defaults


@dataclass(frozen=True)
class Variant:
    env: str
    side: str | None = None
    period: str | None = None

    def __str__(self) -> str:
        return "-".join(part for part in (self.env, self.side, self.period) if part)


def variants(op: Operation, envs: tuple[str, ...] | None = None) -> list[Variant]:
    """Every environment the operation supports (or those of ``envs`` it supports) by side and
    period, but a branch KIS offers on real accounts only on a mock one."""
    sides: tuple[str | None, ...] = ("buy", "sell") if op.has_side else (None,)
    periods: tuple[str | None, ...] = op.tr.periods if op.tr is not None and op.has_period else (None,)
    real_only = op.tr.real_only if op.tr is not None else ()
    return [
        Variant(env, side, period)
        for env in op.envs
        if envs is None or env in envs
        for side in sides
        for period in periods
        if env == "real" or not any(branch.market is None and branch.covers(None, side, period) for branch in real_only)
    ]


def default_env(op: Operation) -> str:
    """Mock, the client's default, unless KIS offers the operation on a real account only."""
    return "mock" if "mock" in op.envs else op.envs[0]


def market_of(spec: Spec, op: Operation, wire_values: dict[str, Any]) -> str | None:
    if op.tr is None or op.tr.market_field is None:
        return None
    return spec.exchange_market(str(wire_values.get(op.tr.market_field)))


def valid_wire_values(spec: Spec, op: Operation, variant: Variant, start: dict[str, Any] | None = None) -> tuple[dict[str, Any], set[str]]:
    """The request on the wire (defaults applied) and the wire names the caller must pass.

    Starts from each required field's example (and ``start``, when given); a rule the variant triggers that the examples break is
    met with its first allowed value. A rule only a pattern states cannot be met that way and
    fails loudly: the spec's examples then need fixing.
    """
    values: dict[str, Any] = {}
    passed: set[str] = set()
    for field in op.fields:
        if field.bind is not None or (field.required and not field.has_default):
            values[field.wire] = field.example
            passed |= {field.wire} if field.bind is None else set()
    values.update(start or {})
    passed |= set(start or {})
    bound = {field.wire for field in op.fields if field.bind is not None}
    for _ in range(len(op.rules) + 1):
        full = with_defaults(op, values, variant.side)
        situation = Situation(variant.env, variant.side, market_of(spec, op, full), variant.period)
        problems = [p for p in request_problems(spec, op, full, situation) if p.field not in bound]
        if not problems:
            return full, passed
        for problem in problems:
            rule = next((r for r in op.rules if r.id == problem.rule), None)
            constraint = next((c for c in rule.then if c.wire == problem.field), None) if rule else None
            if constraint is None or not constraint.values:
                raise AssertionError(f"{op.qualname} {variant}: the spec's examples break {problem}")
            values[problem.field] = constraint.values[0]
            passed.add(problem.field)
    raise AssertionError(f"{op.qualname} {variant}: the rules keep contradicting each other: {problems}")


def valid_arguments(spec: Spec, op: Operation, variant: Variant) -> dict[str, Any]:
    """Keyword arguments for ``prepare_*`` and the client's method: side, period and fields."""
    wire_values, passed = valid_wire_values(spec, op, variant)
    arguments: dict[str, Any] = {}
    if variant.side is not None:
        arguments["side"] = variant.side
    if variant.period is not None:
        arguments["period"] = variant.period
    for field in op.parameters:
        if field.wire in passed:
            arguments[field.py_name] = wire_values[field.wire]
    return arguments
