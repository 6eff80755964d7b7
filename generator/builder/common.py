"""The sections every operation is built against, each declared once across all spec files:
environments, the mock TR_ID rule, headers, the response envelope, errors, paging, markets and
exchanges, the token and hashkey operations, the time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..corrections import area_name
from ..errors import Problem
from ..load import SpecFile
from ..model import CodeTable, Environment, ErrorCode, Exchange, HashkeyPolicy, Header, Market, MockRule, ResponseField, TokenPolicy
from .outputs import response_field
from .problems import At, Problems

SECTIONS = ("environments", "mock_tr_id_rule", "headers", "envelope", "errors", "pagination", "markets", "exchanges", "token", "hashkey", "timezone", "realtime")
REQUIRED = ("environments", "mock_tr_id_rule", "headers", "envelope", "pagination", "markets", "exchanges", "token")
NEWLY_REQUIRED = ("timezone", "realtime")


class Sections:
    """Each common section with the file that declares it."""

    def __init__(self, problems: Problems, files: list[SpecFile]) -> None:
        self.found: dict[str, tuple[At, Any]] = {}
        for spec_file in files:
            for key in SECTIONS:
                if key not in spec_file.data:
                    continue
                if key in self.found:
                    problems.add(At(spec_file, (key,)), f"`{key}` is already declared in {self.found[key][0].file.name}")
                else:
                    self.found[key] = (At(spec_file, (key,)), spec_file.data[key])
        for key in REQUIRED + problems.newer(NEWLY_REQUIRED):
            if key not in self.found:
                problems.extend([Problem(files[0].name, 1, key, f"no spec file declares `{key}`")])

    def __contains__(self, key: str) -> bool:
        return key in self.found

    def at(self, key: str) -> At:
        return self.found[key][0]

    def raw(self, key: str) -> Any:
        return self.found[key][1]


@dataclass(frozen=True, slots=True)
class Context:
    """What building an operation needs: where its problems go, and what the common sections
    declare."""

    problems: Problems
    mock_rule: MockRule
    markets: tuple[Market, ...]
    tables: Mapping[str, CodeTable]
    unchecked_tables: frozenset[str]  # declared twice: values are not checked against either
    header_names: frozenset[str]

    @property
    def market_codes(self) -> tuple[str, ...]:
        return tuple(market.code for market in self.markets)

    @property
    def market_of(self) -> dict[str, str]:
        """Each exchange's market."""
        return {code: market.code for market in self.markets for code in market.exchanges}


def environments(sections: Sections) -> tuple[Environment, ...]:
    return tuple(
        Environment(name, raw["label"], raw["base_url"], float(raw["rate_limit_per_second"]), raw["source"]) for name, raw in sections.raw("environments").items()
    )


def mock_rule(sections: Sections) -> MockRule:
    raw = sections.raw("mock_tr_id_rule")
    return MockRule(tuple(raw["first_letters"]), raw["replacement"], raw.get("description", ""), raw["source"])


def headers(problems: Problems, sections: Sections, tables: Mapping[str, CodeTable]) -> tuple[Header, ...]:
    at = sections.at("headers")
    found = tuple(Header(name, raw["value"], raw["label"], raw.get("note"), raw.get("codes")) for name, raw in sections.raw("headers").items())
    if not any(header.name == "custtype" for header in found):
        problems.add(at, "`custtype` is not declared: every call with a TR_ID sends it")
    for header in found:
        if header.name == "custtype" and header.codes is None and not problems.older_language:
            problems.add(at / header.name, "`custtype` needs `codes`: the client checks the customer type it is given against them")
        if header.codes is None:
            continue
        table = tables.get(header.codes)
        if table is None:
            problems.add(at.down(header.name, "codes"), f"code table {header.codes!r} is not declared")
        elif header.value not in table.values:
            problems.add(at.down(header.name, "value"), f"{header.value!r} is not a code of table {header.codes!r}")
    return found


def envelope(problems: Problems, sections: Sections) -> tuple[ResponseField, ...]:
    at = sections.at("envelope")
    fields = tuple(response_field(name, raw) for name, raw in sections.raw("envelope").items())
    labels: dict[str, str] = {}
    for field in fields:
        if field.kind not in ("code", "text"):
            # The client reads it before anything else, as text, to tell KIS's answer.
            problems.add(at.down(field.wire, "kind"), f"an envelope field is read as text: kind {field.kind!r} must be code or text")
        if field.label in labels:
            # Every response's to_dict("ko") keys the envelope by label: one would be lost.
            problems.add(at.down(field.wire, "label"), f"label {field.label!r} is also the label of {labels[field.label]!r}")
        labels.setdefault(field.label, field.wire)
    return fields


def errors(sections: Sections) -> tuple[ErrorCode, ...]:
    raw = sections.raw("errors") if "errors" in sections else {}
    return tuple(ErrorCode(code, entry["label"], entry["meaning"]) for code, entry in raw.items())


def token(problems: Problems, sections: Sections) -> TokenPolicy:
    at, raw = sections.at("token"), sections.raw("token")
    codes = raw["errors"]
    invalid = problems.require(at / "errors", codes, "invalid")
    return TokenPolicy(area_name(at.file), raw["operation"], raw["lifetime_seconds"], raw["min_issue_interval_seconds"], codes["too_soon"], codes["expired"], invalid)


def hashkey(sections: Sections) -> HashkeyPolicy | None:
    if "hashkey" not in sections:
        return None
    at, raw = sections.at("hashkey"), sections.raw("hashkey")
    return HashkeyPolicy(area_name(at.file), raw["operation"], raw["header"], raw["reply_field"])


def timezone(problems: Problems, sections: Sections) -> str | None:
    if "timezone" not in sections:
        return None
    name: str = sections.raw("timezone")
    check_timezone(problems, sections.at("timezone"), name)
    return name


def check_timezone(problems: Problems, at: At, name: str) -> None:
    """The generated client reads the zone with zoneinfo: it must exist."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add(at, f"{name!r} is not a time zone of the IANA database")


def markets(problems: Problems, sections: Sections) -> tuple[tuple[Market, ...], tuple[Exchange, ...]]:
    market_at, market_raw = sections.at("markets"), sections.raw("markets")
    exchange_at, exchange_raw = sections.at("exchanges"), sections.raw("exchanges")
    exchanges: list[Exchange] = []
    for code, raw in exchange_raw.items():
        if raw["market"] not in market_raw:
            problems.add(exchange_at.down(code, "market"), f"market {raw['market']!r} is not declared under `markets` ({market_at.file.name})")
        exchanges.append(Exchange(code, raw["label"], raw["market"], raw.get("note"), raw.get("quote_code"), raw.get("day_quote_code"), raw.get("index_quote_code")))
        for key in ("day_quote_code", "index_quote_code"):
            if raw.get(key) is not None and raw.get("quote_code") is None:
                problems.add(exchange_at.down(code, key), f"`{key}` needs `quote_code` too")
    found = []
    for code, raw in market_raw.items():
        members = tuple(exchange.code for exchange in exchanges if exchange.market == code)
        if not members:
            problems.add(market_at / code, f"market {code!r} has no exchange under `exchanges`")
        zone = problems.require(market_at / code, raw, "timezone")
        if zone is not None:
            check_timezone(problems, market_at.down(code, "timezone"), zone)
        found.append(Market(code, raw["label"], raw["country"], raw["natn_cd"], raw["currency"], members, zone))
    return tuple(found), tuple(exchanges)
