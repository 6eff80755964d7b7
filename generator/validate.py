"""Check spec files against the JSON Schema of the spec language."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from generator.errors import Problem
from generator.load import SpecFile, format_path


@cache
def spec_schema() -> dict[str, Any]:
    text = resources.files("generator").joinpath("spec.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = spec_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _deepest(error: SchemaError) -> SchemaError:
    """For oneOf/anyOf failures, the alternative that got furthest says most."""
    if not error.context:
        return error
    best = max(error.context, key=lambda sub: (len(sub.absolute_path), -len(sub.context or [])))
    if len(best.absolute_path) > len(error.absolute_path):
        return _deepest(best)
    return error


def _schema_properties(error: SchemaError) -> set[str]:
    schema = error.schema
    return set(schema.get("properties", {})) if isinstance(schema, dict) else set()


def _message(error: SchemaError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(_schema_properties(error))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        names = ", ".join(repr(name) for name in extra)
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {names}{hint}"
    if error.validator == "required":
        return str(error.message).replace(" is a required property", " is required")
    if error.validator == "pattern":
        return f"{error.instance!r} does not match {error.validator_value!r}"
    if error.validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)  # type: ignore[union-attr]
        return f"{error.instance!r} is not one of {choices}"
    if error.validator == "oneOf" and error.context:
        return f"{error.instance!r} is not valid here: " + "; or ".join(sorted({_message(sub) for sub in error.context}))
    return str(error.message)


def schema_problems(spec_file: SpecFile) -> list[Problem]:
    """Every schema violation in one file, each with its line and JSON path."""
    problems: list[Problem] = []
    for error in _validator().iter_errors(spec_file.data):
        error = _deepest(error)
        path: tuple[str | int, ...] = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = _schema_properties(error)
            hint = f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""
            for key in sorted(set(error.instance) - allowed):
                problems.append(Problem(spec_file.name, spec_file.line_of(path + (key,)), format_path(path + (key,)), f"unknown key {key!r}{hint}"))
            continue
        if error.validator == "propertyNames":
            key = str(error.instance)
            child = path + (key,)
            problems.append(Problem(spec_file.name, spec_file.line_of(child), format_path(child), f"name {key!r} is not allowed: {error.message}"))
            continue
        problems.append(Problem(spec_file.name, spec_file.line_of(path), format_path(path), _message(error)))
    return problems
