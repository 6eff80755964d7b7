"""An interpreter of the model's request declarations: fields (required, codes, pattern, length)
and rules (when ... then ...). The sandbox rejects what it finds; exports and diffs can reuse it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import Condition, Constraint, Operation, RequestField, Spec


@dataclass(frozen=True, slots=True)
class RequestProblem:
    field: str  # the wire name
    message: str
    rule: str | None = None  # the rule id, for a rule's problem

    def __str__(self) -> str:
        where = f" (rule {self.rule})" if self.rule else ""
        return f"{self.field}: {self.message}{where}"


@dataclass(frozen=True, slots=True)
class Situation:
    """What a rule's `when` may name besides fields: the environment, side, market and period."""

    env: str
    side: str | None = None
    market: str | None = None
    period: str | None = None


def with_defaults(op: Operation, values: Mapping[str, Any], side: str | None) -> dict[str, Any]:
    """The request as KIS reads it: absent optional fields take their declared default."""
    result = dict(values)
    for field in op.fields:
        if field.wire in result:
            continue
        if field.default_by_side and side is not None:
            result[field.wire] = dict(field.default_by_side)[side]
        elif field.default is not None:
            result[field.wire] = field.default
    return result


def field_problem(spec: Spec, field: RequestField, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    shown = "the value" if field.secret else repr(value)  # never echo a key or a token
    codes = field.wire_codes  # a quotation field carries the exchange's quotation code on the wire
    table = spec.code_table(codes) if codes is not None else None
    failed = field.failed_check(value, table.values if table is not None else None)
    if failed == "codes" and table is not None:
        return f"{shown} is not a code of {table.label} ({codes})"
    if failed == "pattern":
        return f"{shown} does not match {field.pattern}"
    if failed == "max_length":
        return f"longer than {field.max_length} characters"
    return None


def _holds(condition: Condition, values: Mapping[str, Any], situation: Situation) -> bool:
    if condition.subject == "field":
        actual: Any = values.get(condition.name)
    else:
        actual = getattr(situation, condition.subject)
    return actual in condition.values


def _violation(constraint: Constraint, value: Any) -> str | None:
    if not isinstance(value, str):
        return "is missing" if value is None else f"must be a string, got {type(value).__name__}"
    if constraint.op == "equals" and value != constraint.values[0]:
        return f"{value!r} must be {constraint.values[0]!r}"
    if constraint.op == "in" and value not in constraint.values:
        return f"{value!r} must be one of {', '.join(repr(v) for v in constraint.values)}"
    if constraint.op == "pattern" and constraint.pattern is not None and re.fullmatch(constraint.pattern, value) is None:
        return f"{value!r} does not match {constraint.pattern}"
    return None


def request_problems(spec: Spec, op: Operation, values: Mapping[str, Any], situation: Situation) -> list[RequestProblem]:
    """Every way ``values`` (defaults applied) breaks the operation's fields and rules."""
    problems: list[RequestProblem] = []
    for field in op.fields:
        if field.wire not in values:
            if field.required:
                problems.append(RequestProblem(field.wire, f"is required ({field.label})"))
            continue
        message = field_problem(spec, field, values[field.wire])
        if message is not None:
            problems.append(RequestProblem(field.wire, message))
    bad_fields = {problem.field for problem in problems}
    for rule in op.rules:
        if not all(_holds(condition, values, situation) for condition in rule.when):
            continue
        for constraint in rule.then:
            if constraint.wire in bad_fields:
                continue
            message = _violation(constraint, values.get(constraint.wire))
            if message is not None:
                problems.append(RequestProblem(constraint.wire, f"{message}: {rule.text}", rule.id))
    return problems
