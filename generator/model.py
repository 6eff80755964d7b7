"""The intermediate representation: plain frozen dataclasses, built from validated spec files by
generator.builder.

Every rule is resolved before a model exists (each TR_ID for each environment, side, market and
period; each default; each code table), so that templates, the sandbox, diffs and exports only
read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# The spec language's small vocabularies, as spec.schema.json lists them.
EnvName = Literal["real", "mock"]
SideName = Literal["buy", "sell"]
Dimension = Literal["market", "side", "period"]  # what a TR_ID table is split by
MockSupport = Literal["derive", "same", "unsupported"]
TrOrigin = Literal["spec", "rule", "same", "override"]  # where a TR_ID cell's value comes from
OperationKind = Literal["order", "read", "auth"]
HttpMethod = Literal["GET", "POST"]
Binding = Literal["account_number", "account_product", "app_key", "app_secret", "token"]
Encoding = Literal["quote_code"]  # the user's Exchange goes on the wire as its quotation code
ValueKind = Literal["int", "decimal", "date", "time", "datetime", "code", "flag", "text"]
JsonType = Literal["string", "number", "any"]
OutputShape = Literal["object", "list", "list_of_one"]
Subject = Literal["field", "env", "side", "market", "period"]  # what a rule's condition tests
ConstraintOp = Literal["equals", "in", "pattern"]
WalkKind = Literal["date", "time"]
FailedCheck = Literal["codes", "pattern", "max_length"]
AuditCheck = Literal["method", "tr-id", "mock-support", "request-field", "required", "output", "output-field"]  # what `kisgen audit` compares
RealtimeOutcome = Literal["subscribed", "unsubscribed", "refused", "app_key_in_use"]  # what a control code means

ENVS: tuple[EnvName, ...] = ("real", "mock")
SIDES: tuple[SideName, ...] = ("buy", "sell")
EXCHANGES_TABLE = "exchanges"
PERIOD_NAME = re.compile(r"[A-Za-z0-9_]{1,32}")  # a name (within_3_months) or KIS's code ("0")
QUOTE_TABLE = "quote_exchanges"  # built from the exchanges' quote codes; what quotation APIs send


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    document: str
    date: str
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class Environment:
    name: EnvName
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
    default_by_side: tuple[tuple[str, str], ...]  # buy, sell
    bind: Binding | None
    secret: bool
    example: str | None
    description: str | None
    encode: Encoding | None = None

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

    def failed_check(self, value: str, codes: tuple[str, ...] | None) -> FailedCheck | None:
        """The first of this field's own checks that ``value`` fails, or None: one place for the
        spec's checks on examples and defaults and the sandbox's on requests, so that the two
        cannot drift apart."""
        if codes is not None and value not in codes:
            return "codes"
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            return "pattern"
        if self.max_length is not None and len(value) > self.max_length:
            return "max_length"
        return None


@dataclass(frozen=True, slots=True)
class Condition:
    subject: Subject
    name: str  # the wire name for a field, else the subject
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Constraint:
    wire: str
    op: ConstraintOp
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
    env: EnvName
    market: str | None
    side: SideName | None
    period: str | None
    tr_id: str
    how: TrOrigin
    source: str | None


@dataclass(frozen=True, slots=True)
class RealOnlyBranch:
    """Branches of a TR_ID table KIS offers on real accounts only (a dimension left out matches
    every value): they have no mock TR_ID, so a mock client refuses them before sending."""

    market: str | None
    side: SideName | None
    period: str | None
    source: str

    def covers(self, market: str | None, side: str | None, period: str | None) -> bool:
        return all(mine is None or mine == theirs for mine, theirs in ((self.market, market), (self.side, side), (self.period, period)))

    @property
    def shown(self) -> str:
        return ", ".join(f"{dim} {value}" for dim, value in (("market", self.market), ("side", self.side), ("period", self.period)) if value)


@dataclass(frozen=True, slots=True)
class TrTable:
    dims: tuple[Dimension, ...]
    market_field: str | None
    mock: MockSupport
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
class PageKey:
    """A continuation key: the response value a following page's request sends back."""

    request: str  # the request field it goes in
    response: str  # the response key it comes from
    output: str | None = None  # the object output holding it (output1); None: the body's top level

    @property
    def shown(self) -> str:
        return f"{self.request} ← {self.output + '.' if self.output else ''}{self.response}"


@dataclass(frozen=True, slots=True)
class Pagination:
    """Paging by tr_cont: ``keys`` are sent back on each following page; with none, the same
    request goes again with tr_cont N."""

    keys: tuple[PageKey, ...]
    page_size: tuple[tuple[str, int], ...]  # by environment, where KIS documents it

    @property
    def top_level_keys(self) -> tuple[str, ...]:
        """Response keys at the body's top level (beside the envelope and the outputs)."""
        return tuple(key.response for key in self.keys if key.output is None)


@dataclass(frozen=True, slots=True)
class ResponseField:
    wire: str
    py_name: str
    label: str
    kind: ValueKind
    json: JsonType
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
    shape: OutputShape
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
    kind: WalkKind
    floor: str | None  # a request field the walk never goes below
    note: str | None


@dataclass(frozen=True, slots=True)
class MockInstead:
    """What a mock account uses instead of a real-only operation."""

    operation: str  # area.name
    how: str


@dataclass(frozen=True, slots=True)
class KnownDifference:
    """A difference `kisgen audit` finds between KIS's sample and the operation, explained:
    what KIS has (``kis``), or, where KIS has nothing, what the spec has (``spec``)."""

    check: AuditCheck
    kis: str | None
    spec: str | None
    field: str | None  # the request field of a `required` difference
    source: str
    at: str  # file:line, where a stale one is reported


@dataclass(frozen=True, slots=True)
class Response:
    class_name: str
    envelope: bool
    outputs: tuple[Output, ...]


@dataclass(frozen=True, slots=True)
class ExampleDifference:
    fact: str  # method, path, tr_id.real, tr_id.mock or request.FIELD
    kis: str | None  # what KIS's sample sends there (None: nothing)
    source: str  # why the spec sends something else
    sends: str | None = None  # a request field's value the spec sends instead (None: its default)


@dataclass(frozen=True, slots=True)
class KisExample:
    """KIS's example call (its chk_ file's arguments) and the request KIS's sample sends for it;
    generator.examples compares them with the operation."""

    at: str  # KIS's chk_ file and line
    call: tuple[tuple[str, str | None], ...]  # its arguments (None: from the user's settings)
    side: SideName | None
    period: str | None
    method: str
    path: str
    tr_ids: tuple[tuple[str, str | None], ...]  # env → what KIS's sample sends (None: it refuses)
    request: tuple[tuple[str, str | None], ...]  # wire field → value (None: the user's own)
    differs: tuple[ExampleDifference, ...]

    def differs_on(self, fact: str) -> ExampleDifference | None:
        return next((difference for difference in self.differs if difference.fact == fact), None)

    @property
    def values(self) -> dict[str, str | None]:
        return dict(self.request)


@dataclass(frozen=True, slots=True)
class Operation:
    area: str
    name: str
    class_prefix: str
    summary: str
    api_id: str | None
    method: HttpMethod
    path: str
    kind: OperationKind
    headers: tuple[str, ...]
    envs: tuple[EnvName, ...]
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
    known_differences: tuple[KnownDifference, ...] = ()
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
    area: str
    operation: str  # its name in the area
    lifetime_seconds: int
    min_issue_interval_seconds: int
    too_soon_code: str
    expired_code: str
    invalid_code: str | None  # a token the server does not know: replaced like an expired one

    @property
    def qualname(self) -> str:
        return f"{self.area}.{self.operation}"


@dataclass(frozen=True, slots=True)
class HashkeyPolicy:
    """The operation that hashes an order body, and the header the hash goes in."""

    area: str
    operation: str  # its name in the area
    header: str
    reply_field: str  # the hash's field in the operation's reply

    @property
    def qualname(self) -> str:
        return f"{self.area}.{self.operation}"


@dataclass(frozen=True, slots=True)
class RealtimeField:
    """One value of a real-time record, at its position (0-based) in the record."""

    wire: str
    py_name: str
    label: str
    kind: ValueKind
    note: str | None
    position: int


@dataclass(frozen=True, slots=True)
class RealtimeKey:
    """What a TR is registered for (its tr_key): a stock code, an HTS ID, an overseas symbol."""

    label: str
    pattern: str
    example: str
    note: str | None


@dataclass(frozen=True, slots=True)
class RealtimeTr:
    name: str
    class_name: str
    label: str
    api_id: str | None
    real_tr_id: str
    mock_tr_id: str | None  # None: KIS's mock domain does not serve it (모의투자 미지원)
    encrypted: bool
    key: RealtimeKey
    key_field: str  # the wire name of the field that repeats the tr_key
    fields: tuple[RealtimeField, ...]
    source: str
    note: str | None
    file: str

    @property
    def tr_ids(self) -> tuple[str, ...]:
        return (self.real_tr_id,) + ((self.mock_tr_id,) if self.mock_tr_id not in (None, self.real_tr_id) else ())

    def tr_id(self, env: str) -> str | None:
        return self.real_tr_id if env == "real" else self.mock_tr_id

    @property
    def key_position(self) -> int:
        return next(field.position for field in self.fields if field.wire == self.key_field)


@dataclass(frozen=True, slots=True)
class ControlCode:
    """A control message's msg_cd, and what it means for a registration."""

    code: str
    rt_cd: str | None  # None: nobody has recorded it
    message: str | None  # KIS's msg1, where recorded
    outcome: RealtimeOutcome
    meaning: str
    source: str


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """The REST operation that issues the approval key, and how long a key serves."""

    operation: str  # area.name
    reply_field: str
    lifetime_seconds: int
    source: str


@dataclass(frozen=True, slots=True)
class Realtime:
    path: str
    urls: tuple[tuple[EnvName, str], ...]
    url_sources: tuple[tuple[EnvName, str], ...]
    approval: ApprovalPolicy
    registration_limit: int
    sessions_per_app_key: int
    limits_source: str
    subscribe: str  # tr_type of a registration
    unsubscribe: str
    pingpong: str  # the tr_id of the server's heartbeat
    messages_source: str
    codes: tuple[ControlCode, ...]
    trs: tuple[RealtimeTr, ...]
    file: str

    def url(self, env: str) -> str:
        for name, url in self.urls:
            if name == env:
                return url
        raise KeyError(env)

    def tr(self, tr_id: str) -> RealtimeTr:
        for tr in self.trs:
            if tr_id in tr.tr_ids:
                return tr
        raise KeyError(tr_id)


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
    hashkey: HashkeyPolicy | None
    timezone: str | None  # the IANA zone KIS dates orders, fills and quotes in
    realtime: Realtime | None = None  # None only in an older spec read for a diff

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
