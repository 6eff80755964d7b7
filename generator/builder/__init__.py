"""Spec files → the model (generator.model): validated, corrected, every rule resolved.

Each module builds one part and reports to one collector of problems (problems.At, Problems):
the common sections (common), code tables (codes), request fields (fields), TR_ID tables
(tr_ids), rules (rules), responses (outputs), areas and operations (operations), and the Python
names all of them become (names, patterns). Every problem is reported at once, as a SpecError.
"""

from __future__ import annotations

from ..corrections import apply_corrections
from ..load import SpecFile
from ..model import Source, Spec
from ..validate import schema_problems
from . import common
from .codes import code_tables
from .names import check_names
from .operations import areas, check_mock_instead, check_special_operations
from .problems import At, Problems
from .realtime import check_approval, realtime
from .tr_ids import check_unique_tr_ids


def build_model(files: list[SpecFile]) -> Spec:
    """Validate spec files, apply the corrections to imported drafts, and build the model;
    raise SpecError listing every problem."""
    return _build(apply_corrections(files), Problems())


def build_older_model(files: list[SpecFile]) -> Spec:
    """The model of a spec that may predate what the language has come to require (a time zone,
    the token's `invalid` code, `custtype` on every TR call and its codes): ``kisgen diff``
    compares old revisions too. Never rendered."""
    return _build(apply_corrections(files), Problems(older_language=True))


def _build(files: list[SpecFile], problems: Problems) -> Spec:
    for spec_file in files:
        problems.extend(schema_problems(spec_file))
    problems.raise_any()
    sections = common.Sections(problems, files)
    problems.raise_any()
    sources = tuple(_source(spec_file) for spec_file in files)
    markets, exchanges = common.markets(problems, sections)
    tables, declared_twice = code_tables(problems, sections, files, exchanges)
    mock_rule = common.mock_rule(sections)
    headers = common.headers(problems, sections, tables)
    ctx = common.Context(problems, mock_rule, markets, tables, declared_twice, frozenset(sections.raw("headers")))
    paging = sections.raw("pagination")
    spec = Spec(
        sources=sources,
        environments=common.environments(sections),
        mock_rule=mock_rule,
        headers=headers,
        envelope=common.envelope(problems, sections),
        errors=common.errors(sections),
        more_codes=tuple(paging["more"]),
        last_codes=tuple(paging["last"]),
        next_tr_cont=paging["next_request_tr_cont"],
        markets=markets,
        exchanges=exchanges,
        code_tables=tuple(tables.values()),
        areas=areas(ctx, files, sources),
        token=common.token(problems, sections),
        hashkey=common.hashkey(sections),
        timezone=common.timezone(problems, sections),
        realtime=realtime(problems, sections),
    )
    files_at = {spec_file.name: At(spec_file) for spec_file in files}
    check_unique_tr_ids(problems, spec, files_at)
    check_names(problems, spec, files_at)
    check_mock_instead(problems, spec, files_at)
    check_special_operations(problems, spec, {key: sections.at(key) for key in ("token", "hashkey") if key in sections})
    if "realtime" in sections:
        check_approval(problems, spec, sections.at("realtime"))
    problems.raise_any()
    return spec


def _source(spec_file: SpecFile) -> Source:
    raw = spec_file.data["source"]
    return Source(spec_file.name, raw["document"], raw["date"], raw.get("updated_by"))
