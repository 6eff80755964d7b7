"""Typed views of the model for the templates: every name, expression, message and docstring
ready to print, so that templates only loop and print.

Spec strings reach code only through ``literals.py`` (``repr``), never pasted as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from . import docstrings
from .literals import py
from .model import EXCHANGES_TABLE, QUOTE_TABLE, Area, CodeTable, Constraint, EnvName, HttpMethod, Operation, OperationKind, Output, RequestField, ResponseField, Rule, Spec, TokenPolicy

PACKAGE_NAME = "kis_client"
# The Python type of each response value kind, and its parser in kis_client._parsing.
KIND_TYPES = {"int": "int", "decimal": "Decimal", "date": "date", "time": "dtime", "datetime": "datetime", "code": "str", "flag": "bool", "text": "str"}
KIND_PARSERS = {"int": "p_int", "decimal": "p_decimal", "date": "p_date", "time": "p_time", "datetime": "p_datetime", "code": "p_text", "flag": "p_flag", "text": "p_text"}


# ---------------------------------------------------------------------------------------------
# Imports, sorted as isort sorts them (profile black, as-imports combined): by module, then
# constants, classes, functions, each ignoring case


@dataclass(frozen=True)
class Import:
    module: str
    names: tuple[str, ...]


def _name_order(name: str) -> tuple[int, str]:
    imported = name.split(" as ")[0]  # "NAME as ALIAS" sorts by NAME
    kind = 0 if imported.isupper() and len(imported) > 1 else 1 if imported[:1].isupper() else 2
    return kind, imported.lower()


def imports(wanted: dict[str, set[str]]) -> tuple[Import, ...]:
    return tuple(Import(module, tuple(sorted(names, key=_name_order))) for module, names in sorted(wanted.items()) if names)


class TableHomes:
    """Where each code table's enum is defined: in the package of the one area whose operations
    use it (loaded with that area), or in kis_client.enums (shared, or named by the spec's
    headers and exchanges)."""

    def __init__(self, spec: Spec) -> None:
        users: dict[str, set[str]] = {}
        for op in spec.operations:
            for field in op.fields:
                for table in {field.codes, field.wire_codes} - {None}:
                    users.setdefault(str(table), set()).add(op.area)
        shared = {EXCHANGES_TABLE, QUOTE_TABLE} | {header.codes for header in spec.headers if header.codes}
        self.area_of = {name: next(iter(areas)) for name, areas in users.items() if len(areas) == 1 and name not in shared}
        self.tables = {table.name: table for table in spec.code_tables}

    def module(self, table: str) -> str:
        area = self.area_of.get(table)
        return f"{PACKAGE_NAME}.{area}.enums" if area else f"{PACKAGE_NAME}.enums"

    def of_area(self, area: str | None) -> tuple[CodeTable, ...]:
        """The tables an area's package defines (None: those kis_client.enums defines)."""
        return tuple(table for name, table in self.tables.items() if self.area_of.get(name) == area)


class Needs:
    """The names a generated module imports, collected as its view is built."""

    def __init__(self, homes: TableHomes) -> None:
        self.homes = homes
        self.wanted: dict[str, set[str]] = {}

    def add(self, module: str, *names: str) -> None:
        self.wanted.setdefault(module, set()).update(names)

    def enum(self, table: str) -> str:
        """The class name of ``table``'s enum, imported with the Literal of its codes."""
        name = self.homes.tables[table].class_name
        self.add(self.homes.module(table), name, name + "Code")
        return name

    def imports(self) -> tuple[Import, ...]:
        return imports(self.wanted)


# ---------------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class Constant:
    name: str
    value: str  # a Python expression


@dataclass(frozen=True)
class Check:
    fails: str  # a Python expression over ``value``, true when the check fails
    message: str  # a Python expression: the problem's message


@dataclass(frozen=True)
class FieldView:
    py_name: str
    wire: str
    doc: list[str]
    checks: tuple[Check, ...]  # after the check that it is a string
    value: str  # how prepare_* fills it in


@dataclass(frozen=True)
class ConstraintView:
    wire: str
    py_name: str
    fails: str
    message: str


@dataclass(frozen=True)
class RuleView:
    id: str
    applies: str  # a Python expression: the rule's condition, on fields without problems
    constraints: tuple[ConstraintView, ...]


@dataclass(frozen=True)
class ParamView:
    name: str
    annotation: str
    optional: bool

    @property
    def signature(self) -> str:
        return f"{self.name}: {self.annotation} | None = None" if self.optional else f"{self.name}: {self.annotation}"

    @property
    def argument(self) -> str:
        return f"{self.name}={self.name}"


@dataclass(frozen=True)
class RequestView:
    class_name: str
    doc: str
    validate: str
    fields: tuple[FieldView, ...]
    rules: tuple[RuleView, ...]
    params: tuple[ParamView, ...]
    has_side: bool
    periods: tuple[str, ...]
    period_alias: str | None
    period_message: str
    market_of_request: str | None  # the market a rule's condition tests, from the request
    market_of_sent: str | None  # the market the TR_ID depends on, from the validated request
    tr_id: str  # the expression resolving the TR_ID
    refused_branch: str | None  # where some branches are real-only: the expression naming the one asked for


class Constants:
    """An operation module's constants, each named after what it holds."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, name: str, value: str) -> str:
        assert self.items.get(name, value) == value, f"two constants named {name}"
        self.items[name] = value
        return name

    def views(self) -> tuple[Constant, ...]:
        return tuple(Constant(name, value) for name, value in self.items.items())


def _codes_of(spec: Spec, field: RequestField) -> tuple[str, ...] | None:
    return spec.code_table(field.wire_codes).values if field.wire_codes is not None else None


def _annotation(field: RequestField, needs: Needs) -> str:
    """The enum or a Literal of its codes: a type checker catches a wrong code, KIS's strings still go."""
    if field.codes is None:
        return "str"
    if field.encode == "quote_code":
        # An Exchange, or a quotation code: NASD or NAS, either as the enum or its string.
        exchange, quote = needs.enum(field.codes), needs.enum(QUOTE_TABLE)
        return f"{exchange} | {quote} | {exchange}Code | {quote}Code"
    name = needs.enum(field.codes)
    return f"{name} | {name}Code"


def _field_view(spec: Spec, op: Operation, field: RequestField, consts: Constants, needs: Needs) -> FieldView:
    checks = []
    codes = _codes_of(spec, field)
    if codes is not None:
        name = consts.add(f"{field.wire.upper()}_CODES", f"frozenset({py(codes)})")
        hint = ", ".join(repr(value) for value in codes)
        checks.append(Check(f"value not in {name}", "repr(value) + " + py(f" is not a code of {field.label} ({hint})")))
    if field.pattern is not None:
        name = consts.add(f"{field.wire.upper()}_PATTERN", f"re.compile({py(field.pattern)})")
        checks.append(Check(f"{name}.fullmatch(value) is None", "repr(value) + " + py(f" does not match {field.pattern} ({field.label})")))
    if field.max_length:
        checks.append(Check(f"len(value) > {field.max_length}", py(f"is longer than {field.max_length} characters")))
    if codes is None:
        needs.add("kis_client._calls", "unencodable")
        checks.append(Check("unencodable(value)", py("holds a lone surrogate, which no request can carry")))
    return FieldView(field.py_name, field.wire, docstrings.wrap(docstrings.field_text(spec, op, field), 7), tuple(checks), _value(field, needs))


def _value(field: RequestField, needs: Needs) -> str:
    """How prepare_* fills the field in: from the caller, its default, or the client."""
    name = field.py_name
    if field.encode == "quote_code":
        needs.add("kis_client.enums", "quote_code")
        return f"quote_code({name})"
    if field.bind is not None:
        needs.add("kis_client._calls", "bound")
        return f"bound(ctx, {py(field.bind)}, {py(field.wire)}, problems)"
    needs.add("kis_client._calls", "plain")
    if field.default_by_side:
        return f'plain({name}) if {name} is not None else {py(dict(field.default_by_side))}.get(side_value, "")'
    if field.default is not None:
        return f"plain({name}) if {name} is not None else {py(field.default)}"
    return f"plain({name})"


def _rule_view(op: Operation, rule: Rule, consts: Constants) -> RuleView:
    tests = [f"{py(wire)} not in bad" for wire in dict.fromkeys([c.name for c in rule.when if c.subject == "field"] + [c.wire for c in rule.then])]
    for cond in rule.when:
        subject = f"request.{op.field(cond.name).py_name}" if cond.subject == "field" else cond.subject
        tests.append(f"{subject} in {_set_literal(cond.values)}")
    return RuleView(rule.id, " and ".join(tests), tuple(_constraint_view(op, rule, constraint, consts) for constraint in rule.then))


def _constraint_view(op: Operation, rule: Rule, constraint: Constraint, consts: Constants) -> ConstraintView:
    py_name = op.field(constraint.wire).py_name
    value = f"request.{py_name}"
    if constraint.op == "equals":
        fails = f"{value} != {py(constraint.values[0])}"
        message = f"must be {constraint.values[0]!r}"
    elif constraint.op == "in":
        fails = f"{value} not in {_set_literal(constraint.values)}"
        message = f"must be one of {', '.join(repr(v) for v in constraint.values)}"
    else:
        assert constraint.pattern is not None
        name = consts.add(f"RULE_{rule.id.upper()}_PATTERN", f"re.compile({py(constraint.pattern)})")
        fails = f"{name}.fullmatch({value}) is None"
        message = f"must match {constraint.pattern}"
    return ConstraintView(constraint.wire, py_name, fails, f"repr({value}) + " + py(f" {message} ({rule.id}: {rule.text})"))


def _set_literal(values: Iterable[str]) -> str:
    """A set display in the spec's order (black keeps it; ``in`` makes it a constant frozenset)."""
    return "{" + ", ".join(py(value) for value in dict.fromkeys(values)) + "}"


def _params(op: Operation, needs: Needs, period_alias: str | None) -> tuple[ParamView, ...]:
    params = []
    if op.has_side:
        needs.add("kis_client.enums", "Side", "SideCode")
        params.append(ParamView("side", "Side | SideCode", False))
    if period_alias is not None:
        params.append(ParamView("period", period_alias, False))
    fields = op.parameters
    params += [ParamView(field.py_name, _annotation(field, needs), False) for field in fields if not field.has_default]
    params += [ParamView(field.py_name, _annotation(field, needs), True) for field in fields if field.has_default]
    return tuple(params)


def _request_view(spec: Spec, op: Operation, consts: Constants, needs: Needs) -> RequestView:
    fields = tuple(_field_view(spec, op, field, consts, needs) for field in op.fields)
    rules = tuple(_rule_view(op, rule, consts) for rule in op.rules)
    tr = op.tr
    periods = tr.periods if tr is not None and op.has_period else ()
    period_alias = op.class_prefix + "Period" if periods else None
    market_field = op.field(tr.market_field).py_name if tr is not None and tr.market_field is not None else None
    needs_market = any(cond.subject == "market" for rule in op.rules for cond in rule.when)
    if needs_market or market_field is not None:
        needs.add("kis_client.enums", "EXCHANGE_MARKET")
    if rules:
        needs.add("kis_client._calls", "NO_PROBLEMS")
    if op.has_side:
        needs.add("kis_client._calls", "side_of")
    if periods:
        needs.add("kis_client._calls", "plain")
    refused_branch = None
    if tr is not None:
        needs.add("kis_client.tr_ids", "TR_IDS")
        key = (py(op.qualname), "ctx.env", "market" if market_field else "None", "side_value" if op.has_side else "None", "period_value" if periods else "None")
        tr_id = f"TR_IDS[({', '.join(key)})]"
        if tr.real_only:
            # A mock account has no TR_ID for these branches: refused, naming the branch.
            tr_id = f"TR_IDS.get(({', '.join(key)}))"
            values = {"market": "market", "side": "side_value", "period": "period_value"}
            refused_branch = "f" + py(", ".join(f"{dim} {{{values[dim]}}}" for dim in tr.dims))
    else:
        tr_id = "None"
    return RequestView(
        class_name=op.class_prefix + "Request",
        doc=f"{op.summary} ({op.method} {op.path})",
        validate=f"validate_{op.function_suffix}",
        fields=fields,
        rules=rules,
        params=_params(op, needs, period_alias),
        has_side=op.has_side,
        periods=periods,
        period_alias=period_alias,
        period_message=f" is not one of {', '.join(periods)}",
        market_of_request=f"EXCHANGE_MARKET.get(request.{market_field}) if type(request.{market_field}) is str else None" if needs_market and market_field else None,
        market_of_sent=f"EXCHANGE_MARKET[request.{market_field}]" if market_field else None,
        tr_id=tr_id,
        refused_branch=refused_branch,
    )


# ---------------------------------------------------------------------------------------------
# Responses


@dataclass(frozen=True)
class ResponseFieldView:
    py_name: str
    wire: str
    label: str
    declaration: str
    doc: list[str]
    keys: tuple[str, ...]  # the wire name and its aliases
    careful_parser: str  # the careful path's parser
    read: str  # the straight-line read from a JSON-decoded ``row``


@dataclass(frozen=True)
class OutputView:
    class_name: str
    doc: str
    fields: tuple[ResponseFieldView, ...]
    fields_const: str
    keys_const: str
    draft: str
    parser: str
    extra: str  # the expression for the row's extra fields


@dataclass(frozen=True)
class AttributeView:
    """One attribute of a response: an envelope field or an output."""

    name: str
    wire: str
    label: str
    annotation: str
    doc: list[str]
    read: str  # the expression reading it from ``body``


@dataclass(frozen=True)
class ResponseView:
    class_name: str
    doc: str
    parser: str
    attributes: tuple[AttributeView, ...]
    paged: bool
    top_keys: tuple[str, ...]


def _read(field: ResponseField) -> str:
    """The straight-line read of ``field`` from a JSON-decoded row: a missing key raises, and so
    does a value that is not the plain string KIS sends (the row then goes to parse_carefully).
    A field KIS always sends must also not be blank."""
    parser = KIND_PARSERS[field.kind]
    value = f"row[{py(field.wire)}]"
    if field.aliases:
        read = f"{parser}(first_of(row, {py((field.wire,) + field.aliases)}))"
    elif field.json != "string":  # a JSON number: the careful parser is already the plain read
        read = f"{parser}({value})"
    elif field.kind == "int":  # most fields: int() without a Python call in between
        read = f"int(v, 10) if (v := {value}) else p_int(v)"
    elif parser == "p_text":
        read = f'"" + {value} or None'
    else:
        read = f"{parser}({value})"
    return f"present({read})" if field.always_sent else read


def _response_field_view(field: ResponseField, needs: Needs) -> ResponseFieldView:
    parser = KIND_PARSERS[field.kind]
    needs.add("kis_client._parsing", parser)
    if field.aliases:
        needs.add("kis_client._parsing", "first_of")
    if field.always_sent:
        needs.add("kis_client._parsing", "present", "required")
    annotation = KIND_TYPES[field.kind] + ("" if field.always_sent else " | None")
    declaration = f"{field.py_name}: {annotation}" + (" = field(repr=False)" if field.secret else "")
    return ResponseFieldView(
        py_name=field.py_name,
        wire=field.wire,
        label=field.label,
        declaration=declaration,
        doc=docstrings.wrap(docstrings.response_field_text(field), 7),
        keys=(field.wire,) + field.aliases,
        careful_parser=_careful_parser(field, needs),
        read=_read(field),
    )


def _careful_parser(field: ResponseField, needs: Needs) -> str:
    """parse_carefully's parser of ``field``: a value that does not fit a kind the spec inferred
    is kept in extra, not an error (the straight-line read sends such a row there)."""
    parser = KIND_PARSERS[field.kind]
    if field.always_sent:
        return f"required({parser})"
    if field.kind_inferred and parser != "p_text":
        needs.add("kis_client._parsing", "lenient")
        return f"lenient({parser})"
    return parser


def _output_view(op: Operation, output: Output, needs: Needs) -> OutputView:
    fields = tuple(_response_field_view(field, needs) for field in output.fields)
    fields_const = f"{output.name.upper()}_FIELDS"
    keys_const = f"{output.name.upper()}_KEYS"
    extra = f"extra_of(row, {keys_const})"
    if not any(field.aliases for field in output.fields):
        # Every field has one wire key: len(row) tells whether there are extras.
        needs.add("kis_client._parsing", "NO_EXTRA")
        extra = f"NO_EXTRA if len(row) == {len(output.fields)} else {extra}"
    return OutputView(
        class_name=output.class_name,
        doc=f"{op.summary}: {output.key or 'body'}" + (f" ({output.note})" if output.note else ""),
        fields=fields,
        fields_const=fields_const,
        keys_const=keys_const,
        draft=f"_{output.class_name}Draft",
        parser=f"_parse_{output.name}",
        extra=extra,
    )


def _output_attribute(op: Operation, output: Output, view: OutputView, needs: Needs) -> AttributeView:
    key = output.key or "(body)"
    if output.key is None:
        value = "body"
    elif output.aliases:
        needs.add("kis_client._parsing", "first_of")
        value = f"first_of(body, {py((output.key,) + output.aliases)})"
    else:
        value = f"body.get({py(output.key)})"
    if output.is_list:
        needs.add("kis_client._models", "Rows")
        needs.add("kis_client._parsing", "parse_rows")
        annotation = f"Rows[{output.class_name}]"
        read = f"parse_rows({py(op.qualname)}, {py(key)}, {value}, {view.parser}, {view.fields_const}, {py(output.row_key)}, body)"
    else:
        reader = "parse_present_object" if output.always_sent else "parse_object"
        needs.add("kis_client._parsing", reader)
        annotation = output.class_name if output.always_sent else f"{output.class_name} | None"
        read = f"{reader}({py(op.qualname)}, {py(key)}, {value}, {view.parser}, {view.fields_const}, body)"
    doc = docstrings.wrap(f"{key}: {_output_doc(output)}", 7)
    return AttributeView(output.name, key, output.name, annotation, doc, read)


def _output_doc(output: Output) -> str:
    if output.is_list:
        return f"the rows ({output.class_name})" + (f"; {output.note}" if output.note else "") + "."
    sent = "always sent" if output.always_sent else "None when KIS leaves it out"
    return f"{output.class_name}, {sent}" + (f"; {output.note}" if output.note else "") + "."


def _top_keys(spec: Spec, op: Operation) -> tuple[str, ...]:
    keys = [field.wire for field in spec.envelope] if op.response.envelope else []
    for output in op.response.outputs:
        keys.extend(field.wire for field in output.fields) if output.key is None else keys.append(output.key)
        keys.extend(output.aliases)
    if op.pagination is not None:
        keys += op.pagination.top_level_keys
    return tuple(keys)


def _response_view(spec: Spec, op: Operation, outputs: tuple[OutputView, ...], needs: Needs) -> ResponseView:
    attributes = []
    if op.response.envelope:
        needs.add("kis_client._parsing", "text_of")
        for field in spec.envelope:
            doc = docstrings.wrap(docstrings.response_field_text(field), 7)
            attributes.append(AttributeView(field.py_name, field.wire, field.label, "str", doc, f"text_of(body.get({py(field.wire)}))"))
    attributes += [_output_attribute(op, output, view, needs) for output, view in zip(op.response.outputs, outputs)]
    if op.pagination is not None:
        needs.add("kis_client._calls", "Continuation", "continuation_of")
        needs.add("kis_client.enums", "PAGE_MORE_CODES")
    return ResponseView(
        class_name=op.response.class_name,
        doc=f"{op.summary} ({op.qualname})",
        parser=f"parse_{op.function_suffix}",
        attributes=tuple(attributes),
        paged=op.pagination is not None,
        top_keys=_top_keys(spec, op),
    )


# ---------------------------------------------------------------------------------------------
# One operation's module


@dataclass(frozen=True)
class OperationView:
    op: Operation
    module: str  # kis_client.area.name
    file: str  # area/name.py
    module_doc: list[str]
    stdlib_imports: tuple[str, ...]
    imports: tuple[Import, ...]
    qualname: str
    method: HttpMethod
    path: str
    kind: OperationKind
    headers: tuple[str, ...]
    envs: tuple[EnvName, ...]
    envelope: bool
    paging: tuple[tuple[str, str, str | None], ...] | None  # per key sent back: request field, response key, object output holding it
    constants: tuple[Constant, ...]
    prepare: str
    prepare_doc: str
    request: RequestView | None  # None: the body is passed as it is (request_body: any)
    outputs: tuple[OutputView, ...]
    response: ResponseView


def _stdlib_imports(op: Operation, constants: tuple[Constant, ...], period: bool) -> tuple[str, ...]:
    kinds = {field.kind for output in op.response.outputs for field in output.fields}
    lines = []
    if any(constant.value.startswith("re.compile(") for constant in constants):
        lines.append("import re")
    lines.append("from collections.abc import Mapping")
    lines.append("from dataclasses import dataclass, field")
    dates = sorted({"date", "datetime"} & kinds) + (["time as dtime"] if "time" in kinds else [])
    if dates:
        lines.append(f"from datetime import {', '.join(dates)}")
    if "decimal" in kinds:
        lines.append("from decimal import Decimal")
    lines.append("from typing import " + ", ".join(["Any", "ClassVar"] + (["Literal"] if period else [])))
    return tuple(lines)


def operation_view(spec: Spec, op: Operation, homes: TableHomes) -> OperationView:
    area_class = next(area.class_name for area in spec.areas if area.name == op.area) + "Api"
    consts = Constants()
    needs = Needs(homes)
    needs.add("kis_client._calls", "CallContext", "OperationInfo", "PreparedCall", "Reply")
    needs.add("kis_client._models", "Model", "frozen")
    needs.add("kis_client._parsing", "NOT_PLAIN", "Field", "field_keys", "new_draft", "parse_carefully", "extra_of")
    needs.add("kis_client.errors", "FieldProblem", "ResponseParseError", "ValidationError")
    request = None if op.request_any else _request_view(spec, op, consts, needs)
    if request is not None:
        needs.add("kis_client.errors", "UnsupportedEnvironmentError")
    outputs = tuple(_output_view(op, output, needs) for output in op.response.outputs)
    response = _response_view(spec, op, outputs, needs)
    constants = consts.views()
    pagination = op.pagination
    return OperationView(
        op=op,
        module=f"{PACKAGE_NAME}.{op.area}.{op.name}",
        file=f"{op.area}/{op.name}.py",
        module_doc=[
            f"{op.summary} — {op.method} {op.path} ({op.qualname}).",
            "",
            *docstrings.wrap(f"The request model, validator and prepare_*, and the response models and parse_* of one operation; {area_class}.{op.name} sends it.", 4),
        ],
        stdlib_imports=_stdlib_imports(op, constants, request is not None and request.period_alias is not None),
        imports=needs.imports(),
        qualname=op.qualname,
        method=op.method,
        path=op.path,
        kind=op.kind,
        headers=op.headers,
        envs=op.envs,
        envelope=op.response.envelope,
        paging=tuple((key.request, key.response, key.output) for key in pagination.keys) if pagination is not None else None,
        constants=constants,
        prepare=f"prepare_{op.function_suffix}",
        prepare_doc=f"The validated call of {op.summary}, its TR_ID resolved; ValidationError lists every problem.",
        request=request,
        outputs=outputs,
        response=response,
    )



# ---------------------------------------------------------------------------------------------
# An area's client classes


MethodShape = Literal["call", "pages", "rows", "walk"]


@dataclass(frozen=True)
class MethodView:
    name: str
    shape: MethodShape
    params: tuple[ParamView, ...]
    keyword_only: bool  # the parameters are named (all but a raw ``body``)
    returns: str  # the response class (or what an iterator yields)
    doc: list[str]
    module: str  # the operation's module, imported on first use
    prepare: str
    parse: str
    arguments: str  # prepare_*'s arguments after ctx
    forgets_token: bool  # the call revokes the token it sends
    needs_token: bool  # the call sends the token in its body: an async client gets it first
    rows_of: str | None  # rows: the output whose rows it yields
    walk: WalkView | None


@dataclass(frozen=True)
class WalkView:
    """What a _walk method passes walk_back: literals of the request field it moves, its kind and
    floor, and the rows it reads the oldest value from."""

    field: str
    kind: str
    floor: str
    output: str
    row_field: str
    qualname: str


@dataclass(frozen=True)
class AreaView:
    area: Area
    package: str  # kis_client.area
    class_name: str
    async_class_name: str
    doc: str
    package_doc: list[str]
    methods: tuple[MethodView, ...]
    runtime_imports: tuple[Import, ...]
    type_imports: tuple[Import, ...]  # under TYPE_CHECKING: annotations only
    stdlib_imports: tuple[str, ...]
    code_tables: tuple[CodeTable, ...]  # those only this area uses: its own enums module


def _methods(spec: Spec, op: Operation, runtime: Needs, types: Needs) -> list[MethodView]:
    module = f"{PACKAGE_NAME}.{op.area}.{op.name}"
    prepare, parse = f"prepare_{op.function_suffix}", f"parse_{op.function_suffix}"
    if op.request_any:
        params: tuple[ParamView, ...] = (ParamView("body", "Mapping[str, Any]", False),)
        arguments = "body=body"
    else:
        period_alias = op.class_prefix + "Period" if op.has_period else None
        if period_alias is not None:
            types.add(module, period_alias)
        params = _params(op, types, period_alias)
        arguments = ", ".join(param.argument for param in params)
    types.add(module, op.response.class_name)
    forgets = any(field.bind == "token" for field in op.fields)
    call = MethodView(op.name, "call", params, not op.request_any, op.response.class_name, docstrings.method_doc(spec, op), module, prepare, parse, arguments, forgets, forgets, None, None)
    methods = [call]
    if op.pagination is not None:
        methods.append(replace(call, name=op.name + "_pages", shape="pages", doc=docstrings.pages_doc(spec, op)))
        for output in op.row_outputs:
            types.add(module, output.class_name)
            methods.append(replace(call, name=f"{op.name}_{output.name}", shape="rows", returns=output.class_name, doc=docstrings.rows_doc(spec, op, output), rows_of=output.name))
    if op.walk is not None:
        runtime.add("kis_client._calls", "walk_back")
        runtime.add("kis_client.errors", "FieldProblem", "ValidationError")
        types.add("kis_client._calls", "PreparedCall")
        walk = op.walk
        walking = WalkView(py(walk.field), py(walk.kind), py(walk.floor), walk.output, walk.row_field, py(op.qualname))
        methods.append(replace(call, name=op.name + "_walk", shape="walk", doc=docstrings.walk_doc(spec, op), walk=walking))
    return methods


def area_view(spec: Spec, area: Area, homes: TableHomes) -> AreaView:
    runtime, types = Needs(homes), Needs(homes)
    types.add("kis_client._calls", "CallContext")
    types.add("kis_client._transport", "AsyncCore", "SyncCore")
    operations = [op for op in area.operations if op.qualname != spec.token.qualname]  # the client runs that one itself
    methods = tuple(method for op in operations for method in _methods(spec, op, runtime, types))
    return AreaView(
        area=area,
        package=f"{PACKAGE_NAME}.{area.name}",
        class_name=area.class_name + "Api",
        async_class_name="Async" + area.class_name + "Api",
        doc=f"{area.source.document} ({area.name})",
        package_doc=[
            *docstrings.wrap(f"{area.source.document} ({area.name}): the client's {area.class_name}Api and Async{area.class_name}Api ({PACKAGE_NAME}.{area.name}.api), and one module per operation:", 4),
            "",
            *[f"    {op.name}: {op.summary}" for op in area.operations],
        ],
        methods=methods,
        runtime_imports=runtime.imports(),
        type_imports=types.imports(),
        stdlib_imports=_area_stdlib_imports(methods),
        code_tables=homes.of_area(area.name),
    )


def _area_stdlib_imports(methods: tuple[MethodView, ...]) -> tuple[str, ...]:
    iterators = ["AsyncIterator", "Iterator"] if any(method.shape != "call" for method in methods) else []
    body = any(param.name == "body" for method in methods for param in method.params)
    abc = iterators + (["Mapping"] if body else [])
    lines = [f"from collections.abc import {', '.join(abc)}"] if abc else []
    return tuple(lines + ["from typing import TYPE_CHECKING" + (", Any" if body else "")])


# ---------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True)
class ClientAreaView:
    name: str
    module: str
    class_name: str
    async_class_name: str
    doc: str


@dataclass(frozen=True)
class HashkeyView:
    module: str
    prepare: str
    reply_field: str
    header: str


@dataclass(frozen=True)
class ClientView:
    areas: tuple[ClientAreaView, ...]
    imports: tuple[Import, ...]
    type_imports: tuple[Import, ...]
    envs: tuple[str, ...]
    token: TokenPolicy
    token_prepare: str
    token_renew_codes: tuple[str, ...]  # codes that call the token dead: expired, or unknown to KIS
    hashkey: HashkeyView | None
    custtype_codes: tuple[str, ...]
    custtype_message: str
    custtype_annotation: str
    custtype_default: str


def client_view(spec: Spec, homes: TableHomes) -> ClientView:
    custtype = next(header for header in spec.headers if header.name == "custtype")
    table = spec.code_table(custtype.codes or "")  # the model requires its codes
    default = next(code for code in table.codes if code.value == custtype.value)
    token_op = spec.operation(spec.token.qualname)
    needs = Needs(homes)
    needs.add("kis_client._calls", "CallContext", "Paging", "plain")
    needs.add("kis_client._rate_limit", "RateLimiter")
    needs.add("kis_client._retry", "RetryPolicy")
    needs.add("kis_client._secrets", "Credentials", "check_credential")
    needs.add("kis_client._settings", "Hashkey", "Settings", "check_base_url", "check_count", "check_env", "check_seconds", "parse_account")
    needs.add("kis_client._token_cache", "TokenCache", "TokenSlot")
    needs.add("kis_client._tokens", "TokenSpec")
    needs.add("kis_client._transport", "AsyncCore", "SyncCore")
    needs.add("kis_client.enums", "BASE_URLS", "NEXT_PAGE_TR_CONT", "PAGE_LAST_CODES", "PAGE_MORE_CODES", "RATE_LIMITS", "Env")
    needs.enum(table.name)
    token_module = f"{PACKAGE_NAME}.{token_op.area}.{token_op.name}"
    needs.add(token_module, "OPERATION as TOKEN_OPERATION", f"prepare_{token_op.function_suffix}")
    types = Needs(homes)
    areas = []
    for area in spec.areas:
        module = f"{PACKAGE_NAME}.{area.name}.api"
        names = (area.class_name + "Api", "Async" + area.class_name + "Api")
        types.add(module, *names)
        areas.append(ClientAreaView(area.name, module, *names, f"{area.source.document} ({area.name})"))
    hashkey = None
    if spec.hashkey is not None:
        hashkey_op = spec.operation(spec.hashkey.qualname)
        hashkey = HashkeyView(f"{PACKAGE_NAME}.{hashkey_op.area}.{hashkey_op.name}", f"prepare_{hashkey_op.function_suffix}", spec.hashkey.reply_field, spec.hashkey.header)
    token = spec.token
    return ClientView(
        areas=tuple(areas),
        imports=needs.imports(),
        type_imports=types.imports(),
        envs=tuple(env.name for env in spec.environments),
        token=token,
        token_prepare=f"prepare_{token_op.function_suffix}",
        token_renew_codes=(token.expired_code,) + ((token.invalid_code,) if token.invalid_code is not None else ()),
        hashkey=hashkey,
        custtype_codes=table.values,
        custtype_message=f"custtype must be one of {', '.join(table.values)} ({table.class_name})",
        custtype_annotation=f"{table.class_name} | {table.class_name}Code",
        custtype_default=f"{table.class_name}.{default.name}",
    )


# ---------------------------------------------------------------------------------------------
# TR_IDs


@dataclass(frozen=True)
class TrRowView:
    operation: str
    env: EnvName
    market: str | None
    side: str | None
    period: str | None
    tr_id: str


@dataclass(frozen=True)
class TrIdsView:
    rows: tuple[TrRowView, ...]
    dimensions: tuple[tuple[str, tuple[str, ...]], ...]  # each operation with a TR_ID, its dimensions
    environments: tuple[tuple[str, tuple[str, ...]], ...]  # each operation, the environments it has


def tr_ids_view(spec: Spec) -> TrIdsView:
    rows = tuple(TrRowView(op.qualname, cell.env, cell.market, cell.side, cell.period, cell.tr_id) for op in spec.operations for cell in (op.tr.cells if op.tr else ()))
    return TrIdsView(
        rows=rows,
        dimensions=tuple((op.qualname, tuple(op.tr.dims)) for op in spec.operations if op.tr is not None),
        environments=tuple((op.qualname, tuple(op.envs)) for op in spec.operations),
    )


# ---------------------------------------------------------------------------------------------
# The package's top-level names


@dataclass(frozen=True)
class Export:
    name: str
    module: str


@dataclass(frozen=True)
class PackageView:
    spec_files: list[str]
    exports: tuple[Export, ...]
    type_imports: tuple[Import, ...]  # "X as X" under TYPE_CHECKING: the exports, for type checkers


def package_view(spec: Spec, exception_names: Iterable[str]) -> PackageView:
    """What ``from kis_client import X`` offers: the clients, every exception of
    ``kis_client.errors``, the options a client takes, and the common enums and clocks."""
    exports = [Export("KisClient", "kis_client.client"), Export("AsyncKisClient", "kis_client.client"), Export("TokenCache", "kis_client._token_cache")]
    exports += [Export("RetryPolicy", "kis_client._retry"), Export("RateLimiter", "kis_client._rate_limit")]
    exports += [Export(name, "kis_client.errors") for name in exception_names]
    exports.append(Export("resolve_tr_id", "kis_client.tr_ids"))
    exports += [Export(name, "kis_client.enums") for name in ("Env", "Side", "Market", "Exchange", "QuoteExchange")]
    exports += [Export(name, "kis_client.clock") for name in ("kis_now", "kis_today", "exchange_now", "exchange_today")]
    wanted: dict[str, set[str]] = {}
    for export in exports:
        wanted.setdefault(export.module, set()).add(f"{export.name} as {export.name}")
    return PackageView([source.file for source in spec.sources], tuple(exports), imports(wanted))


# ---------------------------------------------------------------------------------------------
# kis_client.enums


@dataclass(frozen=True)
class EnumsView:
    shared: tuple[CodeTable, ...]  # defined in kis_client.enums itself
    area_imports: tuple[Import, ...]  # the areas' own tables, which it loads on first use


def enums_view(homes: TableHomes) -> EnumsView:
    needs = Needs(homes)
    for name in homes.area_of:
        needs.enum(name)
    return EnumsView(homes.of_area(None), needs.imports())
