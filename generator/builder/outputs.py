"""Responses: each output's fields, kinds and names, and what KIS always sends."""

from __future__ import annotations

from typing import Any

from ..model import Output, Response, ResponseField
from .names import RESERVED_OUTPUT_NAMES, RESERVED_RESPONSE_NAMES, camel, is_identifier
from .problems import At, Problems


def response_field(wire: str, raw: dict[str, Any], always_sent: bool = False) -> ResponseField:
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


def response(problems: Problems, at: At, raw: dict[str, Any], class_prefix: str) -> Response:
    outputs = [output(problems, at.down("outputs", key), key, out, raw["outputs"], class_prefix) for key, out in raw["outputs"].items()]
    names = [out.name for out in outputs]
    for out in outputs:
        if names.count(out.name) > 1:
            problems.add(at / "outputs", f"output name {out.name!r} is used twice")
            break
        if out.name in RESERVED_OUTPUT_NAMES:
            problems.add(at / "outputs", f"output name {out.name!r} is reserved")
    if any(out.key is None for out in outputs) and len(outputs) > 1:
        problems.add(at / "outputs", "`(body)` cannot be combined with other outputs")
    return Response(class_prefix + "Response", raw.get("envelope", True), tuple(outputs))


def output(problems: Problems, at: At, key: str, raw: dict[str, Any], siblings: dict[str, Any], class_prefix: str) -> Output:
    always = raw.get("always_sent", {})
    always_fields = always.get("fields", ())
    for index, wire in enumerate(always_fields):
        if wire not in raw["fields"]:
            problems.add(at.down("always_sent", "fields", index), f"{wire!r} is not a field of this output")
    fields = tuple(response_field(wire, field_raw, wire in always_fields) for wire, field_raw in raw["fields"].items())
    seen: dict[str, str] = {}
    labels: dict[str, str] = {}
    for field in fields:
        if field.label in labels:
            # to_dict("ko") and as_records(labels="ko") key rows by label: one would be lost.
            problems.add(at.down("fields", field.wire, "label"), f"label {field.label!r} is also the label of {labels[field.label]!r}")
        labels.setdefault(field.label, field.wire)
        if field.py_name in seen:
            problems.add(at.down("fields", field.wire), f"{field.wire!r} and {seen[field.py_name]!r} give the same Python name")
        elif not is_identifier(field.py_name):
            problems.add(at.down("fields", field.wire), f"{field.wire!r} is not a usable Python name")
        elif field.py_name in RESERVED_RESPONSE_NAMES:
            problems.add(at.down("fields", field.wire), f"{field.wire!r} gives the Python name {field.py_name!r}, which every response model uses itself; name it with `py_name:`")
        seen[field.py_name] = field.wire
    row_key = raw.get("row_key")
    if row_key is not None and row_key not in raw["fields"]:
        problems.add(at / "row_key", f"row_key {row_key!r} is not a field of this output")
    if row_key is not None and raw["shape"] == "object":
        problems.add(at / "row_key", "row_key is for list outputs")
    aliases = tuple(raw.get("aliases", ()))
    if key in aliases or any(alias in siblings for alias in aliases):
        problems.add(at / "aliases", "an output alias must not be another output's key")
    for field in fields:
        for alias in field.aliases:
            if alias in raw["fields"] or seen.get(alias.lower(), field.wire) != field.wire:  # its own name in another case is fine
                problems.add(at.down("fields", field.wire, "aliases"), f"alias {alias!r} is already a field of this output")
    class_name = class_prefix + camel(raw["name"]) + ("Row" if raw["shape"] == "list" else "")
    return Output(None if key == "(body)" else key, raw["name"], class_name, raw["shape"], row_key, fields, raw.get("note"), aliases, always.get("source"))
