"""The view behind docs/ (templates/API.md.j2): every table cell ready to print.

Spec strings reach the Markdown only through text() or code(): shown as written, never read as
HTML, a table break or a terminal escape.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass

from .layout import AREA_DOCS
from .model import QUOTE_TABLE, Area, Operation, Output, RequestField, ResponseField, Spec, TrCell
from .sandbox.errors import CODES
from .sandbox.errors import Code as SandboxCode

ENV_LABELS = {"real": "실전", "mock": "모의"}
INDEX_FROM_AREA = "../API.md"  # how an area's page links back to the index
SIDE_LABELS = {"buy": "매수", "sell": "매도"}

# Bidirectional controls reorder what a reader sees; shown escaped like control characters.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MARKDOWN_ESCAPES = {"\\": "\\\\", "|": "\\|", "`": "\\`", "<": "&lt;", ">": "&gt;", "&": "&amp;"}
PYTHON_TYPES = {"int": "int", "decimal": "Decimal", "date": "date", "time": "time", "datetime": "datetime", "code": "str", "flag": "bool", "text": "str"}
SENT_BY = {"account_number": "client (account)", "account_product": "client (account)", "app_key": "client (app key)", "app_secret": "client (app secret)", "token": "client (token)"}


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI


def _visible(char: str) -> str:
    return repr(char)[1:-1] if _hidden(char) else char


def text(value: str) -> str:
    """Spec text as Markdown text, also inside a table cell: a line break becomes a space."""
    out = []
    for char in value:
        if char in "\r\n":
            out.append(" ")
        else:
            out.append(MARKDOWN_ESCAPES.get(char) or _visible(char))
    return "".join(out)


def code(value: str) -> str:
    """Text as a Markdown code span (literal: no HTML, no emphasis), also inside a table cell."""
    shown = "".join(_visible(char) for char in value).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    # Markdown strips one space from each end of a span that starts and ends with one.
    padded = shown[:1] == "`" or shown[-1:] == "`" or (shown[:1] == shown[-1:] == " " and shown.strip() != "")
    pad = " " if padded else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def quoted(value: str) -> str:
    """A value as KIS sends it: a string literal in a code span."""
    return code(f'"{value}"')


@dataclass(frozen=True)
class TrRow:
    label: str
    real: str
    mock: str
    mock_origin: str


@dataclass(frozen=True)
class TrTableView:
    caption: str | None
    key_header: str
    rows: tuple[TrRow, ...]


@dataclass(frozen=True)
class FieldRow:
    wire: str
    python: str
    label: str
    required: str
    accepts: str
    default: str
    example: str
    sent_by: str


@dataclass(frozen=True)
class ResponseFieldRow:
    wire: str
    python: str
    label: str
    type: str


@dataclass(frozen=True)
class OutputDoc:
    title: str
    fields: tuple[ResponseFieldRow, ...]


@dataclass(frozen=True)
class OperationDoc:
    op: Operation
    heading: str
    meta: str
    note: str
    tr_tables: tuple[TrTableView, ...]
    retired: tuple[str, ...]
    fields_title: str
    fields: tuple[FieldRow, ...]
    rules: tuple[str, ...]
    response: str
    outputs: tuple[OutputDoc, ...]


def _origin(cell_: TrCell | None) -> str:
    if cell_ is None:
        return "—"
    return {"override": f"override: {text(cell_.source or '')}", "rule": "mock rule", "same": "same as real"}.get(cell_.how, cell_.how)


def _tr_tables(spec: Spec, op: Operation) -> tuple[TrTableView, ...]:
    if op.tr is None:
        return ()
    real_cells = [c for c in op.tr.cells if c.env == "real"]

    def mock_of(real: TrCell) -> TrCell | None:
        return next((c for c in op.tr.cells if c.env == "mock" and (c.market, c.side, c.period) == (real.market, real.side, real.period)), None) if op.tr else None

    def label(real: TrCell, with_side: bool) -> str:
        parts = []
        if real.market:
            market = next(m for m in spec.markets if m.code == real.market)
            parts.append(f"{text(market.label)} ({'/'.join(market.exchanges)})")
        if real.side and with_side:
            parts.append(SIDE_LABELS[real.side])
        if real.period:
            parts.append(real.period)
        return " ".join(parts) or "전체"

    def row(real: TrCell, with_side: bool) -> TrRow:
        mock = mock_of(real)
        return TrRow(label(real, with_side), f"`{real.tr_id}`", f"`{mock.tr_id}`" if mock else "(모의 미지원)", _origin(mock))

    if "market" in op.tr.dims and "side" in op.tr.dims:
        return tuple(
            TrTableView(f"{SIDE_LABELS[side]} TR_ID", "시장", tuple(row(c, False) for c in real_cells if c.side == side)) for side in ("buy", "sell")
        )
    key = "주문유형" if "side" in op.tr.dims else "시장" if "market" in op.tr.dims else "구분"
    return (TrTableView(None, key, tuple(row(c, True) for c in real_cells)),)


def enum_link(class_name: str) -> str:
    """A link from an area's page to the enum's section of the index (GitHub's anchor for a
    heading ``### ClassName``)."""
    return f"[`{class_name}`]({INDEX_FROM_AREA}#{class_name.lower()})"


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation and symbols dropped
    (letters of any script, digits, ``-`` and ``_`` kept), each space a ``-``."""
    kept = "".join(char for char in heading.lower() if char in "-_ " or unicodedata.category(char)[0] in "LNM")
    return kept.replace(" ", "-")


def _accepts(spec: Spec, field: RequestField) -> str:
    parts = []
    if field.codes is not None:
        table = spec.code_table(field.codes)
        members = ", ".join(f"`{table.class_name}.{c.name}` {quoted(c.value)} {text(c.label)}" for c in table.codes)
        if field.encode == "quote_code":
            quote_table = spec.code_table(QUOTE_TABLE)
            parts.append(f"{enum_link(table.class_name)}, sent as its quotation code, or {enum_link(quote_table.class_name)}: {members}")
        else:
            parts.append(f"{enum_link(table.class_name)}: {members}")
    if field.pattern is not None:
        parts.append(f"pattern {code(field.pattern)}")
    if field.max_length is not None:
        parts.append(f"at most {field.max_length} characters")
    return "; ".join(parts)


def _default(field: RequestField) -> str:
    if field.default_by_side:
        return ", ".join(f"{SIDE_LABELS[side]} {quoted(value)}" for side, value in field.default_by_side)
    return quoted(field.default) if field.default is not None else ""


def _field_row(spec: Spec, field: RequestField) -> FieldRow:
    return FieldRow(
        wire=f"`{field.wire}`",
        python=f"`{field.py_name}`" if field.is_parameter else "",
        label=text(field.label + (f" — {field.description}" if field.description else "")),
        required="yes" if field.required else "no",
        accepts=_accepts(spec, field),
        default=_default(field),
        example=quoted(field.example) if field.example is not None else "",
        sent_by=SENT_BY.get(field.bind or "", field.bind or "caller"),
    )


def _response_field(field: ResponseField) -> ResponseFieldRow:
    wire = " / ".join(f"`{name}`" for name in (field.wire, *field.aliases))
    python_type = PYTHON_TYPES[field.kind] + ("" if field.always_sent else " | None")  # as the client types it
    inferred = " (inferred: a value that does not fit stays in `extra`)" if field.kind_inferred and field.kind != "text" else ""
    return ResponseFieldRow(wire, f"`{field.py_name}`", text(field.label + (f" — {field.note}" if field.note else "")), code(python_type) + inferred)


def _output_doc(output: Output) -> OutputDoc:
    key = " / ".join(f"`{name}`" for name in (output.key, *output.aliases)) if output.key else "the body"
    if output.is_list:
        shape = f"`Rows[{output.class_name}]` (a tuple of rows)"
    else:
        shape = f"`{output.class_name}`" if output.always_sent else f"`{output.class_name} | None`"
    note = f" — {text(output.note)}" if output.note else ""
    return OutputDoc(f"{key} → `.{output.name}`: {shape}{note}", tuple(_response_field(field) for field in output.fields))


def _sandbox_code(sandbox_code: SandboxCode) -> tuple[str, str, str, str, str]:
    """Code, HTTP, envelope, when, what to do; a code the OAuth operations answer too says how."""
    status, envelope = str(sandbox_code.status), code(sandbox_code.envelope)
    if sandbox_code.on_oauth:
        status, envelope = f"{status}; OAuth: 403", f"{envelope}; OAuth: `error_code`"
    return (f"`{sandbox_code.code}`", status, envelope, text(sandbox_code.when), text(sandbox_code.what_to_do))


def _operation_doc(spec: Spec, op: Operation) -> OperationDoc:
    envelope = " (`rt_cd`, `msg_cd`, `msg1`, then the outputs)" if op.response.envelope else ""
    return OperationDoc(
        op=op,
        heading=f"{text(op.summary)} — {op.method} `{op.path}`",
        meta=" · ".join([f"`{op.qualname}`"] + ([f"API ID {code(op.api_id)}"] if op.api_id else []) + [f"kind: {op.kind}"] + ([f"source: {text(op.source)}"] if op.source else [])),
        note=text(op.note or ""),
        tr_tables=_tr_tables(spec, op),
        retired=tuple(f"`{tr_id}`: {text(note)}" for tr_id, note in (op.tr.retired if op.tr else ())),
        fields_title="Query" if op.method == "GET" else "Request Body",
        fields=tuple(_field_row(spec, field) for field in op.fields),
        rules=tuple(f"`{rule.id}`: {text(rule.text)}" for rule in op.rules),
        response=f"`{op.response.class_name}`{envelope}",
        outputs=tuple(_output_doc(output) for output in op.response.outputs),
    )


@dataclass(frozen=True)
class EnumDoc:
    class_name: str
    label: str
    members: tuple[tuple[str, str, str], ...]  # member, value, label


@dataclass(frozen=True)
class ExceptionDoc:
    name: str
    base: str
    when: str
    what_to_do: str


@dataclass(frozen=True)
class MockDoc:
    rate: str
    instead: tuple[tuple[str, str, str], ...]  # real-only operation, what to use, how
    rules: tuple[tuple[str, str], ...]  # operation, rule


@dataclass(frozen=True)
class IndexRow:
    """One operation in the index: where its section is, its Korean name and API ID."""

    python: str  # a link to the operation's section, shown as client.area.name
    summary: str
    api_id: str
    endpoint: str


@dataclass(frozen=True)
class AreaPage:
    """docs/api/<area>.md: every operation of one area."""

    name: str
    path: str  # from docs/
    document: str
    operations: tuple[OperationDoc, ...]
    index: tuple[IndexRow, ...]


@dataclass(frozen=True)
class ApiDoc:
    notice: str
    sources: tuple[tuple[str, str, str, str], ...]  # file, document, date, updated by
    environments: tuple[tuple[str, str, str, str], ...]  # label, URL, rate, source
    headers: tuple[tuple[str, str, str], ...]  # name, value, label and note
    mock_rule: str
    areas: tuple[AreaPage, ...]
    exchanges: tuple[tuple[str, str, str, str], ...]  # code, label, market, note
    enums: tuple[EnumDoc, ...]
    mock: MockDoc
    exceptions: tuple[ExceptionDoc, ...]
    errors: tuple[tuple[str, str, str], ...]  # KIS's codes from the spec: code, message, meaning
    sandbox_codes: tuple[tuple[str, str, str, str, str], ...]  # code, HTTP, envelope, when, what to do


def client_exceptions(errors_source: str) -> tuple[ExceptionDoc, ...]:
    """Every public exception of kis_client.errors, from its class and docstring: the text
    before "What to do:" says when it is raised, the rest what to do."""
    classes = [node for node in ast.parse(errors_source).body if isinstance(node, ast.ClassDef)]
    bases = {node.name: [base.id for base in node.bases if isinstance(base, ast.Name)] for node in classes}

    def is_error(name: str) -> bool:
        return name == "KisError" or any(is_error(base) for base in bases.get(name, []))

    found = []
    for node in classes:
        if node.name.startswith("_") or not is_error(node.name):
            continue
        when, _, what = " ".join((ast.get_docstring(node) or "").split()).partition("What to do:")
        found.append(ExceptionDoc(f"`{node.name}`", ", ".join(f"`{base}`" for base in bases[node.name]), _docstring_text(when.strip()), _docstring_text(what.strip())))
    return tuple(found)


def _docstring_text(value: str) -> str:
    """Docstring prose as Markdown: its ``literals`` as code spans, the rest as text."""
    parts = re.split("``(.+?)``", value)
    return "".join(code(part) if index % 2 else text(part) for index, part in enumerate(parts))


def _mock_doc(spec: Spec) -> MockDoc:
    mock = next(env for env in spec.environments if env.name == "mock")
    real = next(env for env in spec.environments if env.name == "real")
    instead = tuple(
        (f"`{op.qualname}`", f"`{op.mock_instead.operation}`" if op.mock_instead else "—", text(op.mock_instead.how) if op.mock_instead else "KIS offers no mock equivalent")
        for op in spec.operations
        if "mock" not in op.envs
    )
    rules = tuple(
        (f"`{op.qualname}`", f"`{rule.id}`: {text(rule.text)}")
        for op in spec.operations
        for rule in op.rules
        if any(cond.subject == "env" and "real" not in cond.values for cond in rule.when)
    )
    rate = f"{mock.rate_limit_per_second:g} calls a second (real: {real.rate_limit_per_second:g}); the client keeps to it unless told otherwise"
    return MockDoc(rate, instead, rules)


def _area_page(spec: Spec, area: Area) -> AreaPage:
    path = f"{AREA_DOCS}/{area.name}.md"
    operations = tuple(_operation_doc(spec, op) for op in area.operations)
    anchors: dict[str, int] = {}
    index = []
    for doc in operations:
        slug = anchor(doc.heading)
        seen = anchors.get(slug, 0)
        anchors[slug] = seen + 1
        link = f"{path}#{slug}" + (f"-{seen}" if seen else "")  # GitHub numbers a repeated heading's anchor
        op = doc.op
        index.append(IndexRow(f"[`{op.area}.{op.name}`]({link})", text(op.summary), code(op.api_id) if op.api_id else "", f"{op.method} `{op.path}`"))
    return AreaPage(area.name, path, text(area.source.document), operations, tuple(index))


def api_doc(spec: Spec, errors_source: str) -> ApiDoc:
    files = ", ".join(source.file for source in spec.sources)
    rule = spec.mock_rule
    return ApiDoc(
        notice=f"Generated by kisgen from {files}. Do not edit: change the spec and run `kisgen docs` (or `kisgen generate`).",
        sources=tuple((f"`{s.file}`", text(s.document), s.date, text(s.updated_by or "")) for s in spec.sources),
        environments=tuple(
            (f"{ENV_LABELS.get(e.name, text(e.label))} ({e.name})", f"`{e.base_url}`", f"{e.rate_limit_per_second:g}/s", text(e.source)) for e in spec.environments
        ),
        headers=tuple((f"`{h.name}`", code(h.value), text(h.label + (f" ({h.note})" if h.note else ""))) for h in spec.headers),
        mock_rule=f"실전 TR_ID의 첫 글자 {', '.join(rule.first_letters)} → {rule.replacement} ({text(rule.description)}). Source: {text(rule.source)}.",
        areas=tuple(_area_page(spec, area) for area in spec.areas),
        exchanges=tuple((f"`{e.code}`", text(e.label), f"{e.market} ({text(next(m.label for m in spec.markets if m.code == e.market))})", text(e.note or "")) for e in spec.exchanges),
        enums=tuple(EnumDoc(t.class_name, text(t.label), tuple((f"`{c.name}`", quoted(c.value), text(c.label)) for c in t.codes)) for t in spec.code_tables),
        mock=_mock_doc(spec),
        exceptions=client_exceptions(errors_source),
        errors=tuple((f"`{e.code}`", text(e.label), text(e.meaning)) for e in spec.errors),
        sandbox_codes=tuple(_sandbox_code(c) for c in CODES),
    )
