"""Request fields: names, code tables, patterns, defaults and examples, each checked against the
field's own declaration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import EXCHANGES_TABLE, SIDES, CodeTable, RequestField
from .common import Context
from .names import python_name_clash
from .patterns import check_pattern
from .problems import At


def request_field(ctx: Context, at: At, raw: dict[str, Any]) -> RequestField:
    """The field declared at ``at`` (its last key is the wire name)."""
    problems = ctx.problems
    wire = str(at.path[-1])
    py_name = raw.get("py_name", wire.lower())
    clash = python_name_clash(py_name)
    if clash is not None and "py_name" in raw:
        problems.add(at / "py_name", f"{py_name!r} is not a usable Python name, {clash}")
    elif clash is not None:
        problems.add(at, f"field {wire!r} gives the Python name {py_name!r}, {clash}; name it with `py_name:`")
    codes = raw.get("codes")
    if codes is not None and codes not in ctx.tables:
        problems.add(at / "codes", f"code table {codes!r} is not declared")
        codes = None
    pattern = raw.get("pattern")
    if pattern is not None and not check_pattern(problems, at / "pattern", pattern):
        pattern = None
    default = raw.get("default")
    by_side: tuple[tuple[str, str], ...] = ()
    if isinstance(default, dict):
        by_side = tuple((side, default[side]) for side in SIDES)
        default = None
    field = RequestField(
        wire=wire,
        py_name=py_name,
        label=raw["label"],
        required=raw.get("required", False),
        codes=codes,
        pattern=pattern,
        max_length=raw.get("max_length"),
        default=default,
        default_by_side=by_side,
        bind=raw.get("bind"),
        secret=raw.get("secret", False),
        example=raw.get("example"),
        description=raw.get("description"),
        encode=raw.get("encode"),
    )
    if field.encode == "quote_code" and codes != EXCHANGES_TABLE:
        problems.add(at / "encode", "`encode: quote_code` needs `codes: exchanges`")
    declared_values = [(("default",), field.default)] + [(("default", side), value) for side, value in by_side] + [(("example",), field.example)]
    for keys, value in declared_values:
        if value is not None:
            message = value_problem(ctx, field, value)
            if message:
                problems.add(at.down(*keys), f"{value!r}: {message}")
    return field


def value_problem(ctx: Context, field: RequestField, value: str) -> str | None:
    """Why ``value`` is not acceptable for ``field`` by its own declaration, or None (always None
    when the field's code table is declared twice: which one is meant is unknown)."""
    if field.codes in ctx.unchecked_tables:
        return None
    return refusal(field, value, ctx.tables)


def refusal(field: RequestField, value: str, tables: Mapping[str, CodeTable]) -> str | None:
    """Why ``field`` refuses ``value`` by its own declaration (``tables``: by name), or None."""
    table = tables.get(field.wire_codes) if field.wire_codes is not None else None
    failed = field.failed_check(value, table.values if table is not None else None)
    if failed == "codes":
        return f"not a code of table {field.wire_codes!r}"
    if failed == "pattern":
        return f"does not match {field.pattern!r}"
    if failed == "max_length":
        return f"longer than {field.max_length} characters"
    return None
