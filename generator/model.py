"""The intermediate representation: plain frozen dataclasses built from validated spec files.

Every rule is resolved here (each TR_ID for each environment, side, market and period; each
default; each code table) so that templates, the sandbox, diffs and exports only read.
"""

from __future__ import annotations

import importlib
import keyword
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from .corrections import apply_corrections, area_name
from .examples import KisExample, build_example
from .branches import RealOnlyBranch, real_only_branches
from .paging import PageKey, Pagination, build_pagination
from .errors import Problem, SpecError
from .load import JsonPath, SpecFile, format_path
from .validate import schema_problems

ENVS = ("real", "mock")
SIDES = ("buy", "sell")
DIMENSIONS = ("market", "side", "period")
RESERVED_PARAMS = frozenset({"self", "side", "period", "env", "tr_cont", "extra", "max_calls"})
# Names the generated request functions and client methods (the _pages, row and _walk helpers
# too) use next to the fields: a field named so would shadow them. tests/test_model.py reads the
# generated code to keep this complete.
GENERATED_LOCALS = frozenset(
    {"ctx", "problems", "request", "value", "bad", "market", "tr_id", "side_value", "period_value", "to_wire", "call", "response", "body"}
    | {"bound", "plain", "side_of", "unencodable", "re", "str", "type", "repr", "len", "dict", "frozenset", "list", "int"}
    | {"calls", "page_call", "reply", "row", "walk_back"}
)
# Attributes of every response model, and the types its annotations name.
RESERVED_RESPONSE_NAMES = frozenset({"extra", "raw", "to_dict", "field", "date", "datetime", "dtime", "int", "bool", "str"})
# Classes the generated modules import or define besides the spec's own.
RESERVED_CLASSES = frozenset(
    {"Env", "Side", "SideCode", "Market", "StrEnum", "CodeEnum", "Literal", "Any", "Mapping", "Callable", "ClassVar", "Decimal", "Iterator", "AsyncIterator", "TracebackType"}
    | {"CallContext", "FieldProblem", "OperationInfo", "PreparedCall", "UnsupportedEnvironmentError", "ValidationError", "AsyncCore", "SyncCore"}
    | {"Credentials", "RateLimiter", "RetryPolicy", "Settings", "TokenSpec", "TokenCache", "KisClient", "AsyncKisClient", "Continuation"}
    | {"Model", "Paging", "Reply", "ResponseParseError", "Rows", "TrIdNotFoundError"}
)
EXCHANGES_TABLE = "exchanges"
PERIOD_NAME = re.compile(r"[A-Za-z0-9_]{1,32}")  # a name (within_3_months) or KIS's code ("0")
QUOTE_TABLE = "quote_exchanges"  # built from the exchanges' quote codes; what quotation APIs send


# ---------------------------------------------------------------------------------------------
# The IR


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    document: str
    date: str
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    label: str
    base_url: str
    rate_limit_per_second: float
    source: str


@dataclass(frozen=True, slots=True)
class MockRule:
    first_letters: tuple[str, ...]
    replacement: str
    description: str
    source: str

    def derive(self, real_tr_id: str) -> str | None:
        if real_tr_id[:1] in self.first_letters:
            return self.replacement + real_tr_id[1:]
        return None


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    value: str
    label: str
    note: str | None
    codes: str | None = None  # the code table of the values it may take


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    label: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Market:
    code: str
    label: str
    country: str
    natn_cd: str
    currency: str
    exchanges: tuple[str, ...]
    timezone: str | None  # IANA zone of the exchange's city (None only in an older spec read for a diff)


@dataclass(frozen=True, slots=True)
class Exchange:
    code: str
    label: str
    market: str
    note: str | None
    quote_code: str | None
    day_quote_code: str | None  # US day-session (주간) quotation code
    index_quote_code: str | None = None  # the market index on quotation APIs (상해지수 SHI)


@dataclass(frozen=True, slots=True)
class Code:
    value: str
    name: str
    label: str


@dataclass(frozen=True, slots=True)
class CodeTable:
    name: str
    class_name: str
    label: str
    codes: tuple[Code, ...]
    file: str

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(code.value for code in self.codes)


@dataclass(frozen=True, slots=True)
class RequestField:
    wire: str
    py_name: str
    label: str
    required: bool
    codes: str | None
    pattern: str | None
    max_length: int | None
    default: str | None
    default_by_side: tuple[tuple[str, str], ...]
    bind: str | None
    secret: bool
    example: str | None
    description: str | None
    encode: str | None = None  # "quote_code": the user's Exchange goes on the wire as its quotation code

    @property
    def wire_codes(self) -> str | None:
        """The code table the value on the wire belongs to."""
        return QUOTE_TABLE if self.encode == "quote_code" else self.codes

    @property
    def is_parameter(self) -> bool:
        """Whether the caller passes it (bound fields come from the client)."""
        return self.bind is None

    @property
    def has_default(self) -> bool:
        return self.default is not None or bool(self.default_by_side)


@dataclass(frozen=True, slots=True)
class Condition:
    subject: str  # "field", "side", "env" or "market"
    name: str  # the wire name for a field, else the subject
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Constraint:
    wire: str
    op: str  # "equals", "in" or "pattern"
    values: tuple[str, ...]
    pattern: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    text: str
    when: tuple[Condition, ...]
    then: tuple[Constraint, ...]
    source: str | None = None


@dataclass(frozen=True, slots=True)
class TrCell:
    env: str
    market: str | None
    side: str | None
    period: str | None
    tr_id: str
    how: str  # "spec", "rule", "same" or "override"
    source: str | None


@dataclass(frozen=True, slots=True)
class TrTable:
    dims: tuple[str, ...]
    market_field: str | None
    mock: str  # "derive", "same" or "unsupported"
    periods: tuple[str, ...]
    cells: tuple[TrCell, ...]
    retired: tuple[tuple[str, str], ...]
    real_only: tuple[RealOnlyBranch, ...] = ()  # on a mock account these branches are refused

    def lookup(self, env: str, market: str | None = None, side: str | None = None, period: str | None = None) -> str | None:
        for cell in self.cells:
            if (cell.env, cell.market, cell.side, cell.period) == (env, market, side, period):
                return cell.tr_id
        return None


@dataclass(frozen=True, slots=True)
class ResponseField:
    wire: str
    py_name: str
    label: str
    kind: str
    json: str
    signed: bool
    secret: bool
    example: str | None
    note: str | None
    aliases: tuple[str, ...] = ()  # other spellings KIS uses for the same field
    always_sent: bool = False  # in every successful reply, never blank: typed without None
    kind_inferred: bool = False  # not read in KIS's documents: a value that does not fit is kept in extra


@dataclass(frozen=True, slots=True)
class Output:
    key: str | None  # None: the fields are the top level of the body
    name: str
    class_name: str
    shape: str  # "object", "list" or "list_of_one"
    row_key: str | None
    fields: tuple[ResponseField, ...]
    note: str | None
    aliases: tuple[str, ...] = ()  # other keys KIS sends this output under
    always_sent_source: str | None = None  # where the spec learnt which fields KIS always sends

    @property
    def is_list(self) -> bool:
        return self.shape == "list"

    @property
    def always_sent(self) -> bool:
        """An output with a field KIS always sends is always there itself."""
        return any(field.always_sent for field in self.fields)


@dataclass(frozen=True, slots=True)
class Walk:
    """How a chart operation that cannot page is walked back: move ``field`` before the oldest row."""

    field: str
    output: str  # the output's Python name
    row_field: str  # the row's Python attribute
    kind: str  # "date" or "time"
    floor: str | None  # a request field the walk never goes below
    note: str | None


@dataclass(frozen=True, slots=True)
class MockInstead:
    """What a mock account uses instead of a real-only operation."""

    operation: str  # area.name
    how: str


@dataclass(frozen=True, slots=True)
class Response:
    class_name: str
    envelope: bool
    outputs: tuple[Output, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    area: str
    name: str
    class_prefix: str
    summary: str
    api_id: str | None
    method: str
    path: str
    kind: str  # "order", "read" or "auth"
    headers: tuple[str, ...]
    envs: tuple[str, ...]
    tr: TrTable | None
    fields: tuple[RequestField, ...]
    request_any: bool
    rules: tuple[Rule, ...]
    pagination: Pagination | None
    response: Response
    note: str | None
    source: str | None
    file: str
    walk: Walk | None = None
    mock_instead: MockInstead | None = None
    kis_example: KisExample | None = None  # KIS's example call and what its sample sends for it

    @property
    def qualname(self) -> str:
        return f"{self.area}.{self.name}"

    @property
    def function_suffix(self) -> str:
        return f"{self.area}_{self.name}"

    @property
    def parameters(self) -> tuple[RequestField, ...]:
        return tuple(field for field in self.fields if field.is_parameter)

    @property
    def has_side(self) -> bool:
        return self.tr is not None and "side" in self.tr.dims

    @property
    def has_period(self) -> bool:
        return self.tr is not None and "period" in self.tr.dims

    @property
    def row_outputs(self) -> tuple[Output, ...]:
        """A paged operation's list outputs: each gets a method yielding its rows across pages."""
        if self.pagination is None:
            return ()
        return tuple(output for output in self.response.outputs if output.is_list)

    @property
    def method_names(self) -> tuple[str, ...]:
        """The client methods this operation gets."""
        names = [self.name]
        if self.pagination is not None:
            names.append(self.name + "_pages")
        if self.walk is not None:
            names.append(self.name + "_walk")
        return tuple(names) + tuple(f"{self.name}_{output.name}" for output in self.row_outputs)

    def field(self, wire: str) -> RequestField:
        for candidate in self.fields:
            if candidate.wire == wire:
                return candidate
        raise KeyError(wire)


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    class_name: str
    source: Source
    operations: tuple[Operation, ...]


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    operation: str
    lifetime_seconds: int
    min_issue_interval_seconds: int
    too_soon_code: str
    expired_code: str
    invalid_code: str | None  # a token the server does not know: replaced like an expired one


@dataclass(frozen=True, slots=True)
class Spec:
    sources: tuple[Source, ...]
    environments: tuple[Environment, ...]
    mock_rule: MockRule
    headers: tuple[Header, ...]
    envelope: tuple[ResponseField, ...]
    errors: tuple[ErrorCode, ...]
    more_codes: tuple[str, ...]
    last_codes: tuple[str, ...]
    next_tr_cont: str
    markets: tuple[Market, ...]
    exchanges: tuple[Exchange, ...]
    code_tables: tuple[CodeTable, ...]
    areas: tuple[Area, ...]
    token: TokenPolicy
    timezone: str | None  # the IANA zone KIS dates orders, fills and quotes in

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(op for area in self.areas for op in area.operations)

    def operation(self, qualname: str) -> Operation:
        for op in self.operations:
            if op.qualname == qualname:
                return op
        raise KeyError(qualname)

    def code_table(self, name: str) -> CodeTable:
        for table in self.code_tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)

    def exchange_market(self, code: str) -> str | None:
        for exchange in self.exchanges:
            if exchange.code == code:
                return exchange.market
        return None


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def is_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)


def python_name_clash(py_name: str) -> str | None:
    """Why a request field may not have this Python name, or None when it may."""
    if not is_identifier(py_name) or py_name in RESERVED_PARAMS:
        return "which is reserved or not an identifier"
    if py_name in GENERATED_LOCALS or py_name.startswith(("prepare_", "validate_", "parse_")):
        return "which the generated code uses itself"
    return None


# ---------------------------------------------------------------------------------------------
# Building


class _Builder:
    def __init__(self, files: list[SpecFile], older_language: bool = False) -> None:
        self.files = files
        self.older_language = older_language
        self.problems: list[Problem] = []
        self.sections: dict[str, tuple[SpecFile, Any]] = {}
        self.ambiguous_tables: set[str] = set()  # declared twice: values are not checked against either

    def problem(self, spec_file: SpecFile, path: JsonPath, message: str) -> None:
        self.problems.append(Problem(spec_file.name, spec_file.line_of(path), format_path(path), message))

    # -- common sections, each declared once across all files --------------------------------
    def collect_sections(self) -> None:
        for spec_file in self.files:
            for key in ("environments", "mock_tr_id_rule", "headers", "envelope", "errors", "pagination", "markets", "exchanges", "token", "timezone"):
                if key in spec_file.data:
                    if key in self.sections:
                        first = self.sections[key][0]
                        self.problem(spec_file, (key,), f"`{key}` is already declared in {first.name}")
                    else:
                        self.sections[key] = (spec_file, spec_file.data[key])
        for key in ("environments", "mock_tr_id_rule", "headers", "envelope", "pagination", "markets", "exchanges", "token") + self.newer(("timezone",)):
            if key not in self.sections:
                self.problems.append(Problem(self.files[0].name, 1, key, f"no spec file declares `{key}`"))

    def section(self, key: str) -> tuple[SpecFile, Any]:
        return self.sections[key]

    def newer(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        """Keys the spec language has come to require; an older spec read for a diff may lack them."""
        return () if self.older_language else keys

    def require(self, spec_file: SpecFile, path: JsonPath, raw: dict[str, Any], key: str) -> Any:
        """``raw[key]``, which the language has come to require (None in an older spec)."""
        if key not in raw and not self.older_language:
            self.problem(spec_file, path, f"{key!r} is required")
        return raw.get(key)

    def build(self) -> Spec:
        for spec_file in self.files:
            self.problems.extend(schema_problems(spec_file))
        if self.problems:
            raise SpecError(self.problems)
        self.collect_sections()
        if self.problems:
            raise SpecError(self.problems)

        sources = tuple(self.source(spec_file) for spec_file in self.files)
        environments = tuple(
            Environment(name, raw["label"], raw["base_url"], float(raw["rate_limit_per_second"]), raw["source"])
            for name, raw in self.section("environments")[1].items()
        )
        rule_raw = self.section("mock_tr_id_rule")[1]
        mock_rule = MockRule(tuple(rule_raw["first_letters"]), rule_raw["replacement"], rule_raw.get("description", ""), rule_raw["source"])
        headers = tuple(Header(name, raw["value"], raw["label"], raw.get("note"), raw.get("codes")) for name, raw in self.section("headers")[1].items())
        envelope_file, envelope_raw = self.section("envelope")
        envelope = tuple(self.response_field(name, raw) for name, raw in envelope_raw.items())
        envelope_labels: dict[str, str] = {}
        for field in envelope:
            if field.label in envelope_labels:
                # Every response's to_dict("ko") keys the envelope by label: one would be lost.
                self.problem(envelope_file, ("envelope", field.wire, "label"), f"label {field.label!r} is also the label of {envelope_labels[field.label]!r}")
            envelope_labels.setdefault(field.label, field.wire)
        errors = tuple(ErrorCode(code, raw["label"], raw["meaning"]) for code, raw in self.sections.get("errors", (None, {}))[1].items())
        paging = self.section("pagination")[1]
        markets, exchanges = self.markets()
        tables = self.code_tables(exchanges)
        token = self.token()
        self.check_headers(headers, tables)
        timezone: str | None = None
        if "timezone" in self.sections:
            timezone_file, timezone = self.section("timezone")
            self.check_timezone(timezone_file, ("timezone",), timezone)
        areas = self.areas(sources, mock_rule, markets, tables)
        spec = Spec(
            sources=sources,
            environments=environments,
            mock_rule=mock_rule,
            headers=headers,
            envelope=envelope,
            errors=errors,
            more_codes=tuple(paging["more"]),
            last_codes=tuple(paging["last"]),
            next_tr_cont=paging["next_request_tr_cont"],
            markets=markets,
            exchanges=exchanges,
            code_tables=tuple(tables.values()),
            areas=areas,
            token=token,
            timezone=timezone,
        )
        self.check_tr_ids(spec)
        self.check_names(spec)
        self.check_mock_instead(spec)
        if token.operation not in {op.qualname for op in spec.operations} and "auth." + token.operation not in {op.qualname for op in spec.operations}:
            spec_file, _ = self.section("token")
            self.problem(spec_file, ("token", "operation"), f"operation {token.operation!r} is not declared")
        if self.problems:
            raise SpecError(self.problems)
        return spec

    def source(self, spec_file: SpecFile) -> Source:
        raw = spec_file.data["source"]
        return Source(spec_file.name, raw["document"], raw["date"], raw.get("updated_by"))

    def token(self) -> TokenPolicy:
        spec_file, raw = self.section("token")
        errors = raw["errors"]
        invalid = self.require(spec_file, ("token", "errors"), errors, "invalid")
        return TokenPolicy(raw["operation"], raw["lifetime_seconds"], raw["min_issue_interval_seconds"], errors["too_soon"], errors["expired"], invalid)

    def check_headers(self, headers: tuple[Header, ...], tables: dict[str, CodeTable]) -> None:
        spec_file = self.section("headers")[0]
        if not any(header.name == "custtype" for header in headers):
            self.problem(spec_file, ("headers",), "`custtype` is not declared: every call with a TR_ID sends it")
        for header in headers:
            if header.name == "custtype" and header.codes is None and not self.older_language:
                self.problem(spec_file, ("headers", header.name), "`custtype` needs `codes`: the client checks the customer type it is given against them")
            if header.codes is None:
                continue
            table = tables.get(header.codes)
            if table is None:
                self.problem(spec_file, ("headers", header.name, "codes"), f"code table {header.codes!r} is not declared")
            elif header.value not in table.values:
                self.problem(spec_file, ("headers", header.name, "value"), f"{header.value!r} is not a code of table {header.codes!r}")

    def check_timezone(self, spec_file: SpecFile, path: JsonPath, name: str) -> None:
        """The generated client reads the zone with zoneinfo: it must exist."""
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.problem(spec_file, path, f"{name!r} is not a time zone of the IANA database")

    def markets(self) -> tuple[tuple[Market, ...], tuple[Exchange, ...]]:
        market_file, market_raw = self.section("markets")
        exchange_file, exchange_raw = self.section("exchanges")
        exchanges: list[Exchange] = []
        for code, raw in exchange_raw.items():
            if raw["market"] not in market_raw:
                self.problem(exchange_file, ("exchanges", code, "market"), f"market {raw['market']!r} is not declared under `markets` ({market_file.name})")
            exchanges.append(Exchange(code, raw["label"], raw["market"], raw.get("note"), raw.get("quote_code"), raw.get("day_quote_code"), raw.get("index_quote_code")))
            for key in ("day_quote_code", "index_quote_code"):
                if raw.get(key) is not None and raw.get("quote_code") is None:
                    self.problem(exchange_file, ("exchanges", code, key), f"`{key}` needs `quote_code` too")
        markets = []
        for code, raw in market_raw.items():
            members = tuple(exchange.code for exchange in exchanges if exchange.market == code)
            if not members:
                self.problem(market_file, ("markets", code), f"market {code!r} has no exchange under `exchanges`")
            timezone = self.require(market_file, ("markets", code), raw, "timezone")
            if timezone is not None:
                self.check_timezone(market_file, ("markets", code, "timezone"), timezone)
            markets.append(Market(code, raw["label"], raw["country"], raw["natn_cd"], raw["currency"], members, timezone))
        return tuple(markets), tuple(exchanges)

    def code_tables(self, exchanges: tuple[Exchange, ...]) -> dict[str, CodeTable]:
        exchanges_file = self.section("exchanges")[0].name
        quote_codes = [Code(e.quote_code, e.quote_code, e.label) for e in exchanges if e.quote_code is not None]
        quote_codes += [Code(e.day_quote_code, e.day_quote_code, e.label + " (주간)") for e in exchanges if e.day_quote_code is not None]
        quote_codes += [Code(e.index_quote_code, e.index_quote_code, e.label + " 지수") for e in exchanges if e.index_quote_code is not None]
        tables: dict[str, CodeTable] = {
            EXCHANGES_TABLE: CodeTable(EXCHANGES_TABLE, "Exchange", "해외거래소코드", tuple(Code(e.code, e.code, e.label) for e in exchanges), exchanges_file),
            QUOTE_TABLE: CodeTable(QUOTE_TABLE, "QuoteExchange", "시세 거래소코드 (EXCD)", tuple(quote_codes), exchanges_file),
        }
        seen_quotes: dict[str, str] = {}
        for exchange in exchanges:
            for quote in (exchange.quote_code, exchange.day_quote_code, exchange.index_quote_code):
                if quote is None:
                    continue
                if quote in seen_quotes:
                    spec_file = self.section("exchanges")[0]
                    self.problem(spec_file, ("exchanges", exchange.code), f"quotation code {quote!r} is already used by {seen_quotes[quote]}")
                seen_quotes[quote] = exchange.code
        for spec_file in self.files:
            for name, raw in spec_file.data.get("codes", {}).items():
                path: JsonPath = ("codes", name)
                if name in tables:
                    self.problem(spec_file, path, f"code table {name!r} is already declared in {tables[name].file}")
                    self.ambiguous_tables.add(name)
                    continue
                codes = []
                names: dict[str, str] = {}
                for value, entry in raw["values"].items():
                    if entry["name"] in names:
                        self.problem(spec_file, path + ("values", value, "name"), f"name {entry['name']!r} is already used by code {names[entry['name']]!r}")
                    elif not is_identifier(entry["name"]):
                        self.problem(spec_file, path + ("values", value, "name"), f"{entry['name']!r} is not a Python identifier")
                    names[entry["name"]] = value
                    codes.append(Code(value, entry["name"], entry["label"]))
                tables[name] = CodeTable(name, camel(name), raw["label"], tuple(codes), spec_file.name)
        return tables

    def response_field(self, wire: str, raw: dict[str, Any], always_sent: bool = False) -> ResponseField:
        example = raw.get("example")
        return ResponseField(
            always_sent=always_sent,
            aliases=tuple(raw.get("aliases", ())),
            wire=wire,
            py_name=raw.get("py_name", wire.lower()),
            label=raw["label"],
            kind=raw["kind"],
            json=raw.get("json", "string"),
            signed=raw.get("signed", False),
            secret=raw.get("secret", False),
            example=None if example is None else str(example),
            note=raw.get("note"),
            kind_inferred=raw.get("kind_inferred", False),
        )

    # -- areas and operations -----------------------------------------------------------------
    def areas(self, sources: tuple[Source, ...], mock_rule: MockRule, markets: tuple[Market, ...], tables: dict[str, CodeTable]) -> tuple[Area, ...]:
        """One area per name: a file's `area:` (default: its stem); several files may feed one."""
        operations: dict[str, list[Operation]] = {}
        first_source: dict[str, Source] = {}
        declared: dict[tuple[str, str], SpecFile] = {}
        for spec_file, source in zip(self.files, sources):
            if "operations" not in spec_file.data:
                continue
            name = area_name(spec_file)
            if not is_identifier(name):
                self.problem(spec_file, ("area",) if "area" in spec_file.data else (), f"area {name!r} must be a Python identifier: it names the client area (a file's stem, unless it says `area:`)")
            first_source.setdefault(name, source)
            for op_name, raw in spec_file.data["operations"].items():
                first = declared.setdefault((name, op_name), spec_file)
                if first is not spec_file:
                    self.problem(spec_file, ("operations", op_name), f"operation {name}.{op_name} is already declared in {first.name}:{first.line_of(('operations', op_name))}")
                    continue
                operations.setdefault(name, []).append(self.operation(spec_file, name, op_name, raw, mock_rule, markets, tables))
        return tuple(Area(name, camel(name), first_source[name], tuple(ops)) for name, ops in operations.items())

    def operation(self, spec_file: SpecFile, area: str, name: str, raw: dict[str, Any], mock_rule: MockRule, markets: tuple[Market, ...], tables: dict[str, CodeTable]) -> Operation:
        path: JsonPath = ("operations", name)
        if not is_identifier(name):
            self.problem(spec_file, path, f"operation name {name!r} is not a Python identifier")
        fields = tuple(self.request_field(spec_file, path + ("request", wire), wire, field_raw, tables) for wire, field_raw in raw.get("request", {}).items())
        python_names: dict[str, str] = {}
        for field in fields:
            if field.py_name in python_names:
                self.problem(spec_file, path + ("request", field.wire), f"{field.wire!r} and {python_names[field.py_name]!r} give the same Python name {field.py_name!r}")
            python_names.setdefault(field.py_name, field.wire)
        if "request" in raw and "request_body" in raw:
            self.problem(spec_file, path + ("request_body",), "`request_body: any` and `request` exclude each other")
        tr = self.tr_table(spec_file, path + ("tr_id",), raw["tr_id"], mock_rule, markets, fields) if "tr_id" in raw else None
        if tr is None and raw["kind"] != "auth":
            self.problem(spec_file, path, "an order or read operation needs `tr_id`")
        envs = ("real",) if tr is not None and tr.mock == "unsupported" else ENVS
        dims = tr.dims if tr is not None else ()
        for field in fields:
            if field.default_by_side and "side" not in dims:
                self.problem(spec_file, path + ("request", field.wire, "default"), "a default by side needs `side` in tr_id.by")
        rules = tuple(self.rule(spec_file, path + ("rules", index), rule_raw, fields, dims, markets, tables) for index, rule_raw in enumerate(raw.get("rules", [])))
        market_field = tr.market_field if tr is not None else None
        market_of = {code: market.code for market in markets for code in market.exchanges}
        self.check_rules(spec_file, path + ("rules",), rules, market_field, market_of)
        seen_rules: set[str] = set()
        for index, rule in enumerate(rules):
            if rule.id in seen_rules:
                self.problem(spec_file, path + ("rules", index, "id"), f"rule id {rule.id!r} is used twice")
            seen_rules.add(rule.id)
        prefix = camel(area) + camel(name)
        response = self.response(spec_file, path + ("response",), raw["response"], prefix)
        pagination = None
        if "pagination" in raw:
            pagination = build_pagination(raw["pagination"], fields, response, lambda where, message: self.problem(spec_file, path + ("pagination",) + where, message))
        walk = self.walk(spec_file, path + ("walk",), raw["walk"], fields, response, pagination) if "walk" in raw else None
        headers = tuple(raw.get("headers", [header for header in ("content-type", "authorization", "appkey", "appsecret", "tr_id", "custtype")]))
        for index, header in enumerate(headers):
            if header not in self.section("headers")[1]:
                self.problem(spec_file, path + ("headers", index), f"header {header!r} is not declared under `headers`")
        if pagination is not None and "tr_cont" not in headers:
            headers = headers + ("tr_cont",)
        if "tr_id" in raw and "custtype" not in headers and not self.older_language:
            # KIS's own client sends it on every TR call; some POSTs fail without it.
            self.problem(spec_file, path + ("headers",), "an operation with a TR_ID sends `custtype` on every call: add it to `headers`")
        return Operation(
            area=area,
            name=name,
            class_prefix=prefix,
            summary=raw["summary"],
            api_id=raw.get("api_id"),
            method=raw["method"],
            path=raw["path"],
            kind=raw["kind"],
            headers=headers,
            envs=envs,
            tr=tr,
            fields=fields,
            request_any=raw.get("request_body") == "any",
            rules=rules,
            pagination=pagination,
            response=response,
            note=raw.get("note"),
            source=raw.get("source"),
            file=spec_file.name,
            walk=walk,
            mock_instead=MockInstead(raw["mock_instead"]["operation"], raw["mock_instead"]["how"]) if "mock_instead" in raw else None,
            kis_example=build_example(raw["kis_example"]) if "kis_example" in raw else None,
        )

    def walk(self, spec_file: SpecFile, path: JsonPath, raw: dict[str, Any], fields: tuple[RequestField, ...], response: Response, pagination: Pagination | None) -> Walk | None:
        wires = {field.wire: field for field in fields}
        ok = True
        if pagination is not None:
            self.problem(spec_file, path, "an operation that pages with tr_cont needs no walk")
            ok = False
        for key in ("field", "floor"):
            if key in raw and (raw[key] not in wires or not wires[raw[key]].is_parameter):
                self.problem(spec_file, path + (key,), f"{raw[key]!r} is not a request field the caller passes")
                ok = False
        output = next((out for out in response.outputs if out.key == raw["from_output"]), None)
        if output is None or not output.is_list:
            self.problem(spec_file, path + ("from_output",), f"{raw['from_output']!r} is not a list output of this operation")
            return None
        row = next((field for field in output.fields if field.wire == raw["row_field"]), None)
        if row is None:
            self.problem(spec_file, path + ("row_field",), f"{raw['row_field']!r} is not a field of {output.key}")
            return None
        if row.kind != raw["kind"]:
            self.problem(spec_file, path + ("kind",), f"{row.wire!r} is a {row.kind}, not a {raw['kind']}")
            return None
        if not ok:
            return None
        return Walk(raw["field"], output.name, row.py_name, raw["kind"], raw.get("floor"), raw.get("note"))

    def request_field(self, spec_file: SpecFile, path: JsonPath, wire: str, raw: dict[str, Any], tables: dict[str, CodeTable]) -> RequestField:
        py_name = raw.get("py_name", wire.lower())
        clash = python_name_clash(py_name)
        if clash is not None and "py_name" in raw:
            self.problem(spec_file, path + ("py_name",), f"{py_name!r} is not a usable Python name, {clash}")
        elif clash is not None:
            self.problem(spec_file, path, f"field {wire!r} gives the Python name {py_name!r}, {clash}; name it with `py_name:`")
        codes = raw.get("codes")
        if codes is not None and codes not in tables:
            self.problem(spec_file, path + ("codes",), f"code table {codes!r} is not declared")
            codes = None
        pattern = raw.get("pattern")
        if pattern is not None and not self.compiles(spec_file, path + ("pattern",), pattern):
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
            self.problem(spec_file, path + ("encode",), "`encode: quote_code` needs `codes: exchanges`")
        if field.required and field.has_default and field.bind is None and codes != "grant_type":
            pass  # a required field with a default is sent always and may be omitted by the caller
        for key, value in [("default", field.default)] + [(f"default.{side}", value) for side, value in by_side] + [("example", field.example)]:
            if value is not None:
                message = self.value_problem(field, value, tables)
                if message:
                    self.problem(spec_file, path + tuple(key.split(".")), f"{value!r}: {message}")
        return field

    def value_problem(self, field: RequestField, value: str, tables: dict[str, CodeTable]) -> str | None:
        if field.codes in self.ambiguous_tables:
            return None
        return value_problem(field, value, tables)

    def compiles(self, spec_file: SpecFile, path: JsonPath, pattern: str) -> bool:
        try:
            re.compile(pattern)
        except re.error as error:
            self.problem(spec_file, path, f"pattern does not compile: {error}")
            return False
        if not (pattern.startswith("^") and pattern.endswith("$")):
            self.problem(spec_file, path, "pattern must be anchored with ^ and $")
            return False
        if _repeats_a_repeat(_parse_pattern(pattern)):
            # The client matches user input with it, and the generator matches examples.
            self.problem(spec_file, path, "pattern repeats a repetition, like (a+)+: matching can take exponential time")
            return False
        return True

    def rule(self, spec_file: SpecFile, path: JsonPath, raw: dict[str, Any], fields: tuple[RequestField, ...], dims: tuple[str, ...], markets: tuple[Market, ...], tables: dict[str, CodeTable]) -> Rule:
        by_wire = {field.wire: field for field in fields}
        market_codes = {market.code for market in markets}
        conditions = []
        for subject, value in raw["when"].items():
            values = (value,) if isinstance(value, str) else tuple(value)
            where = path + ("when", subject)
            if subject == "env":
                bad = [v for v in values if v not in ENVS]
                if bad:
                    self.problem(spec_file, where, f"unknown environment {bad[0]!r}; use real or mock")
                conditions.append(Condition("env", "env", values))
            elif subject in ("side", "market", "period"):
                if subject not in dims:
                    self.problem(spec_file, where, f"`{subject}` needs `{subject}` in tr_id.by")
                allowed = SIDES if subject == "side" else tuple(market_codes) if subject == "market" else None
                bad = [v for v in values if allowed is not None and v not in allowed]
                if bad:
                    self.problem(spec_file, where, f"{bad[0]!r} is not a declared {subject}")
                conditions.append(Condition(subject, subject, values))
            elif subject in by_wire:
                for v in values:
                    message = self.value_problem(by_wire[subject], v, tables)
                    if message:
                        self.problem(spec_file, where, f"{v!r}: {message}")
                conditions.append(Condition("field", subject, values))
            else:
                self.problem(spec_file, where, f"{subject!r} is not a request field, env, side, market or period")
        constraints = []
        for wire, raw_constraint in raw["then"].items():
            where = path + ("then", wire)
            if wire not in by_wire:
                self.problem(spec_file, where, f"{wire!r} is not a request field")
                continue
            op, arg = next(iter(raw_constraint.items()))
            if op == "pattern":
                if self.compiles(spec_file, where + ("pattern",), arg):
                    constraints.append(Constraint(wire, "pattern", (), arg))
                continue
            values = (arg,) if op == "equals" else tuple(arg)
            for v in values:
                message = self.value_problem(by_wire[wire], v, tables)
                if message:
                    self.problem(spec_file, where + (op,), f"{v!r}: {message}")
            constraints.append(Constraint(wire, op, values, None))
        return Rule(raw["id"], raw["text"], tuple(conditions), tuple(constraints), raw.get("source"))

    def tr_table(self, spec_file: SpecFile, path: JsonPath, raw: dict[str, Any], mock_rule: MockRule, markets: tuple[Market, ...], fields: tuple[RequestField, ...]) -> TrTable:
        dims = tuple(raw.get("by", ()))
        market_codes = [market.code for market in markets]
        market_field = raw.get("market_field")
        if "market" in dims:
            wires = {field.wire: field for field in fields}
            if market_field is None:
                self.problem(spec_file, path + ("by",), "`market` in `by` needs `market_field`: the request field naming the exchange")
            elif market_field not in wires:
                self.problem(spec_file, path + ("market_field",), f"{market_field!r} is not a request field")
            elif wires[market_field].codes != EXCHANGES_TABLE:
                self.problem(spec_file, path + ("market_field",), f"{market_field!r} must use the `exchanges` code table")
        elif market_field is not None:
            self.problem(spec_file, path + ("market_field",), "`market_field` needs `market` in `by`")
        leaves: list[tuple[dict[str, str], str, JsonPath]] = []

        def walk(node: Any, level: int, chosen: dict[str, str], where: JsonPath) -> None:
            if level == len(dims):
                if not isinstance(node, str):
                    self.problem(spec_file, where, f"expected a TR_ID here, found a table (by has {len(dims)} level(s))")
                    return
                leaves.append((dict(chosen), node, where))
                return
            if not isinstance(node, dict):
                self.problem(spec_file, where, f"expected a table by {dims[level]}, found {node!r}")
                return
            dim = dims[level]
            for key, child in node.items():
                if dim == "side" and key not in SIDES:
                    self.problem(spec_file, where + (key,), f"side {key!r} is not buy or sell")
                    continue
                if dim == "market" and key not in market_codes:
                    self.problem(spec_file, where + (key,), f"market {key!r} is not declared under `markets`")
                    continue
                if dim == "period" and not PERIOD_NAME.fullmatch(key):
                    self.problem(spec_file, where + (key,), f"period {key!r} must be letters, digits and _ (a name, or KIS's code for the branch)")
                    continue
                walk(child, level + 1, {**chosen, dim: key}, where + (key,))

        problems_before = len(self.problems)
        walk(raw["real"], 0, {}, path + ("real",))
        table_is_sound = len(self.problems) == problems_before
        mock = raw.get("mock", "derive")
        overrides: dict[tuple[str | None, str | None, str | None], tuple[str, str]] = {}
        for index, override in enumerate(raw.get("mock_overrides", [])):
            where = path + ("mock_overrides", index)
            when = override["when"]
            unknown = [dim for dim in when if dim not in dims]
            for dim in unknown:
                self.problem(spec_file, where + ("when", dim), f"`{dim}` is not in tr_id.by")
            key = (when.get("market"), when.get("side"), when.get("period"))
            if not unknown and not any((chosen.get("market"), chosen.get("side"), chosen.get("period")) == key for chosen, _, _ in leaves):
                self.problem(spec_file, where + ("when",), f"no TR_ID entry for {dict((k, v) for k, v in when.items())} to override")
            if mock == "unsupported":
                self.problem(spec_file, where, "a mock override on an operation without mock support")
            overrides[key] = (override["tr_id"], override["source"])
        real_only = real_only_branches(raw.get("real_only", []), dims, mock, overrides, [chosen for chosen, _, _ in leaves], lambda where, message: self.problem(spec_file, path + where, message))
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
                derived = mock_rule.derive(tr_id)
                if derived is None:
                    self.problem(spec_file, where, f"the mock rule cannot derive a TR_ID from {tr_id!r} (first letter not in {', '.join(mock_rule.first_letters)}); set `mock: same` or `mock: unsupported`, or add an override")
                    continue
                cells.append(TrCell("mock", market, side, period, derived, "rule", None))
        # A side dimension needs both sides wherever it splits, or one side has no TR_ID.
        if "side" in dims and table_is_sound:
            sides_at: dict[JsonPath, set[str]] = {}
            for chosen, _, where in leaves:
                side_level = where[: len(path) + 1 + dims.index("side")]
                sides_at.setdefault(side_level, set()).add(chosen["side"])
            for level, present_sides in sides_at.items():
                for side in SIDES:
                    if side not in present_sides:
                        self.problem(spec_file, level, f"no TR_ID for side {side}")
        # A market dimension must cover every market, so that every exchange resolves.
        if "market" in dims:
            present = {cell.market for cell in cells if cell.env == "real"}
            missing = [code for code in market_codes if code not in present]
            if missing:
                self.problem(spec_file, path + ("real",), f"no TR_ID for market(s) {', '.join(missing)}")
        periods = tuple(dict.fromkeys(cell.period for cell in cells if cell.period is not None))
        retired = tuple((entry["tr_id"], entry["note"]) for entry in raw.get("retired", []))
        for index, (tr_id, _) in enumerate(retired):
            if any(cell.tr_id == tr_id for cell in cells):
                self.problem(spec_file, path + ("retired", index, "tr_id"), f"{tr_id} is retired but still used")
        return TrTable(dims, market_field, mock, periods, tuple(cells), retired, real_only)

    def response(self, spec_file: SpecFile, path: JsonPath, raw: dict[str, Any], prefix: str) -> Response:
        outputs = []
        for key, out in raw["outputs"].items():
            where = path + ("outputs", key)
            always = out.get("always_sent", {})
            always_fields = always.get("fields", ())
            for index, wire in enumerate(always_fields):
                if wire not in out["fields"]:
                    self.problem(spec_file, where + ("always_sent", "fields", index), f"{wire!r} is not a field of this output")
            fields = tuple(self.response_field(wire, field_raw, wire in always_fields) for wire, field_raw in out["fields"].items())
            seen: dict[str, str] = {}
            labels: dict[str, str] = {}
            for field in fields:
                if field.label in labels:
                    # to_dict("ko") and as_records(labels="ko") key rows by label: one would be lost.
                    self.problem(spec_file, where + ("fields", field.wire, "label"), f"label {field.label!r} is also the label of {labels[field.label]!r}")
                labels.setdefault(field.label, field.wire)
                if field.py_name in seen:
                    self.problem(spec_file, where + ("fields", field.wire), f"{field.wire!r} and {seen[field.py_name]!r} give the same Python name")
                elif not is_identifier(field.py_name):
                    self.problem(spec_file, where + ("fields", field.wire), f"{field.wire!r} is not a usable Python name")
                elif field.py_name in RESERVED_RESPONSE_NAMES:
                    self.problem(spec_file, where + ("fields", field.wire), f"{field.wire!r} gives the Python name {field.py_name!r}, which every response model uses itself; name it with `py_name:`")
                seen[field.py_name] = field.wire
            row_key = out.get("row_key")
            if row_key is not None and row_key not in out["fields"]:
                self.problem(spec_file, where + ("row_key",), f"row_key {row_key!r} is not a field of this output")
            if row_key is not None and out["shape"] == "object":
                self.problem(spec_file, where + ("row_key",), "row_key is for list outputs")
            suffix = camel(out["name"]) + ("Row" if out["shape"] == "list" else "")
            aliases = tuple(out.get("aliases", ()))
            if key in aliases or any(alias in raw["outputs"] for alias in aliases):
                self.problem(spec_file, where + ("aliases",), "an output alias must not be another output's key")
            for field in fields:
                for alias in field.aliases:
                    if alias in out["fields"] or alias.lower() in seen:
                        self.problem(spec_file, where + ("fields", field.wire, "aliases"), f"alias {alias!r} is already a field of this output")
            outputs.append(Output(None if key == "(body)" else key, out["name"], prefix + suffix, out["shape"], row_key, fields, out.get("note"), aliases, always.get("source")))
        names = [output.name for output in outputs]
        for output in outputs:
            if names.count(output.name) > 1:
                self.problem(spec_file, path + ("outputs",), f"output name {output.name!r} is used twice")
                break
            if output.name in ("raw", "extra", "rt_cd", "msg_cd", "msg1", "tr_cont", "continuation"):
                self.problem(spec_file, path + ("outputs",), f"output name {output.name!r} is reserved")
        body_outputs = [output for output in outputs if output.key is None]
        if body_outputs and len(outputs) > 1:
            self.problem(spec_file, path + ("outputs",), "`(body)` cannot be combined with other outputs")
        envelope = raw.get("envelope", True)
        return Response(prefix + "Response", envelope, tuple(outputs))

    # -- whole-spec checks --------------------------------------------------------------------
    def check_tr_ids(self, spec: Spec) -> None:
        by_file = {spec_file.name: spec_file for spec_file in self.files}
        for env in ENVS:
            seen: dict[str, str] = {}
            for op in spec.operations:
                if op.tr is None:
                    continue
                for cell in op.tr.cells:
                    if cell.env != env:
                        continue
                    where = f"{op.qualname} ({', '.join(v for v in (cell.market, cell.side, cell.period) if v) or 'all'})"
                    if cell.tr_id in seen and seen[cell.tr_id] != where:
                        spec_file = by_file[op.file]
                        self.problem(spec_file, ("operations", op.name, "tr_id"), f"{env} TR_ID {cell.tr_id} is used twice: {seen[cell.tr_id]} and {where}")
                    seen[cell.tr_id] = where

    def check_mock_instead(self, spec: Spec) -> None:
        """``mock_instead`` belongs on a real-only operation and names one a mock account has."""
        by_file = {spec_file.name: spec_file for spec_file in self.files}
        mock_ops = {op.qualname for op in spec.operations if "mock" in op.envs}
        for op in spec.operations:
            if op.mock_instead is None:
                continue
            where = ("operations", op.name, "mock_instead")
            if "mock" in op.envs:
                self.problem(by_file[op.file], where, f"{op.qualname} works on a mock account; `mock_instead` is for a real-only operation")
            if op.mock_instead.operation not in mock_ops:
                self.problem(by_file[op.file], where + ("operation",), f"{op.mock_instead.operation!r} is not an operation a mock account has")

    def check_names(self, spec: Spec) -> None:
        """Every class the generated modules define is distinct from the others and from imports."""
        by_file = {spec_file.name: spec_file for spec_file in self.files}
        classes: dict[str, str] = {}

        def claim(name: str, owner: str, spec_file: SpecFile, path: JsonPath) -> None:
            if name in RESERVED_CLASSES:
                self.problem(spec_file, path, f"class name {name} is used by the generated code itself")
            elif name in classes:
                self.problem(spec_file, path, f"class name {name} clashes with {classes[name]}")
            else:
                classes[name] = owner

        for table in spec.code_tables:
            if table.name != EXCHANGES_TABLE:
                claim(table.class_name, f"code table {table.name}", by_file[table.file], ("codes", table.name))
            # The Literal of its codes, beside the enum.
            claim(table.class_name + "Code", f"the codes of table {table.name}", by_file[table.file], ("codes", table.name))
        for area in spec.areas:
            claim(area.class_name + "Api", f"area {area.name}", by_file[area.source.file], ())
            claim("Async" + area.class_name + "Api", f"area {area.name}", by_file[area.source.file], ())
        for op in spec.operations:
            period_alias = [op.class_prefix + "Period"] if op.has_period else []
            names = [op.response.class_name, op.class_prefix + "Request"] + period_alias + [output.class_name for output in op.response.outputs]
            for name in names:
                claim(name, op.qualname, by_file[op.file], ("operations", op.name))
        for area in spec.areas:
            owners: dict[str, str] = {}
            for op in area.operations:
                for method in op.method_names:
                    if method in owners:
                        self.problem(by_file[op.file], ("operations", op.name), f"client method {method!r} of {op.qualname} clashes with one of {owners[method]}")
                    owners.setdefault(method, op.qualname)

    def check_rules(self, spec_file: SpecFile, path: JsonPath, rules: tuple[Rule, ...], market_field: str | None, market_of: dict[str, str]) -> None:
        """Conflicting rules: two rules that can apply to one request and leave a field no value.

        Two rules can both apply unless they test one subject (a field, env, side, market or
        period; an exchange counts as its market) with no value in common. They conflict when both then constrain one field and
        no value meets both constraints. A pattern against a pattern is not compared (regular
        languages, not worth it here); a pattern against listed values is. A rule conflicts with
        itself when its constraint rules out every value its own condition tests.
        """
        for index, rule in enumerate(rules):
            when = {(cond.subject, cond.name): set(cond.values) for cond in rule.when}
            for constraint in rule.then:
                tested = when.get(("field", constraint.wire))
                if tested is not None and not _allowed(constraint, tested):
                    self.problem(spec_file, path + (index, "then", constraint.wire), f"rule {rule.id!r} can never hold: its condition needs {constraint.wire} in {sorted(tested)}, its constraint rules all of them out")
        for first_index, first in enumerate(rules):
            for second_index in range(first_index + 1, len(rules)):
                second = rules[second_index]
                if not _can_both_apply(_tests(first, market_field, market_of), _tests(second, market_field, market_of)):
                    continue
                for a in first.then:
                    for b in second.then:
                        if a.wire == b.wire and not _compatible(a, b):
                            self.problem(
                                spec_file,
                                path + (second_index, "then", b.wire),
                                f"rules {first.id!r} and {second.id!r} can apply to the same request, and no {a.wire} satisfies both",
                            )


Tests = dict[tuple[str, str], set[str]]


def _tests(rule: Rule, market_field: str | None, market_of: dict[str, str]) -> Tests:
    """What a rule's condition tests, with a test of the exchange field also read as one of market."""
    tests = {(cond.subject, cond.name): set(cond.values) for cond in rule.when}
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


def _parse_pattern(pattern: str) -> Any:
    return importlib.import_module("re._parser").parse(pattern)


def _repeats_a_repeat(items: Any, inside_repeat: bool = False) -> bool:
    """Whether a parsed pattern has a repetition (more than once) inside another."""
    constants = importlib.import_module("re._constants")
    repeats = (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None))
    for op, argument in items:
        if op in repeats:
            _, most, inner = argument
            if most > 1 and inside_repeat:
                return True
            if _repeats_a_repeat(inner, inside_repeat or most > 1):
                return True
        elif op == constants.SUBPATTERN and _repeats_a_repeat(argument[3], inside_repeat):
            return True
        elif op == constants.BRANCH and any(_repeats_a_repeat(branch, inside_repeat) for branch in argument[1]):
            return True
        elif op in (constants.ASSERT, constants.ASSERT_NOT) and _repeats_a_repeat(argument[1], inside_repeat):
            return True
    return False


def failed_check(field: RequestField, value: str, codes: tuple[str, ...] | None) -> str | None:
    """The first of ``field``'s own checks that ``value`` fails ("codes", "pattern",
    "max_length"), or None. One place for the spec's checks on examples and defaults and the
    sandbox's on requests, so that the two cannot drift apart."""
    if codes is not None and value not in codes:
        return "codes"
    if field.pattern is not None and re.fullmatch(field.pattern, value) is None:
        return "pattern"
    if field.max_length is not None and len(value) > field.max_length:
        return "max_length"
    return None


def value_problem(field: RequestField, value: str, tables: dict[str, CodeTable]) -> str | None:
    """Why ``value`` is not acceptable for ``field`` by its own declaration, or None."""
    table = tables.get(field.wire_codes) if field.wire_codes is not None else None
    failed = failed_check(field, value, table.values if table is not None else None)
    if failed == "codes":
        return f"not a code of table {field.wire_codes!r}"
    if failed == "pattern":
        return f"does not match {field.pattern!r}"
    if failed == "max_length":
        return f"longer than {field.max_length} characters"
    return None


def build_model(files: list[SpecFile]) -> Spec:
    """Validate spec files, apply the corrections to imported drafts, and build the model;
    raise SpecError listing every problem."""
    return _Builder(apply_corrections(files)).build()


def build_older_model(files: list[SpecFile]) -> Spec:
    """The model of a spec that may predate what the language has come to require (a time zone,
    the token's `invalid` code, `custtype` on every TR call and its codes): ``kisgen diff``
    compares old revisions too. Never rendered."""
    return _Builder(apply_corrections(files), older_language=True).build()
