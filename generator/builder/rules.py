"""Rules (when ... then ...): each condition and constraint checked against the operation's
fields and TR_ID dimensions, and no two rules that can apply to one request in conflict."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import ENVS, SIDES, Condition, Constraint, Dimension, RequestField, Rule
from .common import Context
from .fields import value_problem
from .patterns import check_pattern
from .problems import At

Tests = dict[tuple[str, str], set[str]]
DIMENSIONS: dict[str, Dimension] = {"side": "side", "market": "market", "period": "period"}


@dataclass(frozen=True, slots=True)
class RuleSubjects:
    """What an operation's rules may test and constrain: its fields and its TR_ID's dimensions."""

    fields: Mapping[str, RequestField]  # by wire name
    dims: tuple[Dimension, ...]
    market_field: str | None


def rules(ctx: Context, at: At, raw: list[dict[str, Any]], subjects: RuleSubjects) -> tuple[Rule, ...]:
    """The rules declared at ``at``, checked each on its own and against each other."""
    found = tuple(_rule(ctx, at / index, rule_raw, subjects) for index, rule_raw in enumerate(raw))
    _check_conflicts(ctx, at, found, subjects.market_field)
    seen: set[str] = set()
    for index, rule in enumerate(found):
        if rule.id in seen:
            ctx.problems.add(at.down(index, "id"), f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    return found


def _rule(ctx: Context, at: At, raw: dict[str, Any], subjects: RuleSubjects) -> Rule:
    conditions = [condition for subject, value in raw["when"].items() if (condition := _condition(ctx, at.down("when", subject), value, subjects)) is not None]
    constraints = []
    for wire, raw_constraint in raw["then"].items():
        where = at.down("then", wire)
        if wire not in subjects.fields:
            ctx.problems.add(where, f"{wire!r} is not a request field")
            continue
        op, arg = next(iter(raw_constraint.items()))
        if op == "pattern":
            if check_pattern(ctx.problems, where / "pattern", arg):
                constraints.append(Constraint(wire, "pattern", (), arg))
            continue
        values = (arg,) if op == "equals" else tuple(arg)
        for value in values:
            message = value_problem(ctx, subjects.fields[wire], value)
            if message:
                ctx.problems.add(where / op, f"{value!r}: {message}")
        constraints.append(Constraint(wire, op, values, None))
    return Rule(raw["id"], raw["text"], tuple(conditions), tuple(constraints), raw.get("source"))


def _condition(ctx: Context, at: At, value: str | list[str], subjects: RuleSubjects) -> Condition | None:
    subject = str(at.path[-1])
    values = (value,) if isinstance(value, str) else tuple(value)
    if subject == "env":
        bad = [v for v in values if v not in ENVS]
        if bad:
            ctx.problems.add(at, f"unknown environment {bad[0]!r}; use real or mock")
        return Condition("env", "env", values)
    dim = DIMENSIONS.get(subject)
    if dim is not None:
        if dim not in subjects.dims:
            ctx.problems.add(at, f"`{dim}` needs `{dim}` in tr_id.by")
        allowed = SIDES if dim == "side" else ctx.market_codes if dim == "market" else None
        bad = [v for v in values if allowed is not None and v not in allowed]
        if bad:
            ctx.problems.add(at, f"{bad[0]!r} is not a declared {dim}")
        return Condition(dim, dim, values)
    if subject in subjects.fields:
        for v in values:
            message = value_problem(ctx, subjects.fields[subject], v)
            if message:
                ctx.problems.add(at, f"{v!r}: {message}")
        return Condition("field", subject, values)
    ctx.problems.add(at, f"{subject!r} is not a request field, env, side, market or period")
    return None


def _check_conflicts(ctx: Context, at: At, rules: tuple[Rule, ...], market_field: str | None) -> None:
    """Conflicting rules: two rules that can apply to one request and leave a field no value.

    Two rules can both apply unless they test one subject (a field, env, side, market or
    period; an exchange counts as its market) with no value in common. They conflict when both
    then constrain one field and no value meets both constraints. A pattern against a pattern is
    not compared (regular languages, not worth it here); a pattern against listed values is. A
    rule conflicts with itself when its constraint rules out every value its own condition tests.
    """
    market_of = ctx.market_of
    for index, rule in enumerate(rules):
        when = {(cond.subject, cond.name): set(cond.values) for cond in rule.when}
        for constraint in rule.then:
            tested = when.get(("field", constraint.wire))
            if tested is not None and not _allowed(constraint, tested):
                ctx.problems.add(at.down(index, "then", constraint.wire), f"rule {rule.id!r} can never hold: its condition needs {constraint.wire} in {sorted(tested)}, its constraint rules all of them out")
    for first_index, first in enumerate(rules):
        for second_index in range(first_index + 1, len(rules)):
            second = rules[second_index]
            if not _can_both_apply(_tests(first, market_field, market_of), _tests(second, market_field, market_of)):
                continue
            for a in first.then:
                for b in second.then:
                    if a.wire == b.wire and not _compatible(a, b):
                        ctx.problems.add(at.down(second_index, "then", b.wire), f"rules {first.id!r} and {second.id!r} can apply to the same request, and no {a.wire} satisfies both")


def _tests(rule: Rule, market_field: str | None, market_of: dict[str, str]) -> Tests:
    """What a rule's condition tests, with a test of the exchange field also read as one of market."""
    tests: Tests = {(cond.subject, cond.name): set(cond.values) for cond in rule.when}
    exchanges = tests.get(("field", market_field)) if market_field is not None else None
    if exchanges is not None:
        markets = {market_of[code] for code in exchanges if code in market_of}
        tests[("market", "market")] = tests.get(("market", "market"), markets) & markets
    return tests


def _can_both_apply(first: Tests, second: Tests) -> bool:
    return all(first[subject] & values for subject, values in second.items() if subject in first)


def _allowed(constraint: Constraint, values: set[str]) -> bool:
    """Whether some of ``values`` meet the constraint."""
    if constraint.op == "pattern":
        assert constraint.pattern is not None
        return any(re.fullmatch(constraint.pattern, value) for value in values)
    return bool(values.intersection(constraint.values))


def _compatible(a: Constraint, b: Constraint) -> bool:
    if a.op == "pattern" and b.op == "pattern":
        return True
    if a.op == "pattern":
        return _allowed(a, set(b.values))
    return _allowed(b, set(a.values))
