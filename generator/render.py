"""Render the model into source text: one jinja2 template per emitted file, then black.

The view built here turns the model into ready-to-print pieces (constant names, Python
types); templates only loop over them. Spec strings reach code only through ``|py``
(``repr``), never pasted as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from .errors import one_line
from .export import api_doc
from .format import cache_dir, format_modules
from .model import ENVS, QUOTE_TABLE, SIDES, Operation, Output, RequestField, ResponseField, Rule, Spec
from .schemas import request_schemas, response_schema

PACKAGE = "generated/kis_client"
CLIENT_PROJECT = "generated/pyproject.toml"  # the client's own, so it installs alone
VERBATIM = ("_runtime.py", "_token_cache.py")

KIND_TYPES = {
    "int": "int",
    "decimal": "Decimal",
    "date": "date",
    "time": "dtime",
    "datetime": "datetime",
    "code": "str",
    "flag": "bool",
    "text": "str",
}
KIND_PARSERS = {
    "int": "p_int",
    "decimal": "p_decimal",
    "date": "p_date",
    "time": "p_time",
    "datetime": "p_datetime",
    "code": "p_text",
    "flag": "p_flag",
    "text": "p_text",
}


def py(value: Any) -> str:
    """Any spec value as a Python literal, spelled as black would (so black has less to redo)."""
    if isinstance(value, str):
        text = repr(value)
        return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in value else text
    if isinstance(value, tuple):
        return "(" + ", ".join(map(py, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(map(py, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(key)}: {py(item)}" for key, item in value.items()) + "}"
    return repr(value)


def doc(value: str) -> str:
    """A docstring literal black keeps as it is: black strips a docstring, pads one that starts
    or ends with its quote or ends in a backslash, and prefers the quote needing fewer escapes."""
    if not value:
        return '""""""'  # what black writes for an empty docstring
    quote = "'" if '"' in value and "'" not in value else '"'
    last = len(value) - 1
    out = []
    for index, char in enumerate(value):
        if char == "\\":
            out.append("\\\\")
        elif char == quote or (char == " " and index in (0, last)):
            out.append(f"\\x{ord(char):02x}")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])  # \n, \t, \x00, \u2028: no whitespace left raw
    return quote + "".join(out) + quote


@cache
def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["py"] = py
    env.filters["doc"] = doc
    env.filters["field_parser"] = field_parser
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (jinja2 checks each against its source)."""
    directory = cache_dir() / "templates"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


# ---------------------------------------------------------------------------------------------
# The view


class Constants:
    """Module-level constants (compiled patterns, frozen code sets), named once each."""

    def __init__(self) -> None:
        self.patterns: dict[str, str] = {}
        self.sets: dict[tuple[str, ...], str] = {}

    def pattern(self, pattern: str) -> str:
        if pattern not in self.patterns:
            self.patterns[pattern] = f"_RE{len(self.patterns)}"
        return self.patterns[pattern]

    def values(self, values: tuple[str, ...]) -> str:
        key = tuple(sorted(values))
        if key not in self.sets:
            self.sets[key] = f"_SET{len(self.sets)}"
        return self.sets[key]


@dataclass(frozen=True)
class FieldView:
    field: RequestField
    annotation: str
    codes_const: str | None
    codes_hint: str
    pattern_const: str | None


@dataclass(frozen=True)
class CondView:
    subject: str  # a Python expression
    values_const: str
    shown: str


@dataclass(frozen=True)
class ConsView:
    wire: str
    py_name: str
    op: str
    const: str  # a set or pattern constant, or the literal for equals
    message: str


@dataclass(frozen=True)
class RuleView:
    rule: Rule
    conds: tuple[CondView, ...]
    cons: tuple[ConsView, ...]
    wires: tuple[str, ...]


@dataclass(frozen=True)
class OpView:
    op: Operation
    const: str
    fields: tuple[FieldView, ...]
    params: tuple[FieldView, ...]
    rules: tuple[RuleView, ...]
    needs_market: bool
    tr_rows: tuple[tuple[Any, ...], ...]
    outputs: tuple[OutputView, ...]
    envs_const: str
    top_keys: tuple[str, ...]
    binds_token: bool
    encode_doc: str = ""

    @property
    def has_params(self) -> bool:
        return bool(self.params) or self.op.has_side or self.op.has_period


@dataclass(frozen=True)
class OutputView:
    output: Output
    reads: tuple[tuple[str, str], ...]  # python name, the expression that parses it from ``row``
    fn: str
    counts_extra: bool  # every field has one wire key, so len(row) tells whether there are extras


def _field_view(spec: Spec, field: RequestField, consts: Constants) -> FieldView:
    annotation = "str"
    codes_const = None
    hint = ""
    # The enum or a Literal of its codes: a type checker catches a wrong code, KIS's strings still go.
    if field.encode == "quote_code":
        table = spec.code_table(QUOTE_TABLE)
        annotation = "Exchange | QuoteExchange | ExchangeCode | QuoteExchangeCode"
        codes_const = consts.values(table.values)
        hint = ", ".join(repr(value) for value in table.values)
    elif field.codes is not None:
        table = spec.code_table(field.codes)
        annotation = f"{table.class_name} | {table.class_name}Code"
        codes_const = consts.values(table.values)
        hint = ", ".join(repr(value) for value in table.values)
    pattern_const = consts.pattern(field.pattern) if field.pattern is not None else None
    return FieldView(field, annotation, codes_const, hint, pattern_const)


def _rule_view(op: Operation, rule: Rule, consts: Constants) -> RuleView:
    conds = []
    for cond in rule.when:
        if cond.subject == "field":
            subject = f"request.{op.field(cond.name).py_name}"
        elif cond.subject == "market":
            subject = "market"
        else:
            subject = cond.subject
        shown = f"{cond.name} is {' or '.join(cond.values)}"
        conds.append(CondView(subject, consts.values(cond.values), shown))
    cons = []
    for constraint in rule.then:
        field = op.field(constraint.wire)
        if constraint.op == "equals":
            const = py(constraint.values[0])
            message = f"must be {constraint.values[0]!r}"
        elif constraint.op == "in":
            const = consts.values(constraint.values)
            message = f"must be one of {', '.join(repr(v) for v in constraint.values)}"
        else:
            assert constraint.pattern is not None
            const = consts.pattern(constraint.pattern)
            message = f"must match {constraint.pattern}"
        cons.append(ConsView(constraint.wire, field.py_name, constraint.op, const, f"{message} ({rule.id}: {rule.text})"))
    wires = tuple(dict.fromkeys([c.name for c in rule.when if c.subject == "field"] + [c.wire for c in rule.then]))
    return RuleView(rule, tuple(conds), tuple(cons), wires)


def _tr_rows(op: Operation) -> tuple[tuple[Any, ...], ...]:
    if op.tr is None:
        return ()
    return tuple((op.qualname, cell.env, cell.market, cell.side, cell.period, cell.tr_id) for cell in op.tr.cells)


def _read(field: ResponseField) -> str:
    """The straight-line read of ``field`` from a JSON-decoded row: a missing key raises, and so
    does a value that is not the plain string KIS sends (the row then goes to parse_carefully).
    A field KIS always sends must also not be blank."""
    read = _plain_read(field)
    return f"present({read})" if field.always_sent else read


def field_parser(field: ResponseField) -> str:
    """The careful path's parser of ``field``: a value that does not fit an inferred kind is
    kept, not an error (the straight-line read sends such a row here)."""
    parser = KIND_PARSERS[field.kind]
    if field.always_sent:
        return f"required({parser})"
    return f"lenient({parser})" if field.kind_inferred and parser != "p_text" else parser


def _plain_read(field: ResponseField) -> str:
    parser = KIND_PARSERS[field.kind]
    if field.aliases:
        return f"{parser}(first_of(row, {py((field.wire,) + field.aliases)}))"
    value = f"row[{py(field.wire)}]"
    if field.json != "string":  # a JSON number: the careful parser is already the plain read
        return f"{parser}({value})"
    if field.kind == "int":  # most fields: int() without a Python call in between
        return f"int(v, 10) if (v := {value}) else p_int(v)"
    if parser == "p_text":
        return f'"" + {value} or None'
    return f"{parser}({value})"


def _output_view(op: Operation, output: Output) -> OutputView:
    reads = tuple((field.py_name, _read(field)) for field in output.fields)
    counts_extra = not any(field.aliases for field in output.fields)
    return OutputView(output, reads, f"_parse_{op.function_suffix}_{output.name}", counts_extra)


def _top_keys(spec: Spec, op: Operation) -> tuple[str, ...]:
    keys = [field.wire for field in spec.envelope] if op.response.envelope else []
    for output in op.response.outputs:
        keys.extend(field.wire for field in output.fields) if output.key is None else keys.append(output.key)
        keys.extend(output.aliases)
    if op.pagination is not None:
        keys += op.pagination.top_level_keys
    return tuple(keys)


def build_view(spec: Spec) -> tuple[list[OpView], Constants]:
    consts = Constants()
    views = []
    for op in spec.operations:
        fields = tuple(_field_view(spec, field, consts) for field in op.fields)
        rules = tuple(_rule_view(op, rule, consts) for rule in op.rules)
        needs_market = any(cond.subject == "market" for rule in op.rules for cond in rule.when)
        views.append(
            OpView(
                op=op,
                const=f"OP_{op.function_suffix.upper()}",
                fields=fields,
                params=tuple(view for view in fields if view.field.is_parameter),
                rules=rules,
                needs_market=needs_market,
                tr_rows=_tr_rows(op),
                outputs=tuple(_output_view(op, output) for output in op.response.outputs),
                envs_const=py(op.envs),
                top_keys=_top_keys(spec, op),
                binds_token=any(field.bind == "token" for field in op.fields),
                encode_doc="".join(
                    f"\n\n``{field.py_name}``: an Exchange, sent as its quotation code (NASD → NAS), or a quotation code (QuoteExchange or its string)."
                    for field in op.parameters
                    if field.encode == "quote_code"
                ),
            )
        )
    return views, consts


# ---------------------------------------------------------------------------------------------
# Rendering


def header(spec: Spec, comment: str = "#") -> str:
    # The names come from the file system; escaped, a newline in one cannot end the comment.
    files = one_line(", ".join(source.file for source in spec.sources))
    return (
        f"{comment} Generated by kisgen from {files}. Do not edit: change the spec and run `kisgen generate`.\n"
    )


def render(spec: Spec, templates: Path) -> dict[str, bytes]:
    """Every emitted file, by project-relative path, from the templates in ``templates``. Pure:
    writes nothing."""
    views, consts = build_view(spec)
    env = environment(templates.resolve())
    custtype = next(header for header in spec.headers if header.name == "custtype")
    custtype_table = spec.code_table(custtype.codes or "")  # the model requires its codes
    context = {
        "spec": spec,
        "views": views,
        "consts": consts,
        "header": header(spec),
        "ENVS": ENVS,
        "SIDES": SIDES,
        "paged_views": [view for view in views if view.op.pagination is not None],
        "KIND_TYPE": KIND_TYPES,
        "KIND_PARSER": KIND_PARSERS,
        "token_view": next(view for view in views if view.op.qualname == f"auth.{spec.token.operation}"),
        "has_hashkey": any(view.op.qualname == "auth.hashkey" for view in views),
        "api": api_doc(spec, (templates / "_runtime.py").read_text(encoding="utf-8")),
        "area_views": [(area, [view for view in views if view.op.area == area.name]) for area in spec.areas],
        "client_version": client_version(spec),
        "custtype_table": custtype_table,
        "custtype_default": next(code for code in custtype_table.codes if code.value == custtype.value),
    }
    sources: dict[str, str] = {}
    for template_name in sorted(path.name for path in templates.glob("*.py.j2")):
        sources[template_name.removesuffix(".j2")] = env.get_template(template_name).render(context)
    for name in VERBATIM:
        # Copied, but formatted like every other emitted module (the templates may be hand-wrapped).
        sources[name] = header(spec) + (templates / name).read_text(encoding="utf-8")
    files: dict[str, bytes] = {}
    for name, text in sorted(format_modules(sources).items()):
        files[f"{PACKAGE}/{name}"] = text.encode("utf-8")
    files[f"{PACKAGE}/py.typed"] = b""
    comment = header(spec).lstrip("# ").strip()
    for name, schema in sorted(request_schemas(spec, comment).items()):
        files[f"{PACKAGE}/schemas/{name}"] = _json(schema)
    for op in spec.operations:
        files[f"{PACKAGE}/schemas/{op.qualname}.response.json"] = _json(response_schema(spec, op, comment))
    files[CLIENT_PROJECT] = env.get_template("pyproject.toml.j2").render(context).encode("utf-8")
    for extra in sorted(templates.glob("*.md.j2")):
        files[f"docs/{extra.name.removesuffix('.j2')}"] = env.get_template(extra.name).render(context).encode("utf-8")
    return files


def client_version(spec: Spec) -> str:
    """The client's version: the date of the spec's newest source, as 2026.9.11."""
    year, month, day = max(source.date for source in spec.sources).split("-")
    return f"{int(year)}.{int(month)}.{int(day)}"


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")
