"""Code tables: the exchanges', their quotation codes', and every table the spec files declare."""

from __future__ import annotations

from ..load import SpecFile
from ..model import EXCHANGES_TABLE, QUOTE_TABLE, Code, CodeTable, Exchange
from .common import Sections
from .names import camel, is_identifier
from .problems import At, Problems


def code_tables(problems: Problems, sections: Sections, files: list[SpecFile], exchanges: tuple[Exchange, ...]) -> tuple[dict[str, CodeTable], frozenset[str]]:
    """Every table by name, and the names declared twice (whose values are not checked)."""
    exchanges_at = sections.at("exchanges")
    quote_codes = [Code(e.quote_code, e.quote_code, e.label) for e in exchanges if e.quote_code is not None]
    quote_codes += [Code(e.day_quote_code, e.day_quote_code, e.label + " (주간)") for e in exchanges if e.day_quote_code is not None]
    quote_codes += [Code(e.index_quote_code, e.index_quote_code, e.label + " 지수") for e in exchanges if e.index_quote_code is not None]
    tables: dict[str, CodeTable] = {
        EXCHANGES_TABLE: CodeTable(EXCHANGES_TABLE, "Exchange", "해외거래소코드", tuple(Code(e.code, e.code, e.label) for e in exchanges), exchanges_at.file.name),
        QUOTE_TABLE: CodeTable(QUOTE_TABLE, "QuoteExchange", "시세 거래소코드 (EXCD)", tuple(quote_codes), exchanges_at.file.name),
    }
    seen_quotes: dict[str, str] = {}
    for exchange in exchanges:
        for quote in (exchange.quote_code, exchange.day_quote_code, exchange.index_quote_code):
            if quote is None:
                continue
            if quote in seen_quotes:
                problems.add(exchanges_at / exchange.code, f"quotation code {quote!r} is already used by {seen_quotes[quote]}")
            seen_quotes[quote] = exchange.code
    declared_twice: set[str] = set()
    for spec_file in files:
        for name, raw in spec_file.data.get("codes", {}).items():
            at = At(spec_file, ("codes", name))
            if name in tables:
                problems.add(at, f"code table {name!r} is already declared in {tables[name].file}")
                declared_twice.add(name)
                continue
            codes = []
            names: dict[str, str] = {}
            for value, entry in raw["values"].items():
                if entry["name"] in names:
                    problems.add(at.down("values", value, "name"), f"name {entry['name']!r} is already used by code {names[entry['name']]!r}")
                elif not is_identifier(entry["name"]):
                    problems.add(at.down("values", value, "name"), f"{entry['name']!r} is not a Python identifier")
                names[entry["name"]] = value
                codes.append(Code(value, entry["name"], entry["label"]))
            tables[name] = CodeTable(name, camel(name), raw["label"], tuple(codes), spec_file.name)
    return tables, frozenset(declared_twice)
