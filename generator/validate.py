"""Check spec files against the JSON Schema of the spec language."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .cache import cache_dir
from .load import SpecFile, format_path

if TYPE_CHECKING:  # jsonschema is imported when a file needs validating, not on every run
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError


PACKAGE = __name__.rpartition(".")[0]  # this package's import name, whatever it is installed as


@cache
def spec_schema() -> dict[str, Any]:
    text = resources.files(PACKAGE).joinpath("spec.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(spec_schema())  # the schema itself is checked by the tests


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


# What each pattern of spec.schema.json asks for, in words.
PATTERN_MEANINGS = {
    "^[a-z][a-z0-9_]*$": "must be lower_snake_case: a-z, 0-9 and _, starting with a letter",
    "^[A-Z][A-Z0-9_]*$": "must be UPPER_SNAKE_CASE: A-Z, 0-9 and _, starting with a letter",
    "^[A-Za-z][A-Za-z0-9_]*$": "must be letters, digits and _, starting with a letter",
    "^[A-Z][A-Z0-9]{8}([A-Z0-9]{4})?$": "is not a REST TR_ID: 9 or 13 capital letters or digits, the first a letter (KIS API portal 2026-05-29)",
    "^/[A-Za-z0-9/_-]+$": "must be an absolute URL path of letters, digits, /, _ and -",
    "^https://[a-z0-9.-]+(:[0-9]+)?$": "must be https://host or https://host:port",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "must be a date, YYYY-MM-DD",
    "^[A-Z]$": "must be one capital letter",
    "^[0-9]{3}$": "must be three digits",
    "^[A-Z]{3}$": "must be three capital letters",
    "^[A-Z0-9]{3,12}$": "must be 3 to 12 capital letters or digits",
    "^[a-z][a-z0-9_-]*$": "must be lowercase letters, digits, _ and -, starting with a letter",
    "^(output[0-9]?|\\(body\\))$": "must be output, output0 to output9, or (body)",
    "^output[0-9]?$": "must be output or output0 to output9",
    "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)+$": "must be an IANA time zone name, like Asia/Seoul",
    "^(?!\\s)(?![\\s\\S]*\\s$)": "must not start or end with whitespace",
    "^[A-Za-z0-9_()]+(\\.[A-Za-z0-9_()%-]+)*$": "must be a dotted path inside the operation, like response.outputs.output.fields.stck_prpr.kind",
    "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$": "must name an operation as area.name, like domestic_stock.volume_rank",
    "^(output[0-9]?\\.)?[A-Za-z][A-Za-z0-9_]*$": "must be a response key (ctx_area_nk100), or one inside an object output (output1.index_key)",
    "^(method|path|tr_id\\.(real|mock)|request\\.[A-Za-z][A-Za-z0-9_]*)$": "must be method, path, tr_id.real, tr_id.mock or request.FIELD",
    "^[0-9a-f]{40}$": "must be a full git commit id (40 hex digits)",
    "^sha256:[0-9a-f]{64}$": "must be sha256: and 64 hex digits",
    "^[A-Z][A-Z0-9]{7}$": "is not a real-time TR_ID: 8 capital letters or digits, the first a letter (KIS API portal 2026-05-29)",
    "^wss?://[a-z0-9.-]+(:[0-9]+)?$": "must be ws://host:port or wss://host:port",
    "^[A-Z]{4}[0-9]{4}$": "must be a control code: 4 capital letters and 4 digits, like OPSP0000",
    "^[0-9]$": "must be one digit",
    "^[A-Z]+$": "must be capital letters",
}
JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a mapping", type(None): "empty (null)"}
SCHEMA_TYPES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false", "object": "a mapping", "array": "a list"}


def _type_message(instance: Any, expected: list[str]) -> str:
    wanted = " or ".join(dict.fromkeys(SCHEMA_TYPES.get(name, name) for name in expected))
    message = f"{instance!r} is {JSON_TYPES.get(type(instance), type(instance).__name__)}; it must be {wanted}"
    if isinstance(instance, bool) and "string" in expected:
        message += " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)"
    elif isinstance(instance, (int, float)) and "string" in expected:
        message += " (quote it)"
    return message


def _message(error: SchemaError) -> str:
    if error.validator == "type":
        value = error.validator_value
        expected = [str(name) for name in value] if isinstance(value, list) else [str(value)]
        return _type_message(error.instance, expected)
    if error.validator == "additionalProperties":
        allowed = sorted(_schema_properties(error))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        names = ", ".join(repr(name) for name in extra)
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {names}{hint}"
    if error.validator in ("minProperties", "minItems") and error.validator_value == 1:
        return "must not be empty"
    if error.validator == "required":
        return str(error.message).replace(" is a required property", " is required")
    if error.validator == "pattern":
        meaning = PATTERN_MEANINGS.get(str(error.validator_value), f"does not match {error.validator_value!r}")
        return f"{error.instance!r} {meaning}"
    if error.validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)  # type: ignore[union-attr]
        return f"{error.instance!r} is not one of {choices}"
    if error.validator == "anyOf" and error.context and all(sub.validator == "required" for sub in error.context):
        return "needs one of " + ", ".join(repr(name) for sub in error.context for name in sub.validator_value)  # type: ignore[union-attr]
    if error.validator == "oneOf" and error.context:
        # A wrong type says little when another alternative had the right type: show that one.
        specific = [sub for sub in error.context if sub.validator != "type"]
        if specific:
            return "; or ".join(sorted({_message(sub) for sub in specific}))
        expected = [str(sub.validator_value) for sub in error.context]
        return _type_message(error.instance, expected)
    return str(error.message)


@cache
def _verdict_salt() -> str:
    from importlib.metadata import version

    schema = resources.files(PACKAGE).joinpath("spec.schema.json").read_bytes()
    return f"jsonschema {version('jsonschema')} {hashlib.sha256(schema).hexdigest()} "


def _passed_marker(spec_file: SpecFile) -> Path:
    """Where a file's pass is remembered: by its bytes, the schema's and jsonschema's version."""
    key = hashlib.sha256((_verdict_salt() + spec_file.digest).encode()).hexdigest()
    return cache_dir() / "passed" / key


def schema_problems(spec_file: SpecFile) -> list[Problem]:
    """Every schema violation in one file, each with its line and JSON path.

    Validation is most of a warm `kisgen generate`; a file whose exact bytes passed this exact
    schema before is not validated again (any edit changes its digest).
    """
    marker = _passed_marker(spec_file) if spec_file.digest else None
    if marker is not None and marker.exists():
        return []
    problems = _schema_problems(spec_file)
    if not problems and marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # an unwritable cache only costs time
    return problems


def _schema_problems(spec_file: SpecFile) -> list[Problem]:
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
        if "propertyNames" in error.schema_path:
            # jsonschema reports a bad key at its mapping; the key's own line says more.
            child = path + (str(error.instance),)
            problems.append(Problem(spec_file.name, spec_file.line_of(child), format_path(child), f"key {_message(error)}"))
            continue
        problems.append(Problem(spec_file.name, spec_file.line_of(path), format_path(path), _message(error)))
    return problems
