"""Hostile free text in a valid spec: the client compiles, imports, type-checks, is stable under
black, and gives every string back exactly as written; nothing in a string is executed.

The spec is a small one built here (rendering the real spec per example would be slow); every
free-text place in it (labels, descriptions, code labels, examples, summaries, notes, rule
texts, source documents) gets a drawn string.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kisgen.pipeline import load_spec, render_spec
from kisgen.format import _black
from kisgen.layout import PACKAGE
from kisgen.write import write_files
from tests.markdown_tables import tables

MARKER = "kisgen_pwned"
VERBATIM = {path.name for path in (Path(__file__).resolve().parent.parent / "templates").glob("*.py")}
FRAGMENTS = [
    "'", '"', "'''", '"""', "\\", "\\n", "\n", "\r\n", "{{ 7 * 7 }}", "{% if true %}x{% endif %}", "{# c #}", "#",
    "# comment", "\x00", "\x07", "\x1b[31m", "\x7f", "한글 라벨", "주문구분", "😀", "🇰🇷", "\u200b", "\u3000", "%s", "{0}",
    "${HOME}", "`id`", f"__import__('os').system('touch {MARKER}')", f'"""; import os; os.system("touch {MARKER}"); """',
    "'; raise SystemExit; '", "\\x41", "\\N{BULLET}", "\\u0041", "</script>", "<!-- x -->", "<img src=x onerror=alert(1)>", "\u202e", "| a |", "*alias", "&anchor", "!!python/object", "---",
    "- item", "key: value", "null", "~", "True", "0x1F", "1e309",
]
# Characters PyYAML cannot carry through safe_dump and back (NEL is read as a line break),
# and surrogates (not UTF-8) are left out; everything else, control characters included, is
# written as a double-quoted escape by yaml.safe_dump.
UNCARRIABLE = {"\x85"}


def round_trips(text: str) -> bool:
    return bool(yaml.safe_load(yaml.safe_dump({"k": text}, allow_unicode=True))["k"] == text)


hostile = (
    st.lists(st.sampled_from(FRAGMENTS) | st.text(st.characters(exclude_characters=UNCARRIABLE, exclude_categories=("Cs",)), min_size=1, max_size=4), min_size=1, max_size=5)
    .map("".join)
    .filter(round_trips)
)
# `text` places (labels, summaries, sources) may not start or end with whitespace: black would
# strip it from a docstring. The spec schema refuses such text; here it is trimmed instead.
hostile_text = hostile.map(str.strip).filter(lambda text: text != "")

TEXT_PLACES = [
    "document", "updated_by", "env_label", "env_source", "header_label", "envelope_label", "error_label", "error_meaning",
    "market_label", "country", "exchange_label", "table_label", "code_label_a", "code_label_b", "summary", "field_label",
    "codes_field_label", "rule_text", "response_label", "op_source", "grant_label", "rule_source",
    "rt_label", "rt_field_label", "rt_note", "rt_source", "rt_key_label", "rt_code_text",
]
FREE_PLACES = ["header_note", "envelope_note", "exchange_note", "description", "example", "response_example", "response_note", "output_note", "op_note", "api_id", "rule_description"]


def spec_files(t: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A small valid spec with text ``t[place]`` in each free-text place."""
    source = {"document": t["document"], "date": "2026-11-25", "updated_by": t["updated_by"]}
    env = {"label": t["env_label"], "base_url": "https://example.invalid", "rate_limit_per_second": 2, "source": t["env_source"]}
    common = {
        "source": source,
        "environments": {"real": env, "mock": dict(env, base_url="https://mock.example.invalid")},
        "timezone": "Asia/Seoul",
        "mock_tr_id_rule": {"description": t["rule_description"], "first_letters": ["T"], "replacement": "V", "source": t["rule_source"]},
        "headers": {
            name: {"value": value, "label": t["header_label"], "note": t["header_note"], **({"codes": "customer_type"} if name == "custtype" else {})}
            for name, value in [("content-type", "application/json"), ("authorization", "Bearer {token}"), ("appkey", "{app_key}"), ("appsecret", "{app_secret}"), ("tr_id", "{tr_id}"), ("custtype", "P"), ("tr_cont", "{tr_cont}")]
        },
        "codes": {"customer_type": {"label": t["table_label"], "values": {"P": {"name": "PERSONAL", "label": t["code_label_a"]}, "B": {"name": "CORPORATE", "label": t["code_label_b"]}}}},
        "envelope": {
            "rt_cd": {"label": t["envelope_label"], "kind": "code", "note": t["envelope_note"]},
            "msg_cd": {"label": t["envelope_label"] + " 2", "kind": "code"},
            "msg1": {"label": t["envelope_label"] + " 3", "kind": "text"},
        },
        "errors": {"EGW00123": {"label": t["error_label"], "meaning": t["error_meaning"]}, "EGW00133": {"label": t["error_label"], "meaning": t["error_meaning"]}},
        "pagination": {"more": ["F", "M"], "last": ["D", "E"], "next_request_tr_cont": "N"},
    }
    markets = {
        "source": source,
        "markets": {"US": {"label": t["market_label"], "country": t["country"], "natn_cd": "840", "currency": "USD", "timezone": "America/New_York"}},
        "exchanges": {"NASD": {"label": t["exchange_label"], "market": "US", "note": t["exchange_note"], "quote_code": "NAS", "day_quote_code": "BAQ"}},
    }
    auth = {
        "source": source,
        "token": {"operation": "token", "lifetime_seconds": 86400, "min_issue_interval_seconds": 60, "errors": {"too_soon": "EGW00133", "expired": "EGW00123", "invalid": "EGW00121"}},
        "codes": {"grant_type": {"label": t["grant_label"], "values": {"client_credentials": {"name": "CLIENT_CREDENTIALS", "label": t["grant_label"]}}}},
        "operations": {
            "token": {
                "summary": t["summary"], "method": "POST", "path": "/oauth2/tokenP", "kind": "auth", "headers": ["content-type"],
                "request": {
                    "grant_type": {"label": t["field_label"], "required": True, "codes": "grant_type", "default": "client_credentials"},
                    "appkey": {"label": t["field_label"], "required": True, "bind": "app_key", "secret": True},
                    "appsecret": {"label": t["field_label"], "required": True, "bind": "app_secret", "secret": True},
                },
                "response": {"envelope": False, "outputs": {"(body)": {"name": "token", "shape": "object", "fields": {
                    "access_token": {"label": t["response_label"], "kind": "text", "secret": True},
                    "token_type": {"label": t["response_label"] + " 2", "kind": "code"},
                    "expires_in": {"label": t["response_label"] + " 3", "kind": "int", "json": "number"},
                    "access_token_token_expired": {"label": t["response_label"] + " 4", "kind": "datetime"},
                }}}},
            }
        },
    }
    stock = {
        "source": source,
        "codes": {"quote_kind": {"label": t["table_label"], "values": {"00": {"name": "PRICE", "label": t["code_label_a"]}, t["code_value"]: {"name": "ASK", "label": t["code_label_b"]}}}},
        "operations": {
            "quote": {
                "summary": t["summary"], "api_id": t["api_id"], "method": "GET", "path": "/uapi/test/v1/quote", "kind": "read",
                "source": t["op_source"], "note": t["op_note"], "tr_id": {"real": "TTTX9001R"},
                "request": {
                    "PDNO": {"label": t["field_label"], "required": True, "description": t["description"], "example": t["example"]},
                    "QUOTE_KIND": {"label": t["codes_field_label"], "codes": "quote_kind", "default": "00"},
                },
                "rules": [{"id": "ask_needs_item", "text": t["rule_text"], "when": {"QUOTE_KIND": [t["code_value"]]}, "then": {"PDNO": {"pattern": "^[0-9]{6}$"}}}],
                "response": {"outputs": {"output": {"name": "quote", "shape": "object", "note": t["output_note"], "fields": {
                    "stck_prpr": {"label": t["response_label"], "kind": "int", "example": t["response_example"], "note": t["response_note"]},
                }}}},
            }
        },
    }
    auth["operations"]["approval"] = {
        "summary": t["summary"], "method": "POST", "path": "/oauth2/Approval", "kind": "auth", "headers": ["content-type"],
        "request": {
            "grant_type": {"label": t["field_label"], "required": True, "codes": "grant_type", "default": "client_credentials"},
            "appkey": {"label": t["field_label"], "required": True, "bind": "app_key", "secret": True},
            "secretkey": {"label": t["field_label"], "required": True, "bind": "app_secret", "secret": True},
        },
        "response": {"envelope": False, "outputs": {"(body)": {"name": "approval", "shape": "object", "fields": {"approval_key": {"label": t["response_label"], "kind": "text", "secret": True}}}}},
    }
    code = {"outcome": "subscribed", "meaning": t["rt_code_text"], "message": t["rt_code_text"], "source": t["rt_source"]}
    realtime = {
        "source": source,
        "realtime": {
            "path": "/tryitout",
            "environments": {"real": {"url": "ws://example.invalid:21000", "source": t["rt_source"]}, "mock": {"url": "ws://example.invalid:31000", "source": t["rt_source"]}},
            "approval": {"operation": "auth.approval", "reply_field": "approval_key", "lifetime_seconds": 86400, "source": t["rt_source"]},
            "limits": {"registrations": 41, "sessions_per_app_key": 1, "source": t["rt_source"]},
            "messages": {"subscribe": "1", "unsubscribe": "2", "pingpong": "PINGPONG", "source": t["rt_source"]},
            "codes": {"OPSP0000": code, "OPSP0001": dict(code, outcome="unsubscribed")},
            "trs": {
                "tick": {
                    "label": t["rt_label"], "tr_id": {"real": "H0STCNT0", "mock": "H0STCNT0"}, "encrypted": False, "note": t["rt_note"], "source": t["rt_source"],
                    "tr_key": {"label": t["rt_key_label"], "pattern": "^[0-9]{6}$", "example": "005930", "note": t["rt_note"]},
                    "key_field": "MKSC_SHRN_ISCD",
                    "fields": {
                        "MKSC_SHRN_ISCD": {"label": t["rt_field_label"], "kind": "code", "note": t["rt_note"]},
                        "STCK_PRPR": {"label": t["rt_field_label"] + " 2", "kind": "int"},
                    },
                }
            },
        },
    }
    return {"common.yaml": common, "markets.yaml": markets, "auth.yaml": auth, "stock.yaml": stock, "realtime.yaml": realtime}


def write_spec(directory: Path, t: dict[str, str]) -> Path:
    spec = directory / "spec"
    spec.mkdir()
    for name, data in spec_files(t).items():
        (spec / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec


# Run in a fresh interpreter: every example's package is named kis_client.
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from kis_client import enums
from kis_client._calls import CallContext
from kis_client.errors import ValidationError
from kis_client.stock import api, quote
from kis_client.realtime import Tick

def messages(**arguments):
    try:
        quote.prepare_stock_quote(CallContext("mock", None, None), **arguments)
    except ValidationError as error:
        return [problem.message for problem in error.problems]
    return []

print(json.dumps({
    "code_message": messages(pdno="005930", quote_kind="99"),
    "rule_message": messages(pdno="x", quote_kind=enums.QuoteKind.ASK),
    "code_value": enums.QuoteKind.ASK.value,
    "code_labels": enums.CODE_LABELS,
    "table_doc": enums.QuoteKind.__doc__,
    "prepare_doc": quote.prepare_stock_quote.__doc__,
    "request_doc": quote.StockQuoteRequest.__doc__,
    "output_doc": quote.StockQuoteQuote.__doc__,
    "output_labels": dict(quote.StockQuoteQuote._LABELS),
    "envelope_labels": dict(quote.StockQuoteResponse._LABELS),
    "api_doc": api.StockApi.__doc__,
    "method_doc": api.StockApi.quote.__doc__,
    "record": [Tick.TR.label, Tick.TR.key_label, list(Tick.TR.labels), list(Tick("005930^71900".split("^")).to_dict("ko"))],
    "record_doc": Tick.__doc__,
    "record_field_doc": Tick.mksc_shrn_iscd.__doc__,
}, ensure_ascii=False))
"""


def expected_probe(t: dict[str, str]) -> dict[str, Any]:
    return {
        "code_message": ["'99' is not a code of " + t["codes_field_label"] + " ('00', " + repr(t["code_value"]) + ")"],
        "code_value": t["code_value"],
        "rule_message": ["'x' must match ^[0-9]{6}$ (ask_needs_item: " + t["rule_text"] + ")"],
        "code_labels": {"Exchange": {"NASD": t["exchange_label"]}, "QuoteExchange": {"NAS": t["exchange_label"], "BAQ": t["exchange_label"] + " (주간)"}, "CustomerType": {"P": t["code_label_a"], "B": t["code_label_b"]}, "GrantType": {"client_credentials": t["grant_label"]}, "QuoteKind": {"00": t["code_label_a"], t["code_value"]: t["code_label_b"]}},
        "table_doc": t["table_label"],
        "prepare_doc": f"The validated call of {t['summary']}, its TR_ID resolved; ValidationError lists every problem.",
        "request_doc": t["summary"] + " (GET /uapi/test/v1/quote)",
        "output_doc": t["summary"] + ": output (" + t["output_note"] + ")" if t["output_note"] else t["summary"] + ": output",
        "output_labels": {"stck_prpr": t["response_label"]},
        "envelope_labels": {"rt_cd": t["envelope_label"], "msg_cd": t["envelope_label"] + " 2", "msg1": t["envelope_label"] + " 3", "quote": "quote"},
        "api_doc": t["document"] + " (stock)",
        "record": [t["rt_label"], t["rt_key_label"], [t["rt_field_label"], t["rt_field_label"] + " 2"], [t["rt_field_label"], t["rt_field_label"] + " 2"]],
    }


def check_method_doc(doc: str, t: dict[str, str]) -> None:
    """The method's docstring starts with the summary as written, and holds the note and each
    field's label and description as written but for whitespace: its paragraphs are wrapped."""
    assert doc.startswith(t["summary"] + " — GET /uapi/test/v1/quote\n")
    words = " ".join(doc.split())
    for place in ("op_note", "field_label", "description", "codes_field_label", "rule_text"):
        assert " ".join(t[place].split()) in words, place


def check_record_docs(doc: str, field_doc: str, t: dict[str, str]) -> None:
    """A record's docstring starts with its TR's label and holds its note and source; a
    property's holds its field's label and note, all as written but for whitespace."""
    assert doc.startswith(t["rt_label"] + " — H0STCNT0")
    assert all(" ".join(t[place].split()) in " ".join(doc.split()) for place in ("rt_note", "rt_source", "rt_key_label"))
    assert all(" ".join(t[place].split()) in " ".join(field_doc.split()) for place in ("rt_field_label", "rt_note"))


def check_schemas(files: dict[str, bytes], t: dict[str, str]) -> None:
    request = json.loads(files[f"{PACKAGE}/schemas/stock.quote.real.request.json"])
    pdno = request["properties"]["PDNO"]
    assert (pdno["title"], pdno["examples"]) == (t["field_label"], [t["example"]])
    assert pdno.get("description", "") == t["description"]
    assert request["properties"]["QUOTE_KIND"]["x-kis-codes"] == {"00": t["code_label_a"], t["code_value"]: t["code_label_b"]}
    assert request["description"] == t["summary"]
    assert request["allOf"][0]["$comment"] == "ask_needs_item: " + t["rule_text"]
    response = json.loads(files[f"{PACKAGE}/schemas/stock.quote.response.json"])
    assert response["properties"]["output"]["properties"]["stck_prpr"]["title"] == t["response_label"]
    assert response["properties"]["rt_cd"]["title"] == t["envelope_label"]


def check_docs(files: dict[str, bytes]) -> None:
    """docs/ shows hostile text but runs none of it: no control character (NUL, an ANSI escape),
    no HTML outside code spans, and every table row with its header's cells."""
    for name, content in files.items():
        if name.startswith("docs/"):
            check_page(content.decode("utf-8"))


def check_page(docs: str) -> None:
    assert not [char for char in docs if unicodedata.category(char) in ("Cc", "Zl", "Zp") and char != "\n" or char == "\u202e"]
    body = docs.split("\n", 1)[1]  # after the notice comment
    outside = re.sub(r"(`+)(.+?)(?<!`)\1(?!`)", "", re.sub(r"\\[\\`]", "", body))
    assert "<" not in outside, [line for line in outside.splitlines() if "<" in line][:3]
    for table in tables(docs):
        assert all(len(row) == len(table.header) for row in table.rows), (table.heading, table.header)


def generate_and_check(t: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        spec = write_spec(directory, t)
        model = load_spec(spec)
        assert model.operation("stock.quote").summary == t["summary"]
        files = render_spec(spec)
        for name, content in files.items():
            if name.endswith(".py"):
                text = content.decode("utf-8")
                compile(text, name, "exec")
                if name.rsplit("/", 1)[-1] not in VERBATIM:  # copied as written, not rendered
                    assert _black(text) == text, f"{name} is not stable under black"
        check_schemas(files, t)
        check_docs(files)
        root = directory / "root"
        write_files(files, root)
        probe = subprocess.run([sys.executable, "-c", PROBE, str(root / "generated")], cwd=directory, capture_output=True, text=True, check=False)
        assert probe.returncode == 0, probe.stderr
        probed = json.loads(probe.stdout)
        check_method_doc(probed.pop("method_doc"), t)
        check_record_docs(probed.pop("record_doc"), probed.pop("record_field_doc"), t)
        assert probed == expected_probe(t)
        assert not (directory / MARKER).exists() and not Path(MARKER).exists()


# A code value is free text too (KIS codes are short, but the spec does not insist).
code_value = hostile.filter(lambda value: value not in ("00", "99"))
places = st.fixed_dictionaries({**{place: hostile_text for place in TEXT_PLACES}, **{place: hostile for place in FREE_PLACES}, "code_value": code_value})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places)
def test_hostile_strings_come_back_exactly(t: dict[str, str]) -> None:
    generate_and_check(t)


def fixed_examples() -> list[dict[str, str]]:
    """Three deterministic worst cases: every fragment at once, and two rotations of them."""
    every = "".join(FRAGMENTS).strip()
    rotations = [
        {place: FRAGMENTS[(index + shift) % len(FRAGMENTS)].strip() or "x" for index, place in enumerate(TEXT_PLACES + FREE_PLACES)}
        for shift in (0, 7)
    ]
    return [{**example, "code_value": every} for example in [{place: every for place in TEXT_PLACES + FREE_PLACES}, *rotations]]


def test_hostile_packages_pass_mypy_strict(tmp_path: Path) -> None:
    # One mypy run per package (each is named kis_client); a handful, as mypy is slow.
    for index, t in enumerate(fixed_examples()):
        generate_and_check(t)
        directory = tmp_path / str(index)
        directory.mkdir()
        write_files(render_spec(write_spec(directory, t)), directory / "root")
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "kis_client"],
            cwd=directory / "root" / "generated",
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout
