"""Python names: what the spec's names become in the client, and which of them are taken."""

from __future__ import annotations

import keyword

from ..model import EXCHANGES_TABLE, Spec
from .problems import At, Problems

RESERVED_PARAMS = frozenset({"self", "side", "period", "env", "tr_cont", "extra", "max_calls"})
# Names the generated request functions and client methods (the _pages, row and _walk helpers
# too) use next to the fields: a field named so would shadow them. tests/test_model.py reads the
# generated code to keep this complete.
GENERATED_LOCALS = frozenset(
    {"ctx", "problems", "request", "value", "bad", "market", "tr_id", "side_value", "period_value", "to_wire", "call", "response", "body"}
    | {"bound", "plain", "side_of", "unencodable", "quote_code", "re", "str", "type", "repr", "len", "dict", "frozenset", "list", "int"}
    | {"calls", "page_call", "reply", "row", "walk_back"}
)
# Attributes of every response model, and the types its annotations name.
RESERVED_RESPONSE_NAMES = frozenset({"extra", "raw", "to_dict", "field", "date", "datetime", "dtime", "int", "bool", "str"})
# Attributes of every real-time record (a tuple: count and index too), and the types its
# annotations name.
RESERVED_RECORD_NAMES = frozenset({"key", "extra", "to_dict", "count", "index", "Decimal", "date", "dtime", "int", "bool", "str"})
# An area is a package beside these modules of kis_client and an attribute of the client beside
# these; an operation is a module beside these of its area.
RESERVED_AREA_NAMES = frozenset({"client", "clock", "enums", "errors", "schemas", "tr_ids", "realtime"} | {"env", "account", "base_url", "close", "from_env"})
RESERVED_OPERATION_NAMES = frozenset({"api", "enums"})
# Output names every response uses itself.
RESERVED_OUTPUT_NAMES = frozenset({"raw", "extra", "rt_cd", "msg_cd", "msg1", "tr_cont", "continuation"})
# Classes the generated modules import or define besides the spec's own.
RESERVED_CLASSES = frozenset(
    {"Env", "Side", "SideCode", "Market", "StrEnum", "CodeEnum", "Literal", "Any", "Mapping", "Callable", "ClassVar", "Decimal", "Iterator", "AsyncIterator", "TracebackType"}
    | {"CallContext", "FieldProblem", "OperationInfo", "PreparedCall", "UnsupportedEnvironmentError", "ValidationError", "AsyncCore", "SyncCore"}
    | {"Credentials", "RateLimiter", "RetryPolicy", "Settings", "TokenSpec", "TokenCache", "KisClient", "AsyncKisClient", "Continuation"}
    | {"Model", "Paging", "Reply", "ResponseParseError", "Rows", "TrIdNotFoundError"}
)


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


def check_names(problems: Problems, spec: Spec, files: dict[str, At]) -> None:
    """Every class the generated modules define is distinct from the others and from imports,
    and every client method of an area from the area's others. ``files``: each file's place."""
    classes: dict[str, str] = {}

    def claim(name: str, owner: str, at: At) -> None:
        if name in RESERVED_CLASSES:
            problems.add(at, f"class name {name} is used by the generated code itself")
        elif name in classes:
            problems.add(at, f"class name {name} clashes with {classes[name]}")
        else:
            classes[name] = owner

    for table in spec.code_tables:
        at = files[table.file].down("codes", table.name)
        if table.name != EXCHANGES_TABLE:
            claim(table.class_name, f"code table {table.name}", at)
        # The Literal of its codes, beside the enum.
        claim(table.class_name + "Code", f"the codes of table {table.name}", at)
    if spec.realtime is not None:
        for tr in spec.realtime.trs:
            claim(tr.class_name, f"real-time TR {tr.name}", files[tr.file].down("realtime", "trs", tr.name))
    for area in spec.areas:
        claim(area.class_name + "Api", f"area {area.name}", files[area.source.file])
        claim("Async" + area.class_name + "Api", f"area {area.name}", files[area.source.file])
    for op in spec.operations:
        period_alias = [op.class_prefix + "Period"] if op.has_period else []
        names = [op.response.class_name, op.class_prefix + "Request"] + period_alias + [output.class_name for output in op.response.outputs]
        for name in names:
            claim(name, op.qualname, files[op.file].down("operations", op.name))
    for area in spec.areas:
        owners: dict[str, str] = {}
        for op in area.operations:
            for method in op.method_names:
                if method in owners:
                    problems.add(files[op.file].down("operations", op.name), f"client method {method!r} of {op.qualname} clashes with one of {owners[method]}")
                owners.setdefault(method, op.qualname)
