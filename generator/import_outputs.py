"""`kisgen import`: the outputs of a draft and their fields, from KIS's chk_ file.

KIS's ``COLUMN_MAPPING`` maps the columns of every output in one dict, in the order of KIS's
document (output1's columns, then output2's). The draft assigns them to outputs from what the
files themselves show, and says how in its evidence:

- one output read by the sample: every column is its;
- a key that names an output (``'output3'``): KIS's own marker, the columns after it are that
  output's;
- a column listed a second time: a later output starts with it, or with the date, time or rank
  columns just before it (a list's rows start with their key: ``stck_bsop_date``, ``data_rank``)
  that the later output does not list again;
- a continuation key the sample reads from one output (``output1["index_key"]``) is that output's;
- otherwise the split is not in the files: every output lists every column, and the evidence says
  so, for a reviewer to settle against KIS's workbook (a real reply then parses with the absent
  columns None; nothing is lost).

Kinds stay text unless a column's name and label agree on a date or a number (``decimal``, never
``int``); every inferred kind is marked ``kind_inferred``, so a value that does not fit it is kept
in ``extra`` rather than failing the reply.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from .kis_portal import PortalApi
from .kis_samples import SampleApi
from .builder.names import RESERVED_RESPONSE_NAMES

Note = Callable[[str, Any, str, object], None]
WIRE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
OUTPUT_KEY = re.compile(r"output[0-9]?")
DATE_NAMES = ("_date", "_dt", "_ymd")
DATE_LABELS = ("일자", "일", "날짜", "기준일")
NUMBER_NAMES = (
    "_prpr", "_qty", "_amt", "_rate", "_ctrt", "_rt", "_pric", "_prc", "_unpr", "_vol", "_vrss", "_pbmn", "_tamt", "_clpr", "_oprc", "_hgpr", "_lwpr",
    "_mxpr", "_llam", "_cnt", "_smtl", "_stcn", "_ratem", "_tnrt", "_erng", "_avls", "_cpfn", "_per", "_pbr", "_eps", "_bps", "_nav", "_val",
)
NUMBER_LABELS = ("가", "가격", "금액", "수량", "율", "률", "비율", "대비", "량", "대금", "수", "액", "잔고", "배수", "지수", "NAV", "PER", "PBR", "EPS", "BPS")
NOT_NUMBER_LABELS = ("부호", "코드", "명", "여부", "구분", "번호", "일자", "시간", "시각", "유형")
CODE_NAMES = ("_cd", "_code", "_sign", "_yn", "_dvsn", "_cls")
# The columns a list's rows start with: its key (a date, a time, a rank).
ROW_KEY = re.compile(r".*(_date|_dt|_ymd|_hour|_time|_tmd|rank)$|^(xymd|xhms|dt|tymd)$")


def infer_kind(wire: str, label: str, numeric: bool) -> tuple[str, str]:
    """A response field's kind, and why. Text unless the name and the label agree."""
    name = wire.lower()
    if name.endswith(DATE_NAMES) and label.endswith(DATE_LABELS):
        return "date", f"name ends in {next(s for s in DATE_NAMES if name.endswith(s))} and label {label!r} is a date"
    label_is_number = any(word in label for word in NUMBER_LABELS) and not any(word in label for word in NOT_NUMBER_LABELS)
    suffix = next((s for s in NUMBER_NAMES if name.endswith(s) or f"{s}_" in name), None)
    if suffix is not None and (label_is_number or numeric):
        return "decimal", f"name has {suffix} and label {label!r} is a quantity" + (" (NUMERIC_COLUMNS lists it)" if numeric else "")
    if name.endswith(CODE_NAMES):
        return "code", f"name ends in {next(s for s in CODE_NAMES if name.endswith(s))}"
    return "text", ""


def draft_response(api: SampleApi, entry: PortalApi | None, note: Note, skip: Callable[[str], Exception]) -> dict[str, Any]:
    """The draft's `response`: its outputs, their shapes and fields, with the evidence."""
    labels: dict[str, str] = {}
    later: dict[str, list[str]] = {}  # the labels of a key's later entries, for the later outputs
    for wire, label in api.columns:
        if wire in labels:
            later.setdefault(wire, []).append(label)
        else:
            labels[wire] = label
    listed = [wire for wire in (api.column_keys or tuple(labels)) if WIRE.fullmatch(wire)]
    dropped = [wire for wire in labels if not WIRE.fullmatch(wire)]
    at = api.columns_at or api.check_file or api.file
    if dropped:
        note("response", "", f"COLUMN_MAPPING keys left out (not response field names): {', '.join(dropped)}", at)
    if not any(not OUTPUT_KEY.fullmatch(wire) for wire in listed) and entry is not None:
        listed = [wire for wire in entry.response_fields if WIRE.fullmatch(wire) and not OUTPUT_KEY.fullmatch(wire) and not wire.startswith("ctx_area")]
        labels = {wire: wire for wire in listed}
        note("response", "", "the chk_ file maps no columns: the fields are the portal's response keys, labelled by name", entry.path)
    if not any(not OUTPUT_KEY.fullmatch(wire) for wire in listed):
        raise skip("no response fields in the sample or the portal")
    keys = [output.key for output in api.outputs] or ["output"]
    assigned = _split(api, keys, listed, note, at)
    numeric = set(api.numeric)
    holders = {response.rpartition(".")[0]: response for _, response in (api.paging.request if api.paging is not None else ())}
    result: dict[str, Any] = {}
    used: set[str] = set()
    for key in keys:
        sample = next((output for output in api.outputs if output.key == key), None)
        shape = "object" if (sample is not None and sample.shape == "object") or key in holders else "list"
        if key in holders and (sample is None or sample.shape != "object"):
            reason = f"the sample reads the continuation key {holders[key]} from it: one record"
        else:
            reason = f"the sample reads it as {'one record' if shape == 'object' else 'rows (a lone object is read as one row)'}: {sample.text}" if sample else "no sample line reads it"
        note(f"response.outputs.{key}.shape", shape, reason, sample.at if sample else api.file)
        fields: dict[str, Any] = {}
        seen_labels: set[str] = set()
        for wire in assigned[key]:
            where = f"response.outputs.{key}.fields.{wire}"
            label = _text(labels.get(wire) or wire)
            if wire in used and later.get(wire):
                label = _text(later[wire].pop(0))  # the key again, in a later output: its entry there
            used.add(wire)
            if label in seen_labels:
                label = f"{label} ({wire})"
            seen_labels.add(label)
            kind, why = infer_kind(wire, label, label in numeric)
            fields[wire] = {"label": label, "kind": kind}
            if wire.lower() in RESERVED_RESPONSE_NAMES:
                fields[wire]["py_name"] = wire.lower() + "_"
                note(f"{where}.py_name", wire.lower() + "_", f"{wire.lower()!r} is a name every response model uses: a trailing underscore", at)
            if kind != "text":
                fields[wire]["kind_inferred"] = True
                note(f"{where}.kind", kind, why, at)
        if not fields:
            raise skip(f"{key}: no field left to declare")
        result[key] = {"name": key, "shape": shape, "fields": copy.deepcopy(fields)}
    return {"outputs": result}


def _split(api: SampleApi, keys: list[str], listed: list[str], note: Note, at: object) -> dict[str, list[str]]:
    """Each output's columns, in KIS's order."""
    if len(keys) == 1:
        return {keys[0]: list(dict.fromkeys(wire for wire in listed if not OUTPUT_KEY.fullmatch(wire)))}
    # KIS's markers: 'output3' in the mapping starts output3's columns.
    segments: list[tuple[str | None, list[str]]] = [(None, [])]
    for wire in listed:
        if OUTPUT_KEY.fullmatch(wire):
            if wire in keys:
                segments.append((wire, []))
            continue
        segments[-1][1].append(wire)
    marked = [key for key, _ in segments if key is not None]
    if marked:
        note("response.outputs", ", ".join(marked), "KIS's COLUMN_MAPPING names these outputs before their columns", at)
    assigned: dict[str, list[str]] = {key: [] for key in keys}
    unclaimed = [key for key in keys if key not in marked]
    for target, columns in segments:
        if target is not None:
            assigned[target] = list(dict.fromkeys(columns))
            continue
        before = [key for key in unclaimed if not marked or keys.index(key) < keys.index(marked[0])] if columns else []
        if before:
            for key, part in zip(before, _by_repeats(columns, len(before), note, at)):
                assigned[key] = part
    for output in api.outputs:  # a key the sample reads from one output is that output's
        for wire, response in api.paging.request if api.paging is not None else ():
            owner, _, name = response.rpartition(".")
            if owner == output.key and name not in assigned[owner]:
                assigned[owner].append(name)
    for key in keys:
        if not assigned[key]:
            every = list(dict.fromkeys(wire for wire in listed if not OUTPUT_KEY.fullmatch(wire)))
            assigned[key] = every
            note(f"response.outputs.{key}", "every column", "ambiguous: KIS's files do not say which columns are this output's, so it lists every column (a real reply parses, its absent columns None); review against KIS's workbook", at)
    return assigned


def _by_repeats(columns: list[str], count: int, note: Note, at: object) -> list[list[str]]:
    """``columns`` as ``count`` parts, a part starting where a column is listed again (or at the
    row-key columns before it that the new part does not list again). Fewer boundaries than
    parts: the last parts are left empty (ambiguous)."""
    parts: list[list[str]] = [[]]
    for index, wire in enumerate(columns):
        if wire in parts[-1] and len(parts) < count:
            current = parts[-1]
            later = set(columns[index:])
            start = len(current)
            while start > 0 and ROW_KEY.fullmatch(current[start - 1]) and current[start - 1] not in later:
                start -= 1
            moved = current[start:]
            parts[-1] = current[:start]
            parts.append(moved)
            note("response.outputs", f"part {len(parts)} starts at {(moved or [wire])[0]}", f"KIS's COLUMN_MAPPING lists {wire} again: a later output starts there" + (f" (with the row key {', '.join(moved)} before it)" if moved else "") + "; review against KIS's workbook", at)
        if wire not in parts[-1]:
            parts[-1].append(wire)
    return parts + [[] for _ in range(count - len(parts))]


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip() or "-"
