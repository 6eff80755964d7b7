"""`kisgen import`: draft spec files for the REST APIs of KIS's samples that the spec lacks.

One file per KIS category and client area (spec/imported/<area>_<category>.yaml), written
only by this command: a header names KIS's revision and carries a digest of the data, so that
an edit by hand shows and is never overwritten (reviewed changes go in spec/corrections/).
Every inferred fact carries its evidence (what, from which text, file:line in KIS's
repository), and inference is conservative: a response field is text unless its name and its
label agree on a date or a number; a code table only where KIS lists every code and its own
example is one of them; a mock TR_ID only where KIS's portal, KIS's code or a KIS comment names
it, never from the T→V rule alone. The drafts are validated and built as a whole spec before
anything is written.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .atomic import write_atomically
from .audit import area_of, category_of, import_stem, match
from .builder.names import RESERVED_CLASSES, RESERVED_RESPONSE_NAMES, camel, is_identifier, python_name_clash
from .corrections import CORRECTIONS_DIR, edited_by_hand, imported_digest
from .errors import Problem, SpecError
from .import_examples import draft_example, left_out_unless_given
from .import_outputs import draft_response, infer_kind
from .kis_portal import Portal, PortalApi
from .kis_samples import SampleApi, SampleField, Samples, TrChoice
from .load import load_text
from .model import PERIOD_NAME, Spec

IMPORTED_DIR = "imported"
REPOSITORY = "koreainvestment/open-trading-api"
WIRE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
CODE_ITEM = re.compile(r'^\s*"?(?P<code>[0-9A-Za-z]{1,8})"?\s*(?::|：|–|=)\s*(?P<label>[^:：=]+?)\s*$')
OPEN_ENDED = ("기타", "등", "…", "...", "종목코드", "업종코드", "개별", "이외", "그외", "입력")
BOUND = {"CANO": ("account_number", "^[0-9]{8}$", "12345678"), "ACNT_PRDT_CD": ("account_product", "^[0-9]{2}$", "01")}


@dataclass(slots=True)
class Draft:
    stem: str
    category: str
    area: str
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (KIS sample, why)

    @property
    def path(self) -> str:
        return f"{IMPORTED_DIR}/{self.stem}.yaml"


class _Skip(Exception):
    """This API cannot be drafted in the spec language as it stands; the reason says why."""


def choose(spec: Spec, samples: Samples, portal: Portal, categories: Iterable[str] = (), operations: Iterable[str] = ()) -> list[SampleApi]:
    """The sample APIs to draft: those no curated operation covers (ones a previous import
    drafted are drafted again), narrowed to ``categories`` (a file stem such as
    domestic_stock_ranking, or a KIS category such as "[국내주식] 순위분석") and ``operations``
    (a KIS function as area.name or category/name)."""
    pairs, unmatched, _ = match(spec, samples, portal)
    chosen = list(unmatched) + [pair.api for pair in pairs if f"/{IMPORTED_DIR}/" in f"/{pair.op.file}"]
    wanted_categories = {name.replace(" ", "") for name in categories}
    wanted_operations = set(operations)
    result = []
    for api in sorted(chosen, key=lambda item: item.file):
        category = category_of(api, portal)
        area = area_of(api.path)
        in_category = not wanted_categories or {import_stem(category, area), category.replace(" ", "")} & wanted_categories
        in_operations = not wanted_operations or {f"{area}.{api.name}", api.qualname} & wanted_operations
        if in_category and in_operations:
            result.append(api)
    return result


def draft(spec: Spec, samples: Samples, portal: Portal, apis: list[SampleApi]) -> list[Draft]:
    drafts: dict[str, Draft] = {}
    tables = _Tables(spec, {f"{IMPORTED_DIR}/{import_stem(category_of(api, portal), area_of(api.path))}.yaml" for api in apis})
    labels = _known_labels(spec, apis)
    for api in apis:
        category = category_of(api, portal)
        area = area_of(api.path)
        stem = import_stem(category, area)
        target = drafts.setdefault(stem, Draft(stem, category, area))
        try:
            target.operations[api.name] = _operation(api, portal.find(api.method, api.path), portal, samples, tables, labels, target)
        except _Skip as reason:
            target.skipped.append((api.qualname, str(reason)))
            tables.skipped.add((stem, api.name))
    tables.settle(drafts.values())
    return [drafts[stem] for stem in sorted(drafts)]


# ---------------------------------------------------------------------------------------------
# One operation


def _known_labels(spec: Spec, apis: list[SampleApi]) -> dict[str, tuple[str, str]]:
    """Each request field's label where the curated spec or a sample gives one: wire → (label,
    whose); never from earlier drafts, so that importing again gives the same draft."""
    known: dict[str, tuple[str, str]] = {}
    for op in spec.operations:
        if f"/{IMPORTED_DIR}/" not in f"/{op.file}":
            for field in op.fields:
                known.setdefault(field.wire, (field.label, f"the spec's {op.qualname}"))  # a reviewed label first
    for api in sorted(apis, key=lambda item: item.file):
        for item in api.fields:
            if item.label is not None and item.label.strip().upper() != item.wire.upper():
                known.setdefault(item.wire, (_text(item.label), f"KIS's sample {api.qualname}"))
    return known


def _operation(api: SampleApi, entry: PortalApi | None, portal: Portal, samples: Samples, tables: _Tables, labels: dict[str, tuple[str, str]], target: Draft) -> dict[str, Any]:
    if not is_identifier(api.name):
        raise _Skip(f"{api.name!r} is not a Python name")
    evidence: list[dict[str, Any]] = []

    def note(fact: str, value: Any, reason: str, at: object) -> None:
        evidence.append({"fact": fact, "value": value, "from": _text(reason), "at": str(at)})

    title = _text(api.title or (entry.name if entry else "") or api.name)
    op: dict[str, Any] = {"summary": title}
    api_id = api.api_id or (entry.api_id if entry else None)
    if api_id:
        op["api_id"] = api_id
    op["method"] = api.method
    op["path"] = api.path
    real_trs = [choice.real for choice in api.choices if choice.real]
    order = api.method == "POST" and any(tr.endswith("U") for tr in real_trs)
    op["kind"] = "order" if order else "read"
    note("kind", op["kind"], f"{api.method} with TR_ID {', '.join(real_trs) or '(none)'} ({'U: an order' if order else 'a read'})", api.header_at)
    differs: list[dict[str, Any]] = []  # where the draft knowingly sends what KIS's sample does not
    op["tr_id"], selector = _tr_ids(api, entry, portal, note, differs)
    site = f"KIS sample code {api.file} ({REPOSITORY}@{samples.short})"
    op["source"] = f"{site}; {portal.source}, {entry.collection} {entry.name}" + ("" if entry.mock else " (모의투자 미지원)") if entry else site
    request, paging = _request(api, entry, portal, tables, labels, target, note)
    if paging is not None:
        op["pagination"] = paging
    if request:
        op["request"] = request
    op["response"] = draft_response(api, entry, note, _Skip)
    example = draft_example(api, op, selector, differs, set(entry.required) if entry is not None else set(), f"{portal.source} marks it required")
    if example is not None:
        op["kis_example"] = example
    op["evidence"] = evidence
    return op


def _tr_ids(api: SampleApi, entry: PortalApi | None, portal: Portal, note: Any, differs: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """The TR_ID table, and the sample parameter that picks its branch (None: one TR_ID)."""
    choices = [choice for choice in api.choices if choice.real]
    if not choices:
        raise _Skip("no TR_ID in the sample")
    table: dict[str, Any] = {}
    selector: str | None = None
    if len(choices) == 1 and not choices[0].when:
        keys: list[tuple[str, ...]] = [()]
        table["real"] = _portal_real(choices[0], entry, portal, note, differs)
    else:
        parameters = {condition.parameter for choice in choices for condition in choice.when}
        if len(parameters) != 1 or any(len(choice.when) != 1 or choice.when[0].negated or len(choice.when[0].values) != 1 for choice in choices):
            raise _Skip("TR_ID chain by " + ", ".join(sorted(parameters)) + ": more than one selector; draft it by hand")
        selector = parameters.pop()
        values = [choice.when[0].values[0] for choice in choices]
        dim = "side" if set(values) == {"buy", "sell"} else "period"
        if dim == "period" and not all(PERIOD_NAME.fullmatch(value) for value in values):
            raise _Skip(f"TR_ID chain by {selector} with values {values} that are neither names nor codes")
        if dim == "period" and not all(is_identifier(value) for value in values):
            note("tr_id.by", "period", f"the sample picks the TR_ID by {selector}, whose values are KIS's codes ({', '.join(values)}): the client's period takes them as they are", choices[0].real_at)
        table["by"] = [dim]
        table["real"] = {value: choice.real for value, choice in zip(values, choices)}
        keys = [(value,) for value in values]
    for choice in choices:
        note("tr_id.real", choice.real, f"the sample's TR_ID ({', '.join(str(c) for c in choice.when) or 'always'})", choice.real_at)
    mocks = [_mock_evidence(choice, entry, portal) for choice in choices]
    if entry is not None and not entry.mock:
        table["mock"] = "unsupported"
        note("tr_id.mock", "unsupported", f"{portal.source}: {entry.name} 모의투자 미지원", f"{portal.source} ({entry.path})")
        return table, selector
    if all(mock is None for mock in mocks):
        table["mock"] = "unsupported"
        why = "no mock TR_ID in KIS's portal listing, code or comments (kis_auth's T/J/C→V rule alone is not evidence)"
        note("tr_id.mock", "unsupported", why, api.file)
        return table, selector
    real_only = []
    for key, choice, mock in zip(keys, choices, mocks):
        if mock is None:
            portal_says = f"; {portal.source}: {entry.mock_text}" if entry is not None else ""
            source = _text(f"KIS sample code {choice.real_at} refuses env_dv demo here, while other branches have mock TR_IDs{portal_says}")
            real_only.append({"when": {table["by"][0]: key[0]}, "source": source})
            note("tr_id.mock", "real only", source, choice.real_at)
    if real_only:
        table["real_only"] = real_only
    offered = [(key, choice, mock) for key, choice, mock in zip(keys, choices, mocks) if mock is not None]
    overrides = []
    same = all(mock[0] == choice.real for _, choice, mock in offered)
    for key, choice, mock in offered:
        assert choice.real is not None
        tr_id, reason, at = mock
        note("tr_id.mock", tr_id, reason, at)
        derived = "V" + choice.real[1:] if choice.real[:1] in ("T", "J", "C") else None
        if not same and tr_id != derived:
            when = {table["by"][0]: key[0]} if key else {}
            overrides.append({"when": when, "tr_id": tr_id, "source": _text(reason)})
    if same:
        table["mock"] = "same"
    elif overrides and any(choice.real[:1] not in ("T", "J", "C") for _, choice, _ in offered if choice.real):
        raise _Skip("mock TR_IDs neither the same as real nor derivable by the rule; draft by hand")
    if overrides:
        if any(not override["when"] for override in overrides):
            raise _Skip("a mock TR_ID for an operation without branches that the rule does not give; draft by hand")
        table["mock_overrides"] = overrides
    return table, selector


def _portal_real(choice: TrChoice, entry: PortalApi | None, portal: Portal, note: Any, differs: list[dict[str, Any]]) -> str:
    """The real TR_ID of a one-TR_ID API: the sample's, unless KIS's portal lists another (KIS's
    sample then sends a TR_ID of another API, as HHDFO55020100 for the option minute chart)."""
    assert choice.real is not None
    listed = tuple(dict.fromkeys(entry.real_tr_ids)) if entry is not None else ()
    if entry is None or len(listed) != 1 or listed[0] == choice.real:
        return choice.real
    source = _text(f"{portal.source} lists {listed[0]} for {entry.name}; KIS's sample sends {choice.real}")
    note("tr_id.real", listed[0], source, f"{portal.source} ({entry.path})")
    differs.append({"fact": "tr_id.real", "kis": choice.real, "source": source})
    return listed[0]


def _mock_evidence(choice: TrChoice, entry: PortalApi | None, portal: Portal) -> tuple[str, str, object] | None:
    """The mock TR_ID of one branch and what names it: KIS's portal, its code, or its comment."""
    listed = entry.mock_tr_ids if entry is not None else ()
    code = choice.mock if choice.mock_how == "code" else None
    comment = choice.comment_mocks[0] if len(set(choice.comment_mocks)) == 1 else None
    for candidate, how in ((code, "code"), (comment, "comment"), (choice.mock, "rule")):
        if candidate is None:
            continue
        if candidate in listed:
            return candidate, f"{portal.source} lists {candidate} for {entry.name if entry else ''}", f"{portal.source} ({entry.path if entry else ''})"
        if how == "code":
            return candidate, f"KIS's sample sends {candidate} for env_dv demo", choice.mock_at
        if how == "comment":
            return candidate, f"KIS wrote {candidate} as the mock TR_ID", choice.comments[0].at
    if entry is not None and entry.mock and choice.real in listed:
        return choice.real, f"{portal.source} lists {choice.real} for mock accounts too", f"{portal.source} ({entry.path})"
    if entry is not None and entry.mock and choice.mock_how == "unchanged" and choice.real and not listed:
        return choice.real, f"{portal.source} offers {entry.name} on mock; KIS's sample sends {choice.real} there unchanged", choice.real_at
    return None


def _request(api: SampleApi, entry: PortalApi | None, portal: Portal, tables: _Tables, labels: dict[str, tuple[str, str]], target: Draft, note: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    request: dict[str, Any] = {}
    required_in_portal = set(entry.required) if entry is not None else set()
    left_out = left_out_unless_given(api)
    paging_keys = dict(api.paging.request) if api.paging is not None else {}
    for item in api.fields:
        wire = item.wire
        if not WIRE.fullmatch(wire):
            raise _Skip(f"request field {wire!r} is not a name the spec can hold")
        where = f"request.{wire}"
        entry_field: dict[str, Any] = {"label": _text(item.label or wire)}
        clash = python_name_clash(wire.lower())
        if clash is not None:
            # PEP 8's way with a name Python or the generated code holds: a trailing underscore.
            entry_field["py_name"] = wire.lower() + "_"
            if python_name_clash(entry_field["py_name"]) is not None:
                raise _Skip(f"request field {wire} has no usable Python name")
            note(f"{where}.py_name", entry_field["py_name"], f"{wire.lower()!r} {clash}", item.at)
        unlabelled = item.label is None or item.label.strip().upper() == wire.upper()  # "CTS (str): CTS"
        if unlabelled and wire in labels:
            entry_field["label"], whose = labels[wire]
            note(f"{where}.label", entry_field["label"], f"KIS's sample gives no label; {whose} labels {wire} so", item.at)
        elif unlabelled:
            note(f"{where}.label", wire, "KIS's sample gives no label; the wire name stands in", item.at)
        if wire in BOUND:
            bind, pattern, example = BOUND[wire]
            entry_field.update({"required": True, "pattern": pattern, "bind": bind, "example": example})
            request[wire] = entry_field
            continue
        required = item.required
        if required is None and wire in required_in_portal:
            required = True
            note(f"{where}.required", True, f"{portal.source} marks it required", f"{portal.source} ({api.path})")
        elif required is not None:
            note(f"{where}.required", required, item.required_from or "KIS's sample", item.at)
        if required:
            entry_field["required"] = True
        default = item.constant if item.constant is not None else item.default
        if item.constant is not None:
            note(f"{where}.default", item.constant, "KIS's sample always sends this value", item.at)
        elif item.allowed is not None and len(item.allowed) == 1 and default is None:
            default = item.allowed[0]
            note(f"{where}.default", default, f"KIS's sample refuses any other value ({item.parameter} != {default!r} raises)", item.at)
        elif item.default is not None:
            note(f"{where}.default", item.default, "the sample function's default", item.at)
        elif item.parameter in left_out:
            default = ""
            portal_says = f"; {portal.source} marks it required" if wire in required_in_portal else ""
            note(f"{where}.default", "", f"KIS's sample leaves {wire} out unless it is given (default None); the spec sends it blank{portal_says}", item.at)
        if wire in paging_keys:
            default = ""
            digits = re.findall(r"[0-9]+$", wire)
            if digits:
                entry_field["max_length"] = int(digits[0])
        elif default is None and item.parameter is not None and api.call is not None and api.call.passes(item.parameter) and api.call.value(item.parameter) == "":
            # KIS takes the key blank (its own example sends it so): no need to make the caller pass it.
            default = ""
            note(f"{where}.default", "", "KIS's own example call sends it blank: sent blank unless given", api.call.at)
        elif not required and default is None:
            # An optional field is an optional parameter: sent blank unless the caller gives it.
            default = ""
            note(f"{where}.default", "", "nothing marks it required (KIS's sample, its docstring, KIS's portal): sent blank unless given", item.at)
        codes = tables.codes_for(api, item, default, target, note, where)
        if codes is not None:
            entry_field["codes"] = codes
        if default is not None:
            entry_field["default"] = default
        if item.example is not None and item.example != default:
            entry_field["example"] = item.example
        description = _aside(item.description or "", item.label or "")
        if description:
            entry_field["description"] = _text(description)
        request[wire] = entry_field
    paging = None
    if api.paging is not None:
        keys: dict[str, str] = {}
        # The CTX_AREA pair in one order, the position key (NK) last.
        for wire, response in sorted(api.paging.request, key=lambda pair: "_NK" in pair[0].upper()):
            name = response.rpartition(".")[2]
            if wire.upper().startswith("CTX_AREA_") and name.lower() != wire.lower():
                note(f"pagination.keys.{wire}", wire.lower(), f"KIS's sample sends {response} back as {wire}, a slip: {wire} comes from {wire.lower()}", api.paging.at)
                response = wire.lower()
            keys[wire] = response
        paging = {"keys": keys}
        note("pagination", ", ".join(f"{wire} <- {response}" for wire, response in keys.items()), "KIS's sample sends these back while tr_cont is F or M", api.paging.at)
    elif api.pages_without_keys:
        paging = {"keys": {}}
        note("pagination", "tr_cont alone", "KIS's sample follows tr_cont and sends nothing else back: the same request again with tr_cont N", api.file)
    return request, paging


class _Tables:
    """Code tables for the drafts. A curated table with exactly these codes is used as it is; a
    draft never uses a table of another imported file (it would be named after another API, and
    the two files could no longer be imported apart): it defines its own, named after the field
    (``fid_div_cls_code``) where every operation of the draft that sends the field lists the same
    codes; else, or where another file holds that name, a table several operations share after
    the draft's category and the field (``ranking_fid_div_cls_code``), one operation's after it
    (``disparity_fid_div_cls_code``). Names are settled after every operation is drafted, in the
    order of the drafts' files, so they do not depend on the order of the operations."""

    PENDING = "\0codes:"

    def __init__(self, spec: Spec, replaced: set[str]) -> None:
        self.curated: dict[tuple[tuple[str, str], ...], str] = {}
        self.taken = set(RESERVED_CLASSES)
        self.names: set[str] = set()
        for table in spec.code_tables:
            if any(table.file.endswith(path) for path in replaced):
                continue  # a file this import replaces: its tables go with it
            self.names.add(table.name)
            self.taken.add(table.class_name)
            if f"/{IMPORTED_DIR}/" not in f"/{table.file}":
                self.curated.setdefault(tuple((code.value, code.label) for code in table.codes), table.name)
        self.pending: list[tuple[str, str, tuple[tuple[str, str], ...], str, Draft]] = []  # (field, operation, codes, label, draft)
        self.skipped: set[tuple[str, str]] = set()  # (file stem, operation) not drafted after all: their tables go too

    def codes_for(self, api: SampleApi, item: SampleField, default: str | None, target: Draft, note: Any, where: str) -> str | None:
        codes = parse_codes(item.description or "")
        if codes is None:
            return None
        values = tuple(value for value, _ in codes)
        for value, why in ((default, "default"), (item.example, "example")):
            if value is not None and value not in values:
                note(f"{where}.codes", "", f"the description lists codes {', '.join(values)} but the {why} {value!r} is not one; left as free text", item.at)
                return None
        if item.allowed is not None and set(item.allowed) != set(values):
            note(f"{where}.codes", "", f"the description lists {', '.join(values)}, the sample's check {', '.join(item.allowed)}; left as free text", item.at)
            return None
        token = self.curated.get(codes)
        if token is None:
            token = f"{self.PENDING}{len(self.pending)}"
            self.pending.append((item.wire.lower(), api.name, codes, _text(item.label or item.wire), target))
        note(f"{where}.codes", token, f"the description lists every code: {item.description}", item.at)
        return token

    def settle(self, drafts: Iterable[Draft]) -> None:
        """Name the new tables, put them in their drafts, and replace the placeholders."""
        live = [(index, entry) for index, entry in enumerate(self.pending) if (entry[4].stem, entry[1]) not in self.skipped]
        by_field: dict[tuple[str, str], set[tuple[tuple[str, str], ...]]] = {}
        users: dict[tuple[str, str, tuple[tuple[str, str], ...]], set[str]] = {}
        for _, (base, operation, codes, _, target) in live:
            by_field.setdefault((target.stem, base), set()).add(codes)
            users.setdefault((target.stem, base, codes), set()).add(operation)
        names: dict[str, str] = {}
        chosen: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
        for index, (base, operation, codes, label, target) in sorted(live, key=lambda item: (item[1][4].stem, item[0])):
            name = chosen.get((target.stem, base, codes))
            if name is None:
                # The field's name where the draft has one table for it; a table several operations
                # share, named after the draft's category (ranking_fid_div_cls_code), never after
                # one of them; else after its operation.
                category = target.stem.removeprefix(f"{target.area}_")
                candidates = [base] if len(by_field[(target.stem, base)]) == 1 else []
                if len(users[(target.stem, base, codes)]) > 1:
                    candidates.append(f"{category}_{base}")
                candidates += [f"{operation}_{base}", f"{target.area}_{operation}_{base}"]
                name = next((candidate for candidate in candidates if candidate not in self.names and camel(candidate) not in self.taken), candidates[-1])
                while name in self.names or camel(name) in self.taken:
                    name = f"{name}_codes"
                self.names.add(name)
                self.taken.add(camel(name))
                chosen[(target.stem, base, codes)] = name
                target.codes[name] = {"label": label, "values": {value: {"name": _member(value), "label": _text(text)} for value, text in codes}}
            names[f"{self.PENDING}{index}"] = name
        for item in drafts:
            for op in item.operations.values():
                for request_field in op.get("request", {}).values():
                    if str(request_field.get("codes", "")).startswith(self.PENDING):
                        request_field["codes"] = names[request_field["codes"]]
                for entry in op.get("evidence", []):
                    if str(entry.get("value", "")).startswith(self.PENDING):
                        entry["value"] = names[entry["value"]]


def parse_codes(text: str) -> tuple[tuple[str, str], ...] | None:
    """``(ex. J:KRX, NX:NXT)``, ``"0": 전체, "1": 보통주`` or ``01 – 대출일별 | 02 – 종목별``:
    every item a code and a label, two or more, nothing open-ended; else None."""
    inner = re.findall(r"\(([^()]*)\)", text)
    candidates = inner + [text]
    for candidate in candidates:
        candidate = re.sub(r"^\s*ex\)?\.?\s*", "", candidate.strip())
        if any(word in candidate for word in OPEN_ENDED):
            continue
        items = [part for part in re.split(r"\s*[,|]\s*", candidate) if part.strip()]
        parsed = [CODE_ITEM.match(part) for part in items]
        if len(items) >= 2 and all(parsed):
            codes = tuple((match.group("code"), match.group("label").strip()) for match in parsed if match)
            if len({code for code, _ in codes}) == len(codes) and all(label for _, label in codes):
                return codes
    return None


def _aside(description: str, label: str) -> str:
    """What KIS's text says beside the field's name: ``[필수] 조건 시장 분류 코드 (ex. J:KRX)`` →
    ``ex. J:KRX`` (required-ness has its own key, the name is the label)."""
    text = re.sub(r"^\s*\[(필수|선택)\]\s*", "", description).strip()
    text = re.sub(r"\.?\s*Defaults? to .*$", "", text)  # the default has its own key
    if text in (f"[{label}]", f"({label})"):
        return ""
    if label and text.startswith(label):
        rest = text[len(label) :].strip().lstrip(",:;-–").strip()
        text = rest[1:-1].strip() if rest[:1] in "(（" and rest[-1:] in ")）" else rest
    return "" if text in ("필수", "선택") else text


def _member(value: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", value).upper()
    return name if re.fullmatch(r"[A-Z][A-Z0-9_]*", name) else f"CODE_{name}"


def _text(value: str) -> str:
    """Free text as the spec takes it: one line, no outer whitespace."""
    return re.sub(r"\s+", " ", value).strip() or "-"


# ---------------------------------------------------------------------------------------------
# Writing


def render(item: Draft, samples: Samples, portal: Portal) -> bytes:
    """The draft as a spec file: a comment, the header with its digest, then the data."""
    data: dict[str, Any] = {
        "imported": {
            "repository": REPOSITORY,
            "revision": samples.revision,
            "category": item.category,
            "corrections": f"spec/{CORRECTIONS_DIR}/{item.stem}.yaml",
        },
        "source": {
            "document": f"KIS sample code ({REPOSITORY} examples_llm, {item.category}) and {portal.source}",
            "date": samples.date,
        },
        "area": item.area,
    }
    if item.codes:
        data["codes"] = item.codes
    data["operations"] = item.operations
    data["imported"]["digest"] = imported_digest(data)
    header = (
        f"# Drafted by `kisgen import` from KIS's samples ({REPOSITORY}@{samples.short}): {item.category}.\n"
        "# Written only by `kisgen import`; an edit by hand fails validation. Reviewed corrections go in\n"
        f"# spec/{CORRECTIONS_DIR}/{item.stem}.yaml (`corrections:`, each with its source) and keep applying after a re-import.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100_000)
    return (header + body).encode("utf-8")


def write_drafts(spec_dir: Path, drafts: list[Draft], samples: Samples, portal: Portal) -> tuple[list[str], dict[str, list[Problem]]]:
    """Validate the drafts with the whole spec, then write those that build; return the files
    written, and the problems of each draft left unwritten (a file edited by hand or not
    imported, or a draft the spec does not build with). One failing category never stops the
    others; a problem no draft causes stops them all (SpecError)."""
    rendered = {item.path: render(item, samples, portal) for item in drafts if item.operations}
    refused: dict[str, list[Problem]] = {}
    for relative in rendered:
        existing = spec_dir / relative
        if not existing.exists():
            continue
        shown = f"{spec_dir.name}/{relative}"
        current = load_text(shown, existing.read_bytes())
        if "imported" not in current.data:
            refused[relative] = [Problem(shown, 1, "", "not written by `kisgen import`: it is never replaced; move it away to import this category")]
        elif edited_by_hand(current):
            stem = Path(relative).stem
            refused[relative] = [Problem(shown, current.line_of(("imported", "digest")), "imported.digest", f"edited by hand since the last import: not replaced. Restore it from git and put the change in spec/{CORRECTIONS_DIR}/{stem}.yaml")]
    remaining = {relative: text for relative, text in rendered.items() if relative not in refused}
    while remaining:
        try:
            _trial(spec_dir, remaining)
            break
        except SpecError as error:
            blamed: dict[str, list[Problem]] = {}
            for problem in error.problems:
                culprit = _draft_of(problem.file, remaining)
                if culprit is None:
                    raise  # the spec does not build for a reason no draft explains
                blamed.setdefault(culprit, []).append(problem)
            refused.update(blamed)
            remaining = {relative: text for relative, text in remaining.items() if relative not in blamed}
    written = []
    for relative, text in remaining.items():
        path = spec_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != text:
            write_atomically(path, text)
            written.append(f"{spec_dir.name}/{relative}")
    return written, refused


def _trial(spec_dir: Path, rendered: dict[str, bytes]) -> None:
    """Build the spec with the drafts in a scratch copy; SpecError names a draft's file and line."""
    from .pipeline import load_spec

    with tempfile.TemporaryDirectory(prefix="kisgen-import-") as scratch:
        trial = Path(scratch) / spec_dir.name
        shutil.copytree(spec_dir, trial, symlinks=True)
        for relative, text in rendered.items():
            (trial / relative).parent.mkdir(parents=True, exist_ok=True)
            (trial / relative).write_bytes(text)
        load_spec(trial)


def _draft_of(shown: str, drafts: dict[str, bytes]) -> str | None:
    """The draft a problem's file belongs to: the draft itself, or its corrections file."""
    relative = shown.partition("/")[2]
    if relative in drafts:
        return relative
    folder, _, name = relative.partition("/")
    own = f"{IMPORTED_DIR}/{name}"
    return own if folder == CORRECTIONS_DIR and own in drafts else None
