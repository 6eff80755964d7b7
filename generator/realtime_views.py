"""The view behind kis_client/realtime.py (templates/realtime.py.j2) and the clients' ``realtime()``:
each TR's record class with every property's type, reader and docstring, and the feed's
constants, ready to print."""

from __future__ import annotations

from dataclasses import dataclass

from . import docstrings
from .literals import py
from .model import Realtime, RealtimeField, RealtimeTr, Spec

# A value's Python type, and the RealtimeRecord method that reads it (kis_client._realtime_records).
KIND_TYPES = {"int": "int", "decimal": "Decimal", "date": "date", "time": "dtime", "code": "str", "flag": "bool", "text": "str"}
KIND_READERS = {"int": "_int", "decimal": "_decimal", "date": "_date", "time": "_time", "code": "_text", "flag": "_flag", "text": "_text"}


@dataclass(frozen=True)
class RecordFieldView:
    py_name: str
    annotation: str
    reader: str
    doc: list[str]


@dataclass(frozen=True)
class RecordView:
    class_name: str
    doc: list[str]
    info: str  # the TrInfo(...) expression
    fields: tuple[RecordFieldView, ...]


@dataclass(frozen=True)
class ApprovalCall:
    """How a client asks for the approval key: ``client.<area>.<operation>()``, then the key's
    output and field of the reply."""

    area: str
    operation: str
    output: str
    field: str


@dataclass(frozen=True)
class RealtimeView:
    module_doc: list[str]
    stdlib_imports: tuple[str, ...]
    records: tuple[RecordView, ...]
    feed: str  # the Feed(...) expression
    approval: ApprovalCall


def _field_doc(tr: RealtimeTr, field: RealtimeField) -> list[str]:
    text = f"{field.label}" + (f" — {field.note}" if field.note else "") + f" ({field.wire}, value {field.position + 1} of {len(tr.fields)})."
    if field.wire == tr.key_field:
        text += f" The {tr.key.label} this record was registered for (its tr_key)."
    return docstrings.wrap(text, 8)


def _record_doc(tr: RealtimeTr) -> list[str]:
    mock = f"mock {tr.mock_tr_id}" if tr.mock_tr_id is not None else "not served on mock (모의투자 미지원)"
    lines = [f"{tr.label} — {tr.real_tr_id} ({mock}){', ' + tr.api_id if tr.api_id else ''}.", ""]
    key = f"Registered for a {tr.key.label}, e.g. {tr.key.example!r}" + (f" ({tr.key.note})" if tr.key.note else "") + f"; pattern {tr.key.pattern}."
    lines += docstrings.wrap(key, 4)
    if tr.encrypted:
        lines += [""] + docstrings.wrap("KIS encrypts its frames (AES-256-CBC); the session decrypts them with the key and iv of its acknowledgement.", 4)
    if tr.note:
        lines += [""] + docstrings.wrap(tr.note, 4)
    lines += [""] + docstrings.wrap(f"{len(tr.fields)} fields, in the order KIS sends them. Source: {tr.source}.", 4)
    return lines


def _record(tr: RealtimeTr) -> RecordView:
    info = (
        f"TrInfo(name={py(tr.name)}, label={py(tr.label)}, real_tr_id={py(tr.real_tr_id)}, mock_tr_id={py(tr.mock_tr_id)}, "
        f"encrypted={py(tr.encrypted)}, key_label={py(tr.key.label)}, key_pattern={py(tr.key.pattern)}, key_position={tr.key_position}, "
        f"wire={py(tuple(f.wire for f in tr.fields))}, names={py(tuple(f.py_name for f in tr.fields))}, labels={py(tuple(f.label for f in tr.fields))})"
    )
    fields = tuple(
        RecordFieldView(field.py_name, f"{KIND_TYPES[field.kind]} | None", f"self.{KIND_READERS[field.kind]}({field.position})", _field_doc(tr, field)) for field in tr.fields
    )
    return RecordView(tr.class_name, _record_doc(tr), info, fields)


def _feed(realtime: Realtime) -> str:
    outcomes = {code.code: code.outcome for code in realtime.codes}
    return (
        f"Feed(urls={py(dict(realtime.urls))}, path={py(realtime.path)}, registration_limit={realtime.registration_limit}, "
        f"approval_lifetime={realtime.approval.lifetime_seconds}, subscribe={py(realtime.subscribe)}, unsubscribe={py(realtime.unsubscribe)}, "
        f"pingpong={py(realtime.pingpong)}, outcomes={py(outcomes)}, records=RECORDS)"
    )


def _approval(spec: Spec, realtime: Realtime) -> ApprovalCall:
    op = spec.operation(realtime.approval.operation)
    output = next(out for out in op.response.outputs if not out.is_list and any(f.wire == realtime.approval.reply_field for f in out.fields))
    field = next(f for f in output.fields if f.wire == realtime.approval.reply_field)
    return ApprovalCall(op.area, op.name, output.name, field.py_name)


def realtime_view(spec: Spec) -> RealtimeView:
    realtime = spec.realtime
    assert realtime is not None, "the model requires `realtime` of a spec it renders"
    kinds = {field.kind for tr in realtime.trs for field in tr.fields}
    imports = []
    datetime_names = [name for kind, name in (("date", "date"), ("time", "time as dtime")) if kind in kinds]
    if datetime_names:
        imports.append(f"from datetime import {', '.join(datetime_names)}")
    if "decimal" in kinds:
        imports.append("from decimal import Decimal")
    names = ", ".join(tr.class_name for tr in realtime.trs)
    return RealtimeView(
        module_doc=[
            "The real-time feed (실시간 웹소켓): a record class per TR of the spec, and its session.",
            "",
            "    with KisClient.from_env() as client, client.realtime() as feed:",
            '        feed.subscribe(StockTick, "005930")',
            "        for record in feed:",
            "            ...",
            "",
            *docstrings.wrap(f"Records: {names}. Each is a tuple of KIS's values with a typed property per field (None for a blank); the session needs the realtime extra: pip install \"kis-client[realtime]\".", 0),
        ],
        stdlib_imports=tuple(imports),
        records=tuple(_record(tr) for tr in realtime.trs),
        feed=_feed(realtime),
        approval=_approval(spec, realtime),
    )
