"""The real-time feed: its connection, approval key, control codes and TRs, each TR's fields in
the order KIS sends them. Checked against the rest of the spec once the areas exist (the approval
key comes from a REST operation)."""

from __future__ import annotations

import re
from typing import Any

from ..model import ENVS, ApprovalPolicy, ControlCode, Realtime, RealtimeField, RealtimeKey, RealtimeTr, Spec
from .common import Sections
from .names import RESERVED_RECORD_NAMES, camel, is_identifier
from .problems import At, Problems

# What a session cannot do without: a code that confirms a registration and one that confirms
# its release.
NEEDED_OUTCOMES = ("subscribed", "unsubscribed")


def realtime(problems: Problems, sections: Sections) -> Realtime | None:
    if "realtime" not in sections:
        return None
    at, raw = sections.at("realtime"), sections.raw("realtime")
    messages = raw["messages"]
    if messages["subscribe"] == messages["unsubscribe"]:
        problems.add(at.down("messages", "unsubscribe"), "registering and releasing must be told apart: `subscribe` and `unsubscribe` are the same")
    codes = tuple(_code(code, entry) for code, entry in raw["codes"].items())
    for outcome in NEEDED_OUTCOMES:
        if not any(code.outcome == outcome for code in codes):
            problems.add(at / "codes", f"no code has outcome {outcome!r}: a session could not tell when a registration is {outcome}")
    trs = tuple(_tr(problems, at.down("trs", name), name, entry) for name, entry in raw["trs"].items())
    _check_unique_tr_ids(problems, at / "trs", trs)
    approval = raw["approval"]
    envs = raw["environments"]
    return Realtime(
        path=raw["path"],
        urls=tuple((env, envs[env]["url"]) for env in ENVS),
        url_sources=tuple((env, envs[env]["source"]) for env in ENVS),
        approval=ApprovalPolicy(approval["operation"], approval["reply_field"], approval["lifetime_seconds"], approval["source"]),
        registration_limit=raw["limits"]["registrations"],
        sessions_per_app_key=raw["limits"]["sessions_per_app_key"],
        limits_source=raw["limits"]["source"],
        subscribe=messages["subscribe"],
        unsubscribe=messages["unsubscribe"],
        pingpong=messages["pingpong"],
        messages_source=messages["source"],
        codes=codes,
        trs=trs,
        file=at.file.name,
    )


def _code(code: str, raw: dict[str, Any]) -> ControlCode:
    return ControlCode(code, raw.get("rt_cd"), raw.get("message"), raw["outcome"], raw["meaning"], raw["source"])


def _tr(problems: Problems, at: At, name: str, raw: dict[str, Any]) -> RealtimeTr:
    if not is_identifier(name):
        problems.add(at, f"TR name {name!r} is not a Python identifier: it names the record class")
    fields = tuple(_field(position, wire, entry) for position, (wire, entry) in enumerate(raw["fields"].items()))
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    for field in fields:
        field_at = at.down("fields", field.wire)
        if not is_identifier(field.py_name):
            problems.add(field_at, f"{field.wire!r} is not a usable Python name")
        elif field.py_name in RESERVED_RECORD_NAMES:
            problems.add(field_at, f"{field.wire!r} gives the Python name {field.py_name!r}, which every record uses itself")
        elif field.py_name in names:
            problems.add(field_at, f"{field.wire!r} and {names[field.py_name]!r} give the same Python name")
        names.setdefault(field.py_name, field.wire)
        if field.label in labels:
            # to_dict("ko") keys a record by label: one value would be lost.
            problems.add(field_at / "label", f"label {field.label!r} is also the label of {labels[field.label]!r}")
        labels.setdefault(field.label, field.wire)
    key_raw = raw["tr_key"]
    key = RealtimeKey(key_raw["label"], key_raw["pattern"], key_raw["example"], key_raw.get("note"))
    _check_key(problems, at / "tr_key", key)
    if raw["key_field"] not in raw["fields"]:
        problems.add(at / "key_field", f"{raw['key_field']!r} is not a field of this TR")
    mock = raw["tr_id"]["mock"]
    return RealtimeTr(
        name=name,
        class_name=camel(name),
        label=raw["label"],
        api_id=raw.get("api_id"),
        real_tr_id=raw["tr_id"]["real"],
        mock_tr_id=None if mock == "unsupported" else mock,
        encrypted=raw["encrypted"],
        key=key,
        key_field=raw["key_field"],
        fields=fields,
        source=raw["source"],
        note=raw.get("note"),
        file=at.file.name,
    )


def _field(position: int, wire: str, raw: dict[str, Any]) -> RealtimeField:
    return RealtimeField(wire, wire.lower(), raw["label"], raw["kind"], raw.get("note"), position)


def _check_key(problems: Problems, at: At, key: RealtimeKey) -> None:
    try:
        pattern = re.compile(key.pattern)
    except re.error as error:
        problems.add(at / "pattern", f"{key.pattern!r} is not a regular expression: {error}")
        return
    if pattern.fullmatch(key.example) is None:
        problems.add(at / "example", f"{key.example!r} does not match the pattern {key.pattern}")
    if pattern.fullmatch("") is not None:
        problems.add(at / "pattern", "the pattern takes an empty tr_key, which KIS cannot register")


def _check_unique_tr_ids(problems: Problems, at: At, trs: tuple[RealtimeTr, ...]) -> None:
    """A data frame names only its TR_ID: each must belong to one TR."""
    owner: dict[str, str] = {}
    for tr in trs:
        for tr_id in tr.tr_ids:
            if tr_id in owner:
                problems.add(at.down(tr.name, "tr_id"), f"TR_ID {tr_id} is also {owner[tr_id]}'s")
            owner.setdefault(tr_id, tr.name)


def check_approval(problems: Problems, spec: Spec, at: At) -> None:
    """The approval key comes from a REST operation that takes nothing from the caller and
    answers with the key in an object output."""
    if spec.realtime is None:
        return
    approval = spec.realtime.approval
    op = next((op for op in spec.operations if op.qualname == approval.operation), None)
    if op is None:
        problems.add(at.down("approval", "operation"), f"operation {approval.operation!r} is not declared")
        return
    needed = [field.wire for field in op.parameters if field.required and not field.has_default]
    if needed:
        problems.add(at.down("approval", "operation"), f"{approval.operation} needs {', '.join(needed)} from the caller: a session could not ask for a key by itself")
    if not any(field.wire == approval.reply_field for output in op.response.outputs if not output.is_list for field in output.fields):
        problems.add(at.down("approval", "reply_field"), f"{approval.reply_field!r} is not a field of an object output of {approval.operation}")
