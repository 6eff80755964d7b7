"""Areas and their operations: one area per name (a file's `area:`, else its stem; several files
may feed one), each operation built from its fields, TR_ID table, rules, paging, response and
KIS's example call.

KIS pages three ways. Most account inquiries send the CTX_AREA pair back (``CTX_AREA_FK100`` /
``CTX_AREA_NK100`` from the body's ``ctx_area_fk100`` / ``ctx_area_nk100``); a few send one key
(``KEYB`` from ``keyb``) or one from inside an object output (``INDEX_KEY`` from
``output1.index_key``); rankings and charts send nothing back: the same request again with
tr_cont N, KIS remembering where the read is. ``pagination.keys`` says which: request field →
response key, ``{}`` for tr_cont alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..corrections import area_name, is_imported
from ..load import SpecFile
from ..model import ENVS, Area, ExampleDifference, KisExample, KnownDifference, MockInstead, Operation, PageKey, Pagination, RequestField, Response, Source, Spec, TrTable, Walk
from .common import Context
from .fields import request_field
from .names import RESERVED_AREA_NAMES, RESERVED_OPERATION_NAMES, camel, is_identifier
from .outputs import response
from .problems import At, Problems
from .rules import RuleSubjects, rules
from .tr_ids import tr_table

DEFAULT_HEADERS = ("content-type", "authorization", "appkey", "appsecret", "tr_id", "custtype")


def areas(ctx: Context, files: list[SpecFile], sources: tuple[Source, ...]) -> tuple[Area, ...]:
    operations: dict[str, list[Operation]] = {}
    first_source: dict[str, Source] = {}
    declared: dict[tuple[str, str], SpecFile] = {}
    for spec_file, source in zip(files, sources):
        if "operations" not in spec_file.data:
            continue
        name = area_name(spec_file)
        where = At(spec_file, ("area",) if "area" in spec_file.data else ())
        if not is_identifier(name):
            ctx.problems.add(where, f"area {name!r} must be a Python identifier: it names the client area (a file's stem, unless it says `area:`)")
        elif name in RESERVED_AREA_NAMES:
            ctx.problems.add(where, f"area {name!r} is a name kis_client or its client uses itself (a file's stem, unless it says `area:`)")
        first_source.setdefault(name, source)
        for op_name, raw in spec_file.data["operations"].items():
            at = At(spec_file, ("operations", op_name))
            first = declared.setdefault((name, op_name), spec_file)
            if first is not spec_file:
                ctx.problems.add(at, f"operation {name}.{op_name} is already declared in {first.name}:{first.line_of(at.path)}")
                continue
            operations.setdefault(name, []).append(operation(ctx, at, name, raw))
    return tuple(Area(name, camel(name), first_source[name], tuple(ops)) for name, ops in operations.items())


def operation(ctx: Context, at: At, area: str, raw: dict[str, Any]) -> Operation:
    name = str(at.path[-1])
    problems = ctx.problems
    if not is_identifier(name):
        problems.add(at, f"operation name {name!r} is not a Python identifier")
    elif name in RESERVED_OPERATION_NAMES:
        problems.add(at, f"operation name {name!r} is a module every area has itself")
    fields = {wire: request_field(ctx, at.down("request", wire), field_raw) for wire, field_raw in raw.get("request", {}).items()}
    python_names: dict[str, str] = {}
    for field in fields.values():
        if field.py_name in python_names:
            problems.add(at.down("request", field.wire), f"{field.wire!r} and {python_names[field.py_name]!r} give the same Python name {field.py_name!r}")
        python_names.setdefault(field.py_name, field.wire)
    if "request" in raw and "request_body" in raw:
        problems.add(at / "request_body", "`request_body: any` and `request` exclude each other")
    tr = tr_table(ctx, at / "tr_id", raw["tr_id"], fields) if "tr_id" in raw else None
    if tr is None and raw["kind"] != "auth":
        problems.add(at, "an order or read operation needs `tr_id`")
    envs = ("real",) if tr is not None and tr.mock == "unsupported" else ENVS
    dims = tr.dims if tr is not None else ()
    for field in fields.values():
        if field.default_by_side and "side" not in dims:
            problems.add(at.down("request", field.wire, "default"), "a default by side needs `side` in tr_id.by")
    subjects = RuleSubjects(fields, dims, tr.market_field if tr is not None else None)
    op_rules = rules(ctx, at / "rules", raw.get("rules", []), subjects)
    prefix = camel(area) + camel(name)
    op_response = response(problems, at / "response", raw["response"], prefix)
    pagination = _pagination(problems, at / "pagination", raw["pagination"], fields, op_response) if "pagination" in raw else None
    walk = _walk(problems, at / "walk", raw["walk"], fields, op_response) if "walk" in raw else None
    if "walk" in raw and pagination is not None:
        problems.add(at / "walk", "an operation that pages with tr_cont needs no walk")
        walk = None
    headers = _headers(ctx, at, raw, pagination is not None)
    known = _known_differences(problems, at / "known_differences", raw, fields, tr, op_response)
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
        fields=tuple(fields.values()),
        request_any=raw.get("request_body") == "any",
        rules=op_rules,
        pagination=pagination,
        response=op_response,
        note=raw.get("note"),
        source=raw.get("source"),
        file=at.file.name,
        walk=walk,
        mock_instead=MockInstead(raw["mock_instead"]["operation"], raw["mock_instead"]["how"]) if "mock_instead" in raw else None,
        known_differences=known,
        kis_example=_kis_example(raw["kis_example"]) if "kis_example" in raw else None,
    )


def _known_differences(
    problems: Problems, at: At, raw: dict[str, Any], fields: Mapping[str, RequestField], tr: TrTable | None, op_response: Response
) -> tuple[KnownDifference, ...]:
    """The differences from KIS's samples the operation explains. What an entry names of the
    spec must be there, so that an entry cannot outlive what it explains unnoticed."""
    spec_has: dict[str, set[str]] = {
        "method": {raw["method"]},
        "tr-id": {cell.tr_id for cell in tr.cells} if tr is not None else set(),
        "mock-support": {cell.tr_id for cell in tr.cells if cell.env == "mock"} if tr is not None else set(),
        "request-field": set(fields),
        "required": {"required", "optional"},
        "output": {key for output in op_response.outputs for key in (output.key or "(body)",) + output.aliases},
        "output-field": {wire for output in op_response.outputs for item in output.fields for wire in (item.wire,) + item.aliases},
    }
    known: list[KnownDifference] = []
    # An imported draft has none of its own: they come from a correction, which names the operation.
    declared = f"a correction of {at.file.name} {at.path[1]}" if is_imported(at.file) else None
    for index, entry in enumerate(raw.get("known_differences", [])):
        here = at / index
        check = entry["check"]
        if "spec" in entry and entry["spec"] not in spec_has[check]:
            problems.add(here / "spec", f"{entry['spec']!r} is not a {_SPEC_SIDE[check]} of this operation")
        if check == "required":
            if "field" not in entry or entry["field"] not in fields:
                problems.add(here / "field" if "field" in entry else here, "a `required` difference names a request field of this operation in `field`")
            if entry.get("kis") not in ("required", "optional"):
                problems.add(here / "kis" if "kis" in entry else here, "a `required` difference says what KIS's sample makes the field: `kis: required` or `kis: optional`")
        elif "field" in entry:
            problems.add(here / "field", "`field` belongs to a `required` difference only (the others name the field in `kis` or `spec`)")
        known.append(KnownDifference(check, entry.get("kis"), entry.get("spec"), entry.get("field"), entry["source"], declared or f"{at.file.name}:{at.file.line_of(here.path)}"))
    return tuple(known)


_SPEC_SIDE = {
    "method": "method",
    "tr-id": "TR_ID",
    "mock-support": "mock TR_ID",
    "request-field": "request field",
    "required": "required-ness",
    "output": "output",
    "output-field": "response field",
}


def _pagination(problems: Problems, at: At, raw: dict[str, Any], fields: Mapping[str, RequestField], op_response: Response) -> Pagination:
    """The operation's `pagination`, checked against its request fields and outputs."""
    if "keys" in raw:
        pairs = [(at.down("keys", request), request, path) for request, path in raw["keys"].items()]
    else:  # the CTX_AREA pair as specs wrote it before `keys`
        pairs = [(at.down("request", name), raw["request"][name], raw["response"][name]) for name in ("fk", "nk")]
    outputs = {output.key: output for output in op_response.outputs if output.key is not None}
    keys = []
    for where, request, path in pairs:
        if request not in fields:
            problems.add(where, f"{request!r} is not a request field")
        output, _, name = path.rpartition(".")
        if output:
            found = outputs.get(output)
            if found is None:
                problems.add(where, f"{output!r} is not an output of this operation")
            elif found.is_list:
                problems.add(where, f"{output!r} is a list output; a continuation key comes from an object")
        keys.append(PageKey(request, name, output or None))
    return Pagination(tuple(keys), tuple(sorted(raw.get("page_size", {}).items())))


def _kis_example(raw: dict[str, Any]) -> KisExample:
    select = raw.get("select", {})
    return KisExample(
        at=raw["at"],
        call=tuple(raw["call"].items()),
        side=select.get("side"),
        period=select.get("period"),
        method=raw["method"],
        path=raw["path"],
        tr_ids=tuple(raw.get("tr_id", {}).items()),
        request=tuple(raw["request"].items()),
        differs=tuple(ExampleDifference(item["fact"], item.get("kis"), item["source"], item.get("sends")) for item in raw.get("differs", [])),
    )


def _walk(problems: Problems, at: At, raw: dict[str, Any], fields: Mapping[str, RequestField], op_response: Response) -> Walk | None:
    ok = True
    for key in ("field", "floor"):
        if key in raw and (raw[key] not in fields or not fields[raw[key]].is_parameter):
            problems.add(at / key, f"{raw[key]!r} is not a request field the caller passes")
            ok = False
    output = next((out for out in op_response.outputs if out.key == raw["from_output"]), None)
    if output is None or not output.is_list:
        problems.add(at / "from_output", f"{raw['from_output']!r} is not a list output of this operation")
        return None
    row = next((field for field in output.fields if field.wire == raw["row_field"]), None)
    if row is None:
        problems.add(at / "row_field", f"{raw['row_field']!r} is not a field of {output.key}")
        return None
    if row.kind != raw["kind"]:
        problems.add(at / "kind", f"{row.wire!r} is a {row.kind}, not a {raw['kind']}")
        return None
    if not ok:
        return None
    return Walk(raw["field"], output.name, row.py_name, raw["kind"], raw.get("floor"), raw.get("note"))


def _headers(ctx: Context, at: At, raw: dict[str, Any], paged: bool) -> tuple[str, ...]:
    headers = tuple(raw.get("headers", DEFAULT_HEADERS))
    for index, header in enumerate(headers):
        if header not in ctx.header_names:
            ctx.problems.add(at.down("headers", index), f"header {header!r} is not declared under `headers`")
    if paged and "tr_cont" not in headers:
        headers = headers + ("tr_cont",)
    if "tr_id" in raw and "custtype" not in headers and not ctx.problems.older_language:
        # KIS's own client sends it on every TR call; some POSTs fail without it.
        ctx.problems.add(at / "headers", "an operation with a TR_ID sends `custtype` on every call: add it to `headers`")
    return headers


def check_mock_instead(problems: Problems, spec: Spec, files: Mapping[str, At]) -> None:
    """``mock_instead`` belongs on a real-only operation and names one a mock account has."""
    mock_ops = {op.qualname for op in spec.operations if "mock" in op.envs}
    for op in spec.operations:
        if op.mock_instead is None:
            continue
        at = files[op.file].down("operations", op.name, "mock_instead")
        if "mock" in op.envs:
            problems.add(at, f"{op.qualname} works on a mock account; `mock_instead` is for a real-only operation")
        if op.mock_instead.operation not in mock_ops:
            problems.add(at / "operation", f"{op.mock_instead.operation!r} is not an operation a mock account has")


def check_special_operations(problems: Problems, spec: Spec, sections_at: Mapping[str, At]) -> None:
    """The token and hashkey sections name operations that exist."""
    qualnames = {op.qualname for op in spec.operations}
    if spec.token.qualname not in qualnames:
        problems.add(sections_at["token"] / "operation", f"operation {spec.token.operation!r} is not declared")
    hashkey = spec.hashkey
    if hashkey is None:
        return
    if hashkey.qualname not in qualnames:
        problems.add(sections_at["hashkey"] / "operation", f"operation {hashkey.operation!r} is not declared")
    elif not any(field.wire == hashkey.reply_field for output in spec.operation(hashkey.qualname).response.outputs for field in output.fields):
        problems.add(sections_at["hashkey"] / "reply_field", f"{hashkey.reply_field!r} is not a field of {hashkey.qualname}'s reply")
