"""Imported drafts, and the reviewed corrections that keep applying on top of them.

A file written by `kisgen import` carries an `imported:` header whose digest covers its data:
an edit by hand shows (a re-import would silently lose it), so such a file is only ever
rewritten by the importer. What a person reviewed and corrected lives in other spec files, as
`corrections:` entries that name the imported operation (or code table), the facts they set or
remove, and a source. They are applied to the imported data before the model is built, so they
survive every re-import; one whose target is gone, or that no longer changes anything (KIS fixed
its sample), is an error, so that no correction lingers unnoticed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .errors import Problem, SpecError
from .load import JsonPath, SpecFile, format_path
from .validate import schema_problems

CORRECTIONS_DIR = "corrections"
IMPORTED_DIR = "imported"


def imported_digest(data: dict[str, Any]) -> str:
    """The digest an imported file's header carries: of all its data but the digest itself."""
    header = {key: value for key, value in data.get("imported", {}).items() if key != "digest"}
    body = {key: value for key, value in data.items() if key != "imported"}
    text = json.dumps([header, body], ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def area_name(spec_file: SpecFile) -> str:
    """The client area a spec file's operations belong to: its `area:`, else its stem."""
    declared = spec_file.data.get("area")
    return declared if isinstance(declared, str) else spec_file.name.rsplit("/", 1)[-1].removesuffix(".yaml")


def is_imported(spec_file: SpecFile) -> bool:
    return isinstance(spec_file.data, dict) and "imported" in spec_file.data


def edited_by_hand(spec_file: SpecFile) -> bool:
    return is_imported(spec_file) and spec_file.data["imported"].get("digest") != imported_digest(spec_file.data)


@dataclass(slots=True)
class _Target:
    spec_file: SpecFile  # the imported file
    path: JsonPath  # where the operation or code table sits in it
    data: dict[str, Any]  # the file's data, copied before the first correction changes it


def apply_corrections(files: list[SpecFile]) -> list[SpecFile]:
    """The files with every correction applied to the imported ones; raise SpecError listing
    every hand-edited imported file and every correction that misses or changes nothing.

    Files with schema problems are returned as they are: the model reports those."""
    if any(schema_problems(spec_file) for spec_file in files):
        return files
    problems: list[Problem] = []
    for spec_file in files:
        if edited_by_hand(spec_file):
            where = spec_file.data["imported"].get("corrections", "a spec file under spec/corrections/")
            problems.append(
                Problem(
                    spec_file.name,
                    spec_file.line_of(("imported", "digest")),
                    "imported.digest",
                    f"edited by hand since `kisgen import` wrote it (a re-import would lose the edit): restore it from git and put the change in {where} as a correction with its source",
                )
            )
    targets = _targets(files)
    copies: dict[str, dict[str, Any]] = {}
    touched: dict[tuple[str, JsonPath], tuple[SpecFile, int]] = {}
    for spec_file in files:
        for index, correction in enumerate(spec_file.data.get("corrections", [])):
            problems += _apply(spec_file, index, correction, targets, copies, touched)
    if problems:
        raise SpecError(problems)
    if not copies:
        return files
    result = []
    for spec_file in files:
        data = copies.get(spec_file.name)
        if data is None:
            result.append(spec_file)
            continue
        applied = hashlib.sha256((spec_file.digest + json.dumps(data, ensure_ascii=False)).encode("utf-8")).hexdigest()
        result.append(SpecFile(spec_file.name, data, spec_file.lines, applied))
    return result


def awaiting_drafts(files: list[SpecFile]) -> list[SpecFile]:
    """The files without the corrections of categories not imported yet: `kisgen import` reads
    the spec before writing a first draft, and its corrections wait for it (they apply, and are
    checked, when the drafts are validated with the whole spec)."""
    drafted = {spec_file.name.rsplit("/", 1)[-1] for spec_file in files if f"/{IMPORTED_DIR}/" in f"/{spec_file.name}"}
    return [spec_file for spec_file in files if f"/{CORRECTIONS_DIR}/" not in f"/{spec_file.name}" or spec_file.name.rsplit("/", 1)[-1] in drafted]


def _targets(files: list[SpecFile]) -> dict[tuple[str, str], _Target]:
    targets: dict[tuple[str, str], _Target] = {}
    for spec_file in files:
        if not is_imported(spec_file):
            continue
        area = area_name(spec_file)
        for name in spec_file.data.get("operations", {}):
            targets[("operation", f"{area}.{name}")] = _Target(spec_file, ("operations", name), spec_file.data)
        for name in spec_file.data.get("codes", {}):
            targets[("codes", name)] = _Target(spec_file, ("codes", name), spec_file.data)
    return targets


def _apply(
    spec_file: SpecFile,
    index: int,
    correction: dict[str, Any],
    targets: dict[tuple[str, str], _Target],
    copies: dict[str, dict[str, Any]],
    touched: dict[tuple[str, JsonPath], tuple[SpecFile, int]],
) -> list[Problem]:
    here: JsonPath = ("corrections", index)
    kind = "operation" if "operation" in correction else "codes"
    name = correction[kind]
    target = targets.get((kind, name))
    if target is None:
        what = "an imported operation" if kind == "operation" else "a code table of an imported file"
        return [Problem(spec_file.name, spec_file.line_of(here + (kind,)), format_path(here + (kind,)), f"{name!r} is not {what}: it is gone from spec/imported/, or it is curated (correct curated files in place)")]
    data = copies.get(target.spec_file.name)
    if data is None:
        data = copies[target.spec_file.name] = copy.deepcopy(target.data)
    root = _get(data, target.path)
    problems: list[Problem] = []
    edits = [("set", key, value) for key, value in correction.get("set", {}).items()] + [("remove", key, None) for key in correction.get("remove", [])]
    for action, dotted, value in edits:
        where = here + ((action, dotted) if action == "set" else (action, correction["remove"].index(dotted)))
        key = (target.spec_file.name, target.path + tuple(dotted.split(".")))
        earlier = next((owner for (file_name, path), owner in touched.items() if file_name == key[0] and _overlaps(path, key[1])), None)
        if earlier is not None:
            message: str | None = f"{dotted} of {name} is also corrected by {earlier[0].name} correction {earlier[1] + 1}; merge the two"
        else:
            message = _edit(root, tuple(dotted.split(".")), action, value, name, f"{target.spec_file.name} {name}")
        if message is not None:
            problems.append(Problem(spec_file.name, spec_file.line_of(where), format_path(where), message))
            continue
        touched[key] = (spec_file, index)
    return problems


def _edit(root: Any, path: JsonPath, action: str, value: Any, name: str, shown: str) -> str | None:
    """Set or remove the value at ``path`` under ``root``; why not, or None when done."""
    dotted = ".".join(str(part) for part in path)
    parent = _get(root, path[:-1])
    last = str(path[-1])
    if isinstance(parent, list) and last.isdigit():
        exists = int(last) < len(parent)
    elif isinstance(parent, dict):
        exists = last in parent
    else:
        return f"target gone: {'.'.join(str(part) for part in path[:-1]) or name} is not in {shown}; KIS's sample changed, so review this correction"
    if not exists and (action == "remove" or isinstance(parent, list)):
        return f"target gone: {dotted} is not in {shown}; KIS's sample changed, so review this correction"
    if action == "remove":
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]
        return None
    current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
    if exists and current == value:
        return f"changes nothing: {dotted} is already {json.dumps(value, ensure_ascii=False)} in {shown}; drop this correction"
    if isinstance(parent, list):
        parent[int(last)] = value
    else:
        parent[last] = value
    return None


def _overlaps(first: JsonPath, second: JsonPath) -> bool:
    shorter = min(len(first), len(second))
    return first[:shorter] == second[:shorter]


def _get(node: Any, path: JsonPath) -> Any:
    """The value at ``path`` (keys, or digits for list items), or None when it is not there."""
    for part in path:
        if isinstance(node, dict):
            node = node.get(str(part))
        elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
