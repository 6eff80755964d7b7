"""`kisgen audit`: KIS's sample repository against the spec.

Each REST API of KIS's samples is matched to a spec operation (method and path, then TR_ID)
and compared fact by fact: TR_IDs per environment and branch (code and comments read apart),
mock support (with KIS's portal listing as a third voice), request fields and required-ness,
outputs and output fields. A difference the spec explains is "known": by its structure (a mock
override, a real-only operation, a retired TR_ID, KIS's portal listing), or by an operation's
`known_differences:` entry naming the check, what KIS has and a source; the rest is drift. An
entry that explains nothing any more is reported "stale". KIS's own code disagreeing with its
own comment is reported as such, whatever the spec says.

Like `kisgen diff`, one small check per kind of fact, listed in ``CHECKS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .examples import example_problems
from .kis_portal import Portal, PortalApi
from .kis_samples import SampleApi, Samples, TrChoice
from .model import KnownDifference, Operation, Spec, TrCell

DRIFT, KNOWN, KIS, STALE = "drift", "known", "kis", "stale"
IMPORTED_DIR = "imported"
SUBMENU_SLUGS = {
    "주문/계좌": "trading",
    "기본시세": "quotations",
    "ELW 시세": "elw_quotations",
    "ELW시세": "elw_quotations",
    "업종/기타": "sector",
    "종목정보": "info",
    "시세분석": "analysis",
    "순위분석": "ranking",
    "인증": "auth",
    "OAuth인증": "auth",
}


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: str  # "drift", "known" (the spec explains it, with a source), "kis" (KIS's file disagrees with itself) or "stale" (an explanation nothing needs)
    operation: str | None  # the spec operation, area.name
    api: str  # KIS's sample: category/function
    message: str
    source: str | None = None  # for "known": where the spec explains it
    at: str | None = None  # file:line in KIS's repository
    details: dict[str, str | None] = field(default_factory=dict)  # "kis": what KIS has, "spec": what the spec has


@dataclass(frozen=True, slots=True)
class Pair:
    api: SampleApi
    op: Operation
    portal: PortalApi | None
    spec: Spec


@dataclass(frozen=True, slots=True)
class CategoryCoverage:
    category: str  # the portal's collection (or the sample's menu)
    apis: tuple[str, ...]  # KIS sample functions, category/function
    curated: tuple[str, ...]  # those the spec covers with curated operations
    imported: tuple[str, ...]
    missing: tuple[str, ...]
    realtime: tuple[str, ...]
    files: tuple[str, ...]  # where `kisgen import` writes this category's drafts
    real_only: tuple[str, ...] = ()  # those the spec offers on real accounts only (KIS: 모의투자 미지원)
    real_only_branches: tuple[str, ...] = ()  # those with some branches on real accounts only


@dataclass(frozen=True, slots=True)
class Audit:
    repository: str
    revision: str
    date: str
    portal: str
    findings: tuple[Finding, ...]
    agree: tuple[str, ...]  # spec operations with no finding
    coverage: tuple[CategoryCoverage, ...]
    spec_only: tuple[str, ...]  # spec operations KIS's samples lack
    portal_only: tuple[str, ...]  # REST APIs the portal lists and the samples lack
    problems: tuple[str, ...]  # what the sample reader could not read

    @property
    def drift(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.status == DRIFT)

    @property
    def stale(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.status == STALE)


# ---------------------------------------------------------------------------------------------
# Matching


def area_of(path: str) -> str:
    """The client area of a KIS URL: its family under /uapi/ (/uapi/overseas-price/v1/... →
    overseas_price), or auth for /oauth2/."""
    parts = path.strip("/").split("/")
    if parts[0] == "uapi" and len(parts) > 1:
        return parts[1].replace("-", "_")
    return "auth"


def category_of(api: SampleApi, portal: Portal) -> str:
    entry = portal.find(api.method, api.path)
    return entry.collection if entry is not None else api.menu


def import_stem(category: str, area: str) -> str:
    """The spec/imported/ file of one (category, area): domestic_stock_ranking, etfetn_quotations."""
    submenu = category.split("]", 1)[-1].strip() if "]" in category else category
    slug = SUBMENU_SLUGS.get(submenu) or SUBMENU_SLUGS.get(submenu.replace(" ", "")) or "other"
    return slug if slug == area or slug.startswith(area + "_") else f"{area}_{slug}"


def match(spec: Spec, samples: Samples, portal: Portal) -> tuple[list[Pair], list[SampleApi], list[Finding]]:
    """Sample APIs paired with spec operations (method and path, then TR_ID), the unpaired
    samples, and a finding for each pair matched by path only (the method differs)."""
    by_path: dict[str, list[Operation]] = {}
    for op in spec.operations:
        by_path.setdefault(op.path, []).append(op)
    pairs: list[Pair] = []
    unmatched: list[SampleApi] = []
    findings: list[Finding] = []
    for api in samples.apis:
        candidates = by_path.get(api.path, [])
        same_method = [op for op in candidates if op.method == api.method]
        chosen = same_method or candidates
        if len(chosen) > 1:
            sent = {tr for choice in api.choices for tr in (choice.real, choice.mock) if tr}
            chosen = [op for op in chosen if op.tr is not None and sent & {cell.tr_id for cell in op.tr.cells}] or chosen[:1]
        if not chosen:
            unmatched.append(api)
            continue
        op = chosen[0]
        pairs.append(Pair(api, op, portal.find(api.method, api.path), spec))
        if op.method != api.method:
            findings.append(Finding("method", DRIFT, op.qualname, api.qualname, f"method: KIS's sample sends {api.method}, the spec {op.method}", at=api.file, details={"kis": api.method, "spec": op.method}))
    return pairs, unmatched, findings


# ---------------------------------------------------------------------------------------------
# Checks


def _when(choice: TrChoice) -> str:
    return ", ".join(str(condition) for condition in choice.when) or "always"


def _cell_name(cell: TrCell, env: str | None = None) -> str:
    """The cell's environment (or ``env``) and dimensions, as in "mock US sell"."""
    parts = [part for part in (cell.market, cell.side, cell.period) if part]
    env = env or cell.env
    return f"{env} {' '.join(parts)}".strip() if parts else env


def _mock_how(how: str | None) -> str:
    return {
        "code": "written for env_dv demo",
        "sample_rule": "the sample's own \"V\" + tr_id[1:]",
        "transport_rule": "kis_auth.py's T/J/C→V rule",
        "unchanged": "sent unchanged by kis_auth.py",
    }.get(how or "", how or "")


def check_tr_ids(pair: Pair, samples: Samples) -> Iterator[Finding]:
    """Real and mock TR_IDs per branch; the mock side also against KIS's comments."""
    api, op = pair.api, pair.op
    if op.tr is None:
        return
    real_cells = [cell for cell in op.tr.cells if cell.env == "real"]
    mock_cells = {(cell.market, cell.side, cell.period): cell for cell in op.tr.cells if cell.env == "mock"}
    spec_real = {cell.tr_id for cell in real_cells}
    retired = dict(op.tr.retired)
    unconditional = [choice for choice in api.choices if not choice.when and choice.real]
    for choice in api.choices:
        if choice.real is None:
            continue
        if choice.real in retired:
            yield Finding("tr-id", KNOWN, op.qualname, api.qualname, f"KIS's sample still sends retired real TR_ID {choice.real} ({_when(choice)})", retired[choice.real], str(choice.real_at))
            continue
        if choice.real not in spec_real and not unconditional:
            yield Finding("tr-id", DRIFT, op.qualname, api.qualname, f"KIS's sample sends real TR_ID {choice.real} ({_when(choice)}); the spec has no such TR_ID", None, str(choice.real_at), {"kis": choice.real})
    for cell in real_cells:
        kis_choices = unconditional if unconditional else [choice for choice in api.choices if choice.real == cell.tr_id]
        if unconditional and unconditional[0].real != cell.tr_id:
            choice = unconditional[0]
            yield Finding("tr-id", DRIFT, op.qualname, api.qualname, f"{_cell_name(cell)}: the spec sends {cell.tr_id}, KIS's sample {choice.real} for every branch", None, str(choice.real_at), {"cell": _cell_name(cell), "spec": cell.tr_id, "kis": choice.real})
            kis_choices = []
        elif not kis_choices and api.choices:
            yield Finding("tr-id", DRIFT, op.qualname, api.qualname, f"{_cell_name(cell)}: the spec's {cell.tr_id} is not in KIS's sample", None, api.file, {"cell": _cell_name(cell), "spec": cell.tr_id})
        key = (cell.market, cell.side, cell.period)
        for choice in kis_choices:
            yield from _check_mock(pair, choice, mock_cells.get(key), cell, samples)


def _check_mock(pair: Pair, choice: TrChoice, mock: TrCell | None, real: TrCell, samples: Samples) -> Iterator[Finding]:
    api, op = pair.api, pair.op
    name = _cell_name(real, "mock")
    at = str(choice.mock_at or choice.real_at)
    if mock is None:
        if choice.mock is None:
            return
        source = op.source
        if source is None and pair.portal is not None and not pair.portal.mock:
            source = "KIS API portal: 모의투자 미지원"
        yield Finding(
            "mock-support",
            KNOWN if source else DRIFT,
            op.qualname,
            api.qualname,
            f"{name}: KIS's sample would send {choice.mock} ({_mock_how(choice.mock_how)}); the spec marks the operation real-only",
            source,
            at,
            {"cell": name, "kis": choice.mock, "kis_how": choice.mock_how},
        )
        return
    if choice.mock is None:
        yield Finding("mock-support", DRIFT, op.qualname, api.qualname, f"{name}: KIS's sample refuses a mock account here ({_when(choice)}); the spec sends {mock.tr_id}", None, at, {"cell": name, "spec": mock.tr_id})
        return
    if choice.mock != mock.tr_id:
        source = mock.source if mock.how == "override" else None
        comments = choice.comment_mocks
        agreeing = " (as KIS's comment says)" if mock.tr_id in comments else ""
        yield Finding(
            "tr-id",
            KNOWN if source else DRIFT,
            op.qualname,
            api.qualname,
            f"{name}: the spec sends {mock.tr_id}{agreeing}; KIS's code sends {choice.mock} ({_mock_how(choice.mock_how)})",
            source,
            at,
            {"cell": name, "spec": mock.tr_id, "kis": choice.mock, "kis_how": choice.mock_how, "kis_comment": ", ".join(comments) or None},
        )


def check_kis_comments(pair: Pair, samples: Samples) -> Iterator[Finding]:
    """KIS's code and KIS's comments naming different mock TR_IDs for one branch."""
    yield from kis_disagreements(pair.api, pair.op)


def kis_disagreements(api: SampleApi, op: Operation | None) -> Iterator[Finding]:
    for choice in api.choices:
        written = choice.comment_mocks
        if not written or (choice.mock is not None and set(written) == {choice.mock}):
            continue
        places = "; ".join(f"{comment.mock} at {comment.at}" for comment in choice.comments)
        spec_mock = None
        if op is not None and op.tr is not None:
            real = next((cell for cell in op.tr.cells if cell.env == "real" and cell.tr_id == choice.real), None)
            if real is not None:
                spec_mock = op.tr.lookup("mock", real.market, real.side, real.period)
        side = f"; the spec sends {spec_mock}" + (" (with the comment)" if spec_mock in written else " (with the code)" if spec_mock == choice.mock else "") if spec_mock else ""
        yield Finding(
            "kis-code-vs-comment",
            KIS,
            op.qualname if op is not None else None,
            api.qualname,
            f"mock {choice.real} ({_when(choice)}): KIS's code sends {choice.mock or 'nothing'} ({_mock_how(choice.mock_how)}), its comments say {', '.join(written)} ({places}){side}",
            None,
            str(choice.mock_at or choice.real_at),
            {"real": choice.real, "code": choice.mock, "comment": ", ".join(written), "spec": spec_mock},
        )


def check_portal(pair: Pair, samples: Samples) -> Iterator[Finding]:
    """Mock support and mock TR_IDs as KIS's portal lists them."""
    entry, op = pair.portal, pair.op
    if entry is None or op.tr is None:
        return
    spec_mock = {cell.tr_id for cell in op.tr.cells if cell.env == "mock"}
    if not entry.mock and spec_mock:
        yield Finding("mock-support", DRIFT, op.qualname, pair.api.qualname, f"KIS API portal lists {entry.name} as 모의투자 미지원; the spec sends mock TR_IDs ({', '.join(sorted(spec_mock))})", details={"kis": "모의투자 미지원"})
    if entry.mock and not spec_mock:
        yield Finding("mock-support", DRIFT, op.qualname, pair.api.qualname, f"KIS API portal lists mock TR_IDs for {entry.name} ({entry.mock_text}); the spec marks it real-only", details={"kis": entry.mock_text})
    for tr_id in entry.mock_tr_ids:
        if tr_id not in spec_mock and spec_mock:
            yield Finding("tr-id", DRIFT, op.qualname, pair.api.qualname, f"KIS API portal lists mock TR_ID {tr_id}; the spec does not send it", details={"portal": tr_id, "kis": tr_id})


def check_request_fields(pair: Pair, samples: Samples) -> Iterator[Finding]:
    api, op = pair.api, pair.op
    if not api.fields or op.request_any:
        return
    spec_fields = {item.wire: item for item in op.fields}
    for sample_field in api.fields:
        wire = sample_field.wire
        spec_field = spec_fields.get(wire)
        if spec_field is None:
            yield Finding("request-field", DRIFT, op.qualname, api.qualname, f"KIS's sample sends {wire} ({sample_field.label or 'no label'}); the spec lacks it", None, str(sample_field.at), {"field": wire, "kis": wire})
            continue
        if sample_field.required is None or sample_field.from_mcp:
            continue
        always_sent = spec_field.required or spec_field.has_default or spec_field.bind is not None
        if sample_field.required and not always_sent:
            yield Finding("required", DRIFT, op.qualname, api.qualname, f"{wire}: KIS's sample requires it ({sample_field.required_from}); the spec makes it optional with no default", None, str(sample_field.at), {"field": wire, "kis": "required", "spec": "optional"})
        if sample_field.required is False and spec_field.required and not spec_field.has_default and spec_field.bind is None:
            yield Finding("required", DRIFT, op.qualname, api.qualname, f"{wire}: the spec requires it; KIS's sample marks it optional ({sample_field.required_from})", None, str(sample_field.at), {"field": wire, "kis": "optional", "spec": "required"})
    sent = {item.wire for item in api.fields}
    for wire, spec_field in spec_fields.items():
        if wire not in sent:
            yield Finding("request-field", DRIFT, op.qualname, api.qualname, f"the spec sends {wire} ({spec_field.label}); KIS's sample does not", None, api.file, {"field": wire, "spec": wire})


def check_outputs(pair: Pair, samples: Samples) -> Iterator[Finding]:
    api, op = pair.api, pair.op
    keys = {key for output in op.response.outputs for key in ((output.key or "(body)",) + output.aliases)}
    for output in api.outputs:
        if output.key not in keys:
            yield Finding("output", DRIFT, op.qualname, api.qualname, f"KIS's sample reads {output.key}; the spec has no such output", None, str(output.at), {"output": output.key, "kis": output.key})
    read = {output.key for output in api.outputs}
    if read:
        for declared in op.response.outputs:
            if declared.key is not None and declared.key not in read and not read & set(declared.aliases):
                yield Finding("output", DRIFT, op.qualname, api.qualname, f"the spec declares {declared.key} ({declared.name}); KIS's sample does not read it", None, api.file, {"output": declared.key, "spec": declared.key})


def check_output_fields(pair: Pair, samples: Samples) -> Iterator[Finding]:
    """COLUMN_MAPPING of the chk_ file against every field of every output (KIS's mapping does
    not say which output a column belongs to); KIS's portal listing settles what it lists."""
    api, op = pair.api, pair.op
    if not api.columns:
        return
    listed = {name.lower() for name in pair.portal.response_fields} if pair.portal is not None else set()
    portal = f"KIS API portal ({pair.portal.name})" if pair.portal is not None else ""
    # a column named output1 is a nested output, which check_outputs compares
    mapped = {wire.lower(): (wire, label) for wire, label in reversed(api.columns) if not re.fullmatch(r"output[0-9]?", wire)}  # a key's first label
    names = {wire.lower() for output in op.response.outputs for item in output.fields for wire in (item.wire,) + item.aliases}
    at = str(api.columns_at) if api.columns_at else api.check_file
    for key, (wire, label) in mapped.items():
        if key in names:
            continue
        source = f"{portal} does not list it either" if listed and key not in listed else None
        yield Finding("output-field", KNOWN if source else DRIFT, op.qualname, api.qualname, f"KIS's sample maps response field {wire} ({label}); the spec lacks it", source, at, {"field": wire, "kis": wire})
    for output in op.response.outputs:
        for item in output.fields:
            if not {wire.lower() for wire in (item.wire,) + item.aliases} & mapped.keys():
                source = f"{portal} lists it" if item.wire.lower() in listed else None
                yield Finding("output-field", KNOWN if source else DRIFT, op.qualname, api.qualname, f"the spec declares response field {item.wire}; KIS's sample does not map it", source, at, {"field": item.wire, "spec": item.wire})


def check_example(pair: Pair, samples: Samples) -> Iterator[Finding]:
    """The operation's request for KIS's example call against what KIS's sample sends for it."""
    op = pair.op
    if op.kis_example is not None:
        for problem in example_problems(op, pair.spec):
            yield Finding("kis-example", DRIFT, op.qualname, pair.api.qualname, problem, at=op.kis_example.at)


CHECKS: tuple[tuple[str, str, Callable[[Pair, Samples], Iterable[Finding]]], ...] = (
    ("tr-id", "real and mock TR_IDs per branch", check_tr_ids),
    ("kis-code-vs-comment", "KIS's code and its own comments name different mock TR_IDs", check_kis_comments),
    ("portal", "mock support and mock TR_IDs as KIS's portal lists them", check_portal),
    ("request-fields", "request fields sent, and whether they are required", check_request_fields),
    ("outputs", "the outputs KIS's sample reads", check_outputs),
    ("output-fields", "the response fields KIS's chk_ file maps", check_output_fields),
    ("kis-example", "the operation's request for KIS's example call, against what KIS's sample sends", check_example),
)


# ---------------------------------------------------------------------------------------------
# The audit


def check_mock_rule(spec: Spec, samples: Samples) -> Iterator[Finding]:
    """kis_auth.py's T/J/C→V rule against the spec's mock_tr_id_rule."""
    kis, ours = samples.transport_rule, spec.mock_rule
    if kis.at is not None and (set(kis.letters) != set(ours.first_letters) or kis.replacement != ours.replacement):
        message = f"KIS's transport turns a leading {', '.join(kis.letters)} into {kis.replacement} on mock accounts; the spec's mock rule {', '.join(ours.first_letters)} into {ours.replacement}"
        yield Finding("mock-rule", DRIFT, None, "kis_auth", message, None, str(kis.at))


def audit(spec: Spec, samples: Samples, portal: Portal) -> Audit:
    pairs, unmatched, findings = match(spec, samples, portal)
    findings.extend(check_mock_rule(spec, samples))
    for pair in pairs:
        for _, _, run in CHECKS:
            findings.extend(run(pair, samples))
    for api in unmatched:
        findings.extend(kis_disagreements(api, None))
    findings = list({(f.check, f.status, f.operation, f.api, f.message): f for f in findings}.values())
    findings = explain(findings, pairs)
    flagged = {finding.operation for finding in findings if finding.status != KIS}
    agree = tuple(pair.op.qualname for pair in pairs if pair.op.qualname not in flagged)
    matched_ops = {pair.op.qualname for pair in pairs}
    spec_only = tuple(op.qualname for op in spec.operations if op.qualname not in matched_ops)
    sample_paths = {(api.method, api.path) for api in samples.apis} | {("", api.path) for api in samples.apis}
    portal_only = tuple(
        f"{entry.collection} {entry.name} ({entry.method} {entry.path})" for entry in portal.apis if not entry.realtime and ("", entry.path) not in sample_paths
    )
    return Audit(
        repository=samples.repository,
        revision=samples.revision,
        date=samples.date,
        portal=portal.source,
        findings=tuple(findings),
        agree=agree,
        coverage=_coverage(pairs, unmatched, samples, portal),
        spec_only=spec_only,
        portal_only=portal_only,
        problems=tuple(str(problem) for problem in samples.problems),
    )


def explain(findings: list[Finding], pairs: list[Pair]) -> list[Finding]:
    """Drift an operation's `known_differences:` entry explains becomes known, with the entry's
    source; an entry of an audited operation that explains nothing is reported stale."""
    ops = {pair.op.qualname: pair for pair in reversed(pairs)}  # the first sample paired with it
    used: set[tuple[str, int]] = set()
    result: list[Finding] = []
    for finding in findings:
        pair = ops.get(finding.operation or "")
        if finding.status == DRIFT and pair is not None:
            index = next((index for index, known in enumerate(pair.op.known_differences) if _explains(known, finding)), None)
            if index is not None:
                used.add((pair.op.qualname, index))
                finding = replace(finding, status=KNOWN, source=pair.op.known_differences[index].source)
        result.append(finding)
    for qualname, pair in ops.items():
        for index, known in enumerate(pair.op.known_differences):
            if (qualname, index) not in used:
                message = f"{known.at} explains a {known.check} difference ({_named(known)}) that KIS's sample no longer has: remove or correct it"
                details = {"declared_at": known.at, "kis": known.kis, "spec": known.spec, "field": known.field}
                result.append(Finding(known.check, STALE, qualname, pair.api.qualname, message, known.source, None, details))
    return result


def _explains(known: KnownDifference, finding: Finding) -> bool:
    """An entry names what KIS has, exactly (nothing, where KIS has nothing): an entry naming
    only the spec's value cannot explain a value KIS changed."""
    details = finding.details
    return (
        known.check == finding.check
        and known.kis == details.get("kis")
        and known.spec in (None, details.get("spec"))
        and known.field in (None, details.get("field"))
    )


def _named(known: KnownDifference) -> str:
    parts = [f"field {known.field}"] if known.field else []
    parts += [f"KIS: {known.kis}"] if known.kis is not None else []
    parts += [f"spec: {known.spec}"] if known.spec is not None else []
    return ", ".join(parts)


def _coverage(pairs: list[Pair], unmatched: list[SampleApi], samples: Samples, portal: Portal) -> tuple[CategoryCoverage, ...]:
    rows: dict[str, dict[str, list[str]]] = {}

    def row(category: str) -> dict[str, list[str]]:
        return rows.setdefault(category, {"apis": [], "curated": [], "imported": [], "missing": [], "realtime": [], "files": [], "real_only": [], "real_only_branches": []})

    for pair in pairs:
        entry = row(category_of(pair.api, portal))
        entry["apis"].append(pair.api.qualname)
        imported = f"/{IMPORTED_DIR}/" in f"/{pair.op.file}"
        entry["imported" if imported else "curated"].append(pair.api.qualname)
        if "mock" not in pair.op.envs:
            entry["real_only"].append(pair.api.qualname)
        elif pair.op.tr is not None and pair.op.tr.real_only:
            entry["real_only_branches"].append(pair.api.qualname)
    for api in unmatched:
        category = category_of(api, portal)
        entry = row(category)
        entry["apis"].append(api.qualname)
        entry["missing"].append(api.qualname)
        stem = import_stem(category, area_of(api.path))
        if stem not in entry["files"]:
            entry["files"].append(stem)
    for realtime in samples.realtime:
        row(_realtime_category(realtime.menu, portal))["realtime"].append(f"{realtime.directory}/{realtime.name}")
    return tuple(
        CategoryCoverage(name, *(tuple(values[key]) for key in ("apis", "curated", "imported", "missing", "realtime", "files", "real_only", "real_only_branches"))) for name, values in sorted(rows.items())
    )


def _realtime_category(menu: str, portal: Portal) -> str:
    collections = {entry.collection.replace(" ", ""): entry.collection for entry in portal.apis}
    return collections.get(menu.replace(" ", ""), menu)


# ---------------------------------------------------------------------------------------------
# Output


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Audit) -> str:
    total = sum(len(row.apis) for row in report.coverage)
    covered = sum(len(row.curated) + len(row.imported) for row in report.coverage)
    realtime = sum(len(row.realtime) for row in report.coverage)
    drift = report.drift
    known_all = [finding for finding in report.findings if finding.status == KNOWN]
    # Real-only operations whose sample has no env branch: one line each would bury the rest.
    blind = [finding for finding in known_all if finding.check == "mock-support" and finding.details.get("kis_how") in ("transport_rule", "unchanged")]
    known = [finding for finding in known_all if finding not in blind]
    kis = [finding for finding in report.findings if finding.status == KIS]
    stale = report.stale
    lines = [
        f"## KIS samples audit: `koreainvestment/open-trading-api@{report.revision[:7]}` ({report.date})",
        "",
        f"KIS's samples read with git at `{report.revision}` (never run); mock support also from the {report.portal}.",
        "",
        f"**{covered} of {total} REST APIs in the spec; {len(drift)} drift, {len(stale)} stale, {len(known_all)} known (with source), {len(kis)} where KIS's code and comments disagree; {len(report.agree)} operations agree.** {realtime} real-time (WebSocket) samples are outside the REST spec.",
    ]
    sections = (("Drift", drift), ("Stale known differences", stale), ("KIS's code vs. KIS's comments", kis), ("Known, with source", known))
    for title, group in sections:
        lines += ["", f"### {title} ({len(group)})", ""]
        if not group:
            lines.append("None.")
            continue
        header = "| operation | KIS sample | what | where in KIS's repo |" if title not in ("Known, with source", "Stale known differences") else "| operation | KIS sample | what | source |"
        lines += [header, "|---|---|---|---|"]
        for finding in group:
            last = finding.at if finding.status in (DRIFT, KIS) else finding.source
            lines.append(f"| `{_cell(finding.operation or '-')}` | `{_cell(finding.api)}` | {_cell(finding.message)} | {_cell(last)} |")
    if blind:
        names = ", ".join(f"`{finding.operation}` ({finding.details.get('kis')})" for finding in blind)
        lines += ["", f"Real-only in the spec, with a source, while KIS's sample has no env_dv branch and would send its TR_ID on a mock account too ({len(blind)}): {names}."]
    lines += ["", "### Coverage per category", "", "| category | KIS REST APIs | in the spec | curated | imported | real-only (some branches) | real-time (out of scope) | import into |", "|---|---|---|---|---|---|---|---|"]
    for row in report.coverage:
        if not row.apis and not row.realtime:
            continue
        in_spec = len(row.curated) + len(row.imported)
        files = ", ".join(f"`spec/imported/{stem}.yaml`" for stem in row.files)
        some = f" ({len(row.real_only_branches)})" if row.real_only_branches else ""
        lines.append(f"| {_cell(row.category)} | {len(row.apis)} | {in_spec} of {len(row.apis)} | {len(row.curated)} | {len(row.imported)} | {len(row.real_only)}{some} | {len(row.realtime)} | {files} |")
    real_only = sum(len(r.real_only) for r in report.coverage)
    some_branches = sum(len(r.real_only_branches) for r in report.coverage)
    lines.append(f"| **total** | {total} | {covered} of {total} | {sum(len(r.curated) for r in report.coverage)} | {sum(len(r.imported) for r in report.coverage)} | {real_only} ({some_branches}) | {realtime} | |")
    lines += ["", "<details><summary>KIS REST APIs the spec lacks, per category</summary>", ""]
    for row in report.coverage:
        if row.missing:
            lines.append(f"- **{_cell(row.category)}** ({len(row.missing)}): " + ", ".join(f"`{name}`" for name in row.missing))
    lines += ["", "</details>", ""]
    lines += ["### Spec operations KIS's samples lack", ""]
    lines += [f"- `{name}`" for name in report.spec_only] or ["None."]
    if report.portal_only:
        lines += ["", f"### REST APIs the {report.portal} lists and the samples lack", ""] + [f"- {_cell(name)}" for name in report.portal_only]
    if report.problems:
        lines += ["", "### Sample files the reader could not read", ""] + [f"- {_cell(problem)}" for problem in report.problems]
    lines += ["", f"Operations that agree: {', '.join(f'`{name}`' for name in report.agree) or 'none'}."]
    return "\n".join(lines) + "\n"


def to_json(report: Audit) -> str:
    document: dict[str, Any] = asdict(report)
    document["summary"] = {
        "rest_apis": sum(len(row.apis) for row in report.coverage),
        "in_spec": sum(len(row.curated) + len(row.imported) for row in report.coverage),
        "real_only": sum(len(row.real_only) for row in report.coverage),
        "realtime": sum(len(row.realtime) for row in report.coverage),
        "drift": len(report.drift),
        "stale": len(report.stale),
        "known": sum(finding.status == KNOWN for finding in report.findings),
        "kis_code_vs_comment": sum(finding.status == KIS for finding in report.findings),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
