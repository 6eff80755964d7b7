"""Compare two specs as models and name every change a bot author would care about.

Modelled on oasdiff: one small check per kind of change, and ONE table (``CHECKS``) listing
them all, so a new rule is one new entry. Checks compare by identity (operation, field wire
name, code value, rule id, TR_ID cell), never by position or label, so reordering YAML or
renaming a label shows no change.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import Problem, SpecError
from .load import SpecFile, load_dir, load_text, spec_order
from .builder import build_older_model
from .model import Operation, Pagination, RealtimeTr, RequestField, Rule, Spec, TrCell


@dataclass(frozen=True, slots=True)
class Change:
    check: str  # the id of the check that found it
    breaking: bool
    where: str  # an operation's qualified name, or the spec section
    message: str
    reason: str
    details: dict[str, str | None] = field(default_factory=dict)  # machine-readable: cell, before, after


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    summary: str
    run: Callable[[Spec, Spec], Iterator[Change]]


# ---------------------------------------------------------------------------------------------
# Helpers

K = TypeVar("K")
V = TypeVar("V")


def _pairs(base: dict[K, V], head: dict[K, V]) -> Iterator[tuple[K, V, V]]:
    """Entries present on both sides, in head order."""
    for key, after in head.items():
        if key in base:
            yield key, base[key], after


def _added(base: dict[K, V], head: dict[K, V]) -> list[K]:
    """Keys only in ``head``, in head order (never set order: output must be deterministic)."""
    return [key for key in head if key not in base]


def _code(value: str | None) -> str:
    return "(none)" if value is None else f"`{json.dumps(value, ensure_ascii=False)}`" if value == "" else f"`{value}`"


def _ops(spec: Spec) -> dict[str, Operation]:
    return {op.qualname: op for op in spec.operations}


def _common_ops(base: Spec, head: Spec) -> Iterator[tuple[str, Operation, Operation]]:
    return _pairs(_ops(base), _ops(head))


def _fields(op: Operation) -> dict[str, RequestField]:
    return {field.wire: field for field in op.fields}


def _common_fields(base: Spec, head: Spec) -> Iterator[tuple[str, str, RequestField, RequestField]]:
    for qualname, old_op, new_op in _common_ops(base, head):
        for wire, old, new in _pairs(_fields(old_op), _fields(new_op)):
            yield qualname, wire, old, new


def _cell_key(cell: TrCell) -> tuple[str, str | None, str | None, str | None]:
    return (cell.env, cell.market, cell.side, cell.period)


def _cell_phrase(op: Operation, cell: TrCell) -> str:
    """E.g. "mock-account US sell orders", the calls this TR_ID is sent with."""
    account = "real-account" if cell.env == "real" else "mock-account"
    noun = {"order": "orders", "read": "requests"}.get(op.kind, "calls")
    words = [account] + [part for part in (cell.market, cell.side) if part] + [noun]
    if cell.period:
        words.append(f"(period {cell.period})")
    return " ".join(words)


def _cell_origin(cell: TrCell) -> str:
    if cell.how == "override":
        return f"mock override; source: {cell.source}"
    return {"rule": "derived by the mock rule", "same": "same as real", "spec": "from the spec"}.get(cell.how, cell.how)


def _values(spec: Spec, field: RequestField) -> set[str] | None:
    return set(spec.code_table(field.codes).values) if field.codes is not None else None


def _rule_shape(rule: Rule) -> tuple[frozenset[tuple[str, str, frozenset[str]]], frozenset[tuple[str, str, frozenset[str], str | None]]]:
    """A rule without its id, text or the order of its parts."""
    when = frozenset((c.subject, c.name, frozenset(c.values)) for c in rule.when)
    then = frozenset((c.wire, c.op, frozenset(c.values), c.pattern) for c in rule.then)
    return when, then


def _only_widens(old: Rule, new: Rule) -> bool:
    """Same condition, and every constraint is an `in` that now accepts a superset."""
    if _rule_shape(old)[0] != _rule_shape(new)[0] or len(old.then) != len(new.then):
        return False
    before = {c.wire: c for c in old.then}
    for constraint in new.then:
        prior = before.get(constraint.wire)
        if prior is None or prior.op != "in" or constraint.op != "in" or not set(prior.values) <= set(constraint.values):
            return False
    return True


def _describe_rule(rule: Rule) -> str:
    when = ", ".join(f"{c.name} in {'/'.join(c.values)}" for c in rule.when) or "always"
    then = ", ".join(
        f"{c.wire} {c.op} {c.pattern if c.pattern is not None else '/'.join(repr(v) for v in c.values)}" for c in rule.then
    )
    return f"when {when}: {then}"


# ---------------------------------------------------------------------------------------------
# Checks: one small function per kind of change


def operation_added(base: Spec, head: Spec) -> Iterator[Change]:
    old = _ops(base)
    for qualname, op in _ops(head).items():
        if qualname not in old:
            yield Change("operation-added", False, qualname, f"operation added: {op.method} `{op.path}` ({op.summary})", "new calls; existing code is unaffected")


def operation_removed(base: Spec, head: Spec) -> Iterator[Change]:
    new = _ops(head)
    for qualname, op in _ops(base).items():
        if qualname not in new:
            yield Change("operation-removed", True, qualname, f"operation removed: {op.method} `{op.path}`", "code calling it no longer has the method")


def endpoint_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old, new in _common_ops(base, head):
        if (old.method, old.path) != (new.method, new.path):
            yield Change(
                "endpoint-changed", True, qualname, f"endpoint changed: {old.method} `{old.path}` → {new.method} `{new.path}`", "clients built from the old spec call the old endpoint"
            )


def tr_id_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        old_cells = {_cell_key(c): c for c in _cells(old_op)}
        for key, old, new in _pairs(old_cells, {_cell_key(c): c for c in _cells(new_op)}):
            if old.tr_id != new.tr_id:
                phrase = _cell_phrase(new_op, new)
                yield Change(
                    "tr-id-changed",
                    True,
                    qualname,
                    f"TR_ID for {phrase} changed: `{old.tr_id}` → `{new.tr_id}` ({_cell_origin(new)})",
                    f"breaking for {phrase}: clients built from the old spec send `{old.tr_id}`; regenerate, and replace any hard-coded `{old.tr_id}`",
                    {"env": new.env, "market": new.market, "side": new.side, "period": new.period, "before": old.tr_id, "after": new.tr_id, "source": new.source},
                )


def _cells(op: Operation) -> tuple[TrCell, ...]:
    return op.tr.cells if op.tr else ()


def _cells_only_in(op: Operation, other: Operation) -> list[TrCell]:
    """``op``'s TR_ID cells whose combination ``other`` does not have."""
    others = {_cell_key(cell) for cell in _cells(other)}
    return [cell for cell in _cells(op) if _cell_key(cell) not in others]


def tr_id_added(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        for cell in _cells_only_in(new_op, old_op):
            yield Change("tr-id-added", False, qualname, f"TR_ID added for {_cell_phrase(new_op, cell)}: `{cell.tr_id}`", "a new combination becomes possible; existing calls keep theirs")


def tr_id_removed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        for cell in _cells_only_in(old_op, new_op):
            yield Change("tr-id-removed", True, qualname, f"TR_ID removed for {_cell_phrase(old_op, cell)} (was `{cell.tr_id}`)", "these calls are no longer possible")


def tr_dimensions_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old, new in _common_ops(base, head):
        old_dims = old.tr.dims if old.tr else ()
        new_dims = new.tr.dims if new.tr else ()
        if set(old_dims) != set(new_dims):
            yield Change("tr-id-dimensions-changed", True, qualname, f"TR_ID now chosen by {', '.join(new_dims) or 'nothing'} (was {', '.join(old_dims) or 'nothing'})", "the method's parameters change (side/period arguments)")


def field_added(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        old_fields = _fields(old_op)
        for field in new_op.fields:
            if field.wire in old_fields:
                continue
            must_pass = field.required and not field.has_default and field.is_parameter
            reason = "callers must now pass it" if must_pass else "optional or filled in by the client; existing calls still work"
            kind = "required" if field.required else "optional"
            yield Change("field-added", must_pass, qualname, f"{kind} request field `{field.wire}` added", reason, {"field": field.wire})


def field_removed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        new_fields = _fields(new_op)
        for field in old_op.fields:
            if field.wire not in new_fields:
                yield Change("field-removed", True, qualname, f"request field `{field.wire}` removed", "callers passing it fail; KIS no longer takes it", {"field": field.wire})


def field_renamed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, wire, old, new in _common_fields(base, head):
        if old.py_name != new.py_name and new.is_parameter:
            yield Change("field-renamed", True, qualname, f"request field `{wire}`: parameter `{old.py_name}` → `{new.py_name}`", "callers passing the old keyword fail", {"field": wire})


def field_required_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, wire, old, new in _common_fields(base, head):
        if old.required == new.required:
            continue
        if new.required:
            breaking = not new.has_default and new.is_parameter
            reason = "callers that omitted it must now pass it" if breaking else "the client fills it in; existing calls still work"
            yield Change("field-made-required", breaking, qualname, f"request field `{wire}` made required", reason, {"field": wire})
        else:
            yield Change("field-made-optional", False, qualname, f"request field `{wire}` made optional", "callers may now omit it", {"field": wire})


def codes_changed(base: Spec, head: Spec) -> Iterator[Change]:
    """Codes a request field accepts, whether its table changed or the field points elsewhere."""
    for qualname, wire, old, new in _common_fields(base, head):
        before, after = _values(base, old), _values(head, new)
        if before is None or after is None:
            if before != after:
                yield Change(
                    "codes-changed", after is not None, qualname, f"`{wire}`: code table {'added' if after is not None else 'removed'}", "only listed codes are accepted now" if after is not None else "any value is accepted now", {"field": wire}
                )
            continue
        added = sorted(after - before)
        removed = sorted(before - after)
        table = new.codes
        if added:
            yield Change("codes-added", False, qualname, f"`{wire}` ({table}): codes added: {', '.join(_code(v) for v in added)}", "more values are accepted", {"field": wire, "codes": " ".join(added)})
        if removed:
            yield Change("codes-removed", True, qualname, f"`{wire}` ({table}): codes removed: {', '.join(_code(v) for v in removed)}", "requests using them are now rejected", {"field": wire, "codes": " ".join(removed)})


def code_tables_changed(base: Spec, head: Spec) -> Iterator[Change]:
    """Code tables (each an enum of kis_client.enums) that are new or gone, as an import adds them."""
    old = {table.name: table for table in base.code_tables}
    new = {table.name: table for table in head.code_tables}
    for name in _added(old, new):
        table = new[name]
        yield Change("code-table-added", False, "codes", f"code table `{name}` ({table.label}) added: enum `{table.class_name}`, {len(table.codes)} codes", "a new enum; nothing existing changes", {"table": name})
    for name in _added(new, old):
        yield Change("code-table-removed", True, "codes", f"code table `{name}` removed (enum `{old[name].class_name}`)", "code importing the enum fails", {"table": name})


def pattern_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, wire, old, new in _common_fields(base, head):
        if old.pattern == new.pattern:
            continue
        breaking = new.pattern is not None
        reason = "values accepted before may now be rejected" if breaking else "any value is accepted now"
        yield Change("pattern-changed", breaking, qualname, f"`{wire}`: pattern {_code(old.pattern)} → {_code(new.pattern)}", reason, {"field": wire, "before": old.pattern, "after": new.pattern})


def max_length_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, wire, old, new in _common_fields(base, head):
        if old.max_length == new.max_length:
            continue
        breaking = new.max_length is not None and (old.max_length is None or new.max_length < old.max_length)
        reason = "longer values are now rejected" if breaking else "longer values are accepted now"
        yield Change("max-length-changed", breaking, qualname, f"`{wire}`: max length {old.max_length or '(none)'} → {new.max_length or '(none)'}", reason, {"field": wire})


def default_changed(base: Spec, head: Spec) -> Iterator[Change]:
    def shown(field: RequestField) -> str:
        if field.default_by_side:
            return ", ".join(f"{side} {_code(value)}" for side, value in field.default_by_side)
        return _code(field.default)

    for qualname, wire, old, new in _common_fields(base, head):
        if (old.default, old.default_by_side) == (new.default, new.default_by_side):
            continue
        if not old.has_default:
            breaking, reason = False, "callers may now omit it"
        elif not new.has_default:
            breaking, reason = True, "callers that omitted it must now pass it"
        else:
            breaking, reason = True, "callers that omit it now send a different value"
        yield Change("default-changed", breaking, qualname, f"`{wire}`: default {shown(old)} → {shown(new)}", reason, {"field": wire, "before": shown(old), "after": shown(new)})


def rule_added(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        old_ids = {rule.id for rule in old_op.rules}
        for rule in new_op.rules:
            if rule.id not in old_ids:
                yield Change("rule-added", True, qualname, f"rule `{rule.id}` added ({rule.text}): {_describe_rule(rule)}", "requests accepted before may now be rejected")


def rule_removed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        new_ids = {rule.id for rule in new_op.rules}
        for rule in old_op.rules:
            if rule.id not in new_ids:
                yield Change("rule-removed", False, qualname, f"rule `{rule.id}` removed ({rule.text})", "requests are checked less strictly")


def rule_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        for rule_id, old, new in _pairs({r.id: r for r in old_op.rules}, {r.id: r for r in new_op.rules}):
            if _rule_shape(old) == _rule_shape(new):
                continue  # only its text changed
            widens = _only_widens(old, new)
            reason = "it now accepts more values" if widens else "requests accepted before may now be rejected"
            yield Change("rule-changed", not widens, qualname, f"rule `{rule_id}` changed: {_describe_rule(old)} → {_describe_rule(new)}", reason)


def headers_changed(base: Spec, head: Spec) -> Iterator[Change]:
    old = {h.name: h for h in base.headers}
    new = {h.name: h for h in head.headers}
    for name, before, after in _pairs(old, new):
        if before.value != after.value:
            yield Change("header-changed", True, "headers", f"header `{name}`: `{before.value}` → `{after.value}`", "clients built from the old spec send the old value")
    for name in _added(old, new):
        yield Change("header-added", False, "headers", f"header `{name}` declared", "no operation sent it before")
    for name in _added(new, old):
        yield Change("header-removed", True, "headers", f"header `{name}` removed", "clients built from the old spec still send it")


def operation_headers_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old, new in _common_ops(base, head):
        for name in new.headers:
            if name not in old.headers:
                yield Change("operation-header-added", True, qualname, f"now sends header `{name}`", "clients built from the old spec do not send it")
        for name in old.headers:
            if name not in new.headers:
                yield Change("operation-header-removed", False, qualname, f"no longer sends header `{name}`", "one header fewer; KIS did not need it")


def environments_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for name, old, new in _pairs({e.name: e for e in base.environments}, {e.name: e for e in head.environments}):
        if old.base_url != new.base_url:
            yield Change("base-url-changed", True, f"environment {name}", f"base URL `{old.base_url}` → `{new.base_url}`", "clients built from the old spec connect to the old host")
        if old.rate_limit_per_second != new.rate_limit_per_second:
            lower = new.rate_limit_per_second < old.rate_limit_per_second
            reason = "clients pacing at the old rate get EGW00201" if lower else "clients may send faster"
            yield Change("rate-limit-changed", lower, f"environment {name}", f"rate limit {old.rate_limit_per_second:g}/s → {new.rate_limit_per_second:g}/s", reason)


def mock_rule_changed(base: Spec, head: Spec) -> Iterator[Change]:
    old, new = base.mock_rule, head.mock_rule
    if (set(old.first_letters), old.replacement) != (set(new.first_letters), new.replacement):
        yield Change(
            "mock-rule-changed",
            False,
            "mock TR_ID rule",
            f"first letters {'/'.join(old.first_letters)} → {old.replacement} is now {'/'.join(new.first_letters)} → {new.replacement}",
            "each TR_ID it changes is listed on its own",
        )


def markets_changed(base: Spec, head: Spec) -> Iterator[Change]:
    old = {m.code: m for m in base.markets}
    new = {m.code: m for m in head.markets}
    for code in _added(old, new):
        yield Change("market-added", False, "markets", f"market `{code}` ({new[code].label}) added", "new orders become possible")
    for code in _added(new, old):
        yield Change("market-removed", True, "markets", f"market `{code}` removed", "orders for it are no longer possible")
    for code, before, after in _pairs(old, new):
        if (before.natn_cd, before.currency) != (after.natn_cd, after.currency):
            yield Change("market-changed", True, "markets", f"market `{code}`: country code/currency {before.natn_cd}/{before.currency} → {after.natn_cd}/{after.currency}", "requests built from the old values are wrong")
        if before.timezone != after.timezone:
            yield Change("market-timezone-changed", False, "markets", f"market `{code}`: time zone {before.timezone or '(none)'} → {after.timezone or '(none)'}", "exchange_today and exchange_now answer in the new zone")


def exchanges_changed(base: Spec, head: Spec) -> Iterator[Change]:
    old = {e.code: e for e in base.exchanges}
    new = {e.code: e for e in head.exchanges}
    for code in _added(old, new):
        yield Change("exchange-added", False, "exchanges", f"exchange `{code}` ({new[code].label}, market {new[code].market}) added", "a new exchange code is accepted")
    for code in _added(new, old):
        yield Change("exchange-removed", True, "exchanges", f"exchange `{code}` removed", "orders naming it are now rejected")
    for code, before, after in _pairs(old, new):
        if before.market != after.market:
            yield Change("exchange-moved", True, "exchanges", f"exchange `{code}` moved from market {before.market} to {after.market}", "orders on it use another TR_ID")


def outputs_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        old = {o.name: o for o in old_op.response.outputs}
        new = {o.name: o for o in new_op.response.outputs}
        for name in _added(old, new):
            yield Change("output-added", False, qualname, f"response output `{name}` added", "a new attribute on the response")
        for name in _added(new, old):
            yield Change("output-removed", True, qualname, f"response output `{name}` removed", "code reading it breaks")
        for name, before, after in _pairs(old, new):
            if (before.key, before.shape) != (after.key, after.shape):
                yield Change("output-changed", True, qualname, f"response output `{name}`: {before.key or '(body)'} {before.shape} → {after.key or '(body)'} {after.shape}", "its type changes")


def response_fields_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old_op, new_op in _common_ops(base, head):
        old_outputs = {o.name: o for o in old_op.response.outputs}
        for name, old_out, new_out in _pairs(old_outputs, {o.name: o for o in new_op.response.outputs}):
            old = {f.wire: f for f in old_out.fields}
            new = {f.wire: f for f in new_out.fields}
            for wire in _added(old, new):
                yield Change("response-field-added", False, qualname, f"response field `{name}.{wire}` added", "a new attribute; existing code is unaffected")
            for wire in _added(new, old):
                yield Change("response-field-removed", True, qualname, f"response field `{name}.{wire}` removed", "code reading it breaks (it lands in `.extra` if KIS still sends it)")
            for wire, before, after in _pairs(old, new):
                if before.kind != after.kind:
                    yield Change("response-field-kind-changed", True, qualname, f"response field `{name}.{wire}`: {before.kind} → {after.kind}", "its Python type changes")
                if before.py_name != after.py_name:
                    yield Change("response-field-renamed", True, qualname, f"response field `{name}.{wire}`: attribute `{before.py_name}` → `{after.py_name}`", "code reading the old attribute breaks")
                if before.kind_inferred != after.kind_inferred and after.kind != "text":
                    if after.kind_inferred:
                        yield Change("response-field-kind-inferred", False, qualname, f"response field `{name}.{wire}`: its kind is now inferred", "a value that does not fit it is kept in `.extra`, not an error")
                    else:
                        yield Change("response-field-kind-inferred", True, qualname, f"response field `{name}.{wire}`: its kind is no longer inferred", "a value that does not fit it is a ResponseParseError")
                if before.always_sent != after.always_sent:
                    if after.always_sent:
                        yield Change("response-field-always-sent", False, qualname, f"response field `{name}.{wire}` is now always sent", "its type loses None; a reply without it is a ResponseParseError")
                    else:
                        yield Change("response-field-always-sent", True, qualname, f"response field `{name}.{wire}` is no longer always sent", "its type gains None: code using it as a value must check first")


def pagination_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for qualname, old, new in _common_ops(base, head):
        before, after = old.pagination, new.pagination
        if before == after or (before is not None and after is not None and before.keys == after.keys):
            continue  # a page size is KIS's business, not the caller's
        if before is None:
            yield Change("pagination-added", False, qualname, "now paginated (tr_cont and continuation keys)", "a `_pages` method is added; the first page is what the call returned before")
        elif after is None:
            yield Change("pagination-removed", True, qualname, "no longer paginated", "code iterating pages breaks")
        else:
            yield Change("pagination-changed", True, qualname, f"continuation keys {_page_keys(before)} → {_page_keys(after)}", "clients built from the old spec send the old keys")


def _page_keys(pagination: Pagination) -> str:
    return ", ".join(key.shown for key in pagination.keys) or "none (tr_cont alone)"


def _trs(spec: Spec) -> dict[str, RealtimeTr]:
    """The real-time TRs by their real TR_ID: what KIS and users know them by."""
    return {tr.real_tr_id: tr for tr in spec.realtime.trs} if spec.realtime is not None else {}


def _common_trs(base: Spec, head: Spec) -> Iterator[tuple[str, RealtimeTr, RealtimeTr]]:
    return _pairs(_trs(base), _trs(head))


def realtime_feed_changed(base: Spec, head: Spec) -> Iterator[Change]:
    old, new = base.realtime, head.realtime
    if old is None or new is None:
        if old is not new:
            yield Change("realtime-feed", old is not None, "realtime", "real-time feed " + ("added" if new is not None else "removed"), "a client.realtime() session is new" if new is not None else "code using client.realtime() breaks")
        return
    for env, url in new.urls:
        before = old.url(env)
        if (before, old.path) != (url, new.path):
            yield Change("realtime-feed", True, "realtime", f"{env} WebSocket `{before}{old.path}` → `{url}{new.path}`", "clients built from the old spec connect to the old address")
    if old.registration_limit != new.registration_limit:
        lower = new.registration_limit < old.registration_limit
        yield Change(
            "realtime-feed", lower, "realtime", f"registrations a session {old.registration_limit} → {new.registration_limit}",
            "clients built from the old spec register more than KIS takes (OPSP0008)" if lower else "sessions may register more",
        )
    outcomes = {control.code: control.outcome for control in old.codes}
    for control in new.codes:
        outcome = outcomes.get(control.code)
        if outcome is None:
            yield Change("realtime-feed", False, "realtime", f"control code `{control.code}` ({control.outcome}) added", "clients built from the old spec read it by rt_cd")
        elif outcome != control.outcome:
            yield Change("realtime-feed", True, "realtime", f"control code `{control.code}`: {outcome} → {control.outcome}", "clients built from the old spec take it for what it no longer means")


def realtime_tr_added(base: Spec, head: Spec) -> Iterator[Change]:
    for tr_id in _added(_trs(base), _trs(head)):
        tr = _trs(head)[tr_id]
        yield Change("realtime-tr-added", False, f"realtime.{tr.name}", f"real-time TR `{tr_id}` added ({tr.label}, {len(tr.fields)} fields)", "a new record class; existing code is unaffected")


def realtime_tr_removed(base: Spec, head: Spec) -> Iterator[Change]:
    for tr_id in _added(_trs(head), _trs(base)):
        tr = _trs(base)[tr_id]
        yield Change("realtime-tr-removed", True, f"realtime.{tr.name}", f"real-time TR `{tr_id}` removed", f"code registering {tr.class_name} breaks")


def realtime_tr_changed(base: Spec, head: Spec) -> Iterator[Change]:
    for tr_id, old, new in _common_trs(base, head):
        where = f"realtime.{new.name}"
        if old.class_name != new.class_name:
            yield Change("realtime-tr-changed", True, where, f"`{tr_id}` record class `{old.class_name}` → `{new.class_name}`", "code naming the old class breaks")
        if old.mock_tr_id != new.mock_tr_id:
            if new.mock_tr_id is None:
                yield Change("realtime-tr-changed", True, where, f"`{tr_id}` no longer served on mock (was `{old.mock_tr_id}`)", "mock sessions registering it are refused")
            else:
                breaking = old.mock_tr_id is not None
                yield Change("realtime-tr-changed", breaking, where, f"`{tr_id}` mock TR_ID {_code(old.mock_tr_id)} → `{new.mock_tr_id}`", "clients built from the old spec register the old one" if breaking else "mock sessions may register it")
        if old.encrypted != new.encrypted:
            yield Change("realtime-tr-changed", True, where, f"`{tr_id}` {'now' if new.encrypted else 'no longer'} encrypted", "clients built from the old spec misread its frames")
        if old.key.pattern != new.key.pattern:
            yield Change("realtime-tr-changed", True, where, f"`{tr_id}` tr_key pattern {_code(old.key.pattern)} → {_code(new.key.pattern)}", "keys accepted before may now be refused")


def realtime_fields_changed(base: Spec, head: Spec) -> Iterator[Change]:
    """Records are read by position: a field added before others, or removed, moves every field
    after it; one added at the end is an extra value to clients built from the old spec."""
    for tr_id, old_tr, new_tr in _common_trs(base, head):
        where = f"realtime.{new_tr.name}"
        old = [field.wire for field in old_tr.fields]
        new = [field.wire for field in new_tr.fields]
        for position, wire in enumerate(new):
            if wire in old:
                continue
            moved = [other for other in new[position + 1 :] if other in old]
            if moved:
                yield Change(
                    "realtime-field-added", True, where, f"`{tr_id}` field `{wire}` inserted at position {position + 1}, before {len(moved)} field(s) from `{moved[0]}`",
                    f"clients built from the old spec read {len(moved)} field(s) from the wrong position", {"field": wire},
                )
            else:
                yield Change("realtime-field-added", False, where, f"`{tr_id}` field `{wire}` added at the end (position {position + 1})", "clients built from the old spec keep it in `.extra`", {"field": wire})
        for position, wire in enumerate(old):
            if wire in new:
                continue
            moved = [other for other in old[position + 1 :] if other in new]
            reason = f"clients built from the old spec read {len(moved)} field(s) from the wrong position" if moved else "records are shorter than clients built from the old spec read: they report them and deliver none"
            yield Change("realtime-field-removed", True, where, f"`{tr_id}` field `{wire}` removed (was position {position + 1})", reason, {"field": wire})
        if [wire for wire in old if wire in new] != [wire for wire in new if wire in old]:
            yield Change("realtime-field-moved", True, where, f"`{tr_id}` fields reordered", "clients built from the old spec read them from the wrong positions")
        kinds = {field.wire: field.kind for field in old_tr.fields}
        for field in new_tr.fields:
            if field.wire in kinds and kinds[field.wire] != field.kind:
                yield Change("realtime-field-kind-changed", True, where, f"`{tr_id}` field `{field.wire}`: {kinds[field.wire]} → {field.kind}", "its Python type changes", {"field": field.wire})


# The table of every check. A new kind of change is one function above and one entry here.
CHECKS: tuple[Check, ...] = (
    Check("operation-added", "an operation is new", operation_added),
    Check("operation-removed", "an operation is gone", operation_removed),
    Check("endpoint-changed", "an operation's method or path changed", endpoint_changed),
    Check("tr-id-changed", "the TR_ID of an (operation, env, market, side, period) cell changed", tr_id_changed),
    Check("tr-id-added", "a TR_ID cell is new", tr_id_added),
    Check("tr-id-removed", "a TR_ID cell is gone", tr_id_removed),
    Check("tr-id-dimensions-changed", "the TR_ID is chosen by other dimensions", tr_dimensions_changed),
    Check("field-added", "a request field is new", field_added),
    Check("field-removed", "a request field is gone", field_removed),
    Check("field-renamed", "a request field's Python parameter has another name", field_renamed),
    Check("field-required", "a request field was made required or optional", field_required_changed),
    Check("codes", "codes were added to or removed from a field's code table", codes_changed),
    Check("code-tables", "a code table (an enum) was added or removed", code_tables_changed),
    Check("pattern-changed", "a request field's pattern changed", pattern_changed),
    Check("max-length-changed", "a request field's maximum length changed", max_length_changed),
    Check("default-changed", "a request field's default changed", default_changed),
    Check("rule-added", "a validation rule is new", rule_added),
    Check("rule-removed", "a validation rule is gone", rule_removed),
    Check("rule-changed", "a validation rule's condition or constraint changed", rule_changed),
    Check("headers", "a common header was added, removed or changed", headers_changed),
    Check("operation-headers", "an operation sends other headers", operation_headers_changed),
    Check("environments", "a base URL or rate limit changed", environments_changed),
    Check("mock-rule-changed", "the mock TR_ID rule changed", mock_rule_changed),
    Check("markets", "a market was added, removed or changed", markets_changed),
    Check("exchanges", "an exchange was added, removed or moved", exchanges_changed),
    Check("pagination", "an operation became paginated, stopped being, or changed its continuation keys", pagination_changed),
    Check("outputs", "a response output was added, removed or reshaped", outputs_changed),
    Check("response-fields", "a response field was added, removed, renamed, changed kind or became (no longer) inferred or always sent", response_fields_changed),
    Check("realtime-feed", "the real-time feed's address, registration limit or control codes changed", realtime_feed_changed),
    Check("realtime-tr-added", "a real-time TR is new", realtime_tr_added),
    Check("realtime-tr-removed", "a real-time TR is gone", realtime_tr_removed),
    Check("realtime-tr-changed", "a real-time TR's class, mock TR_ID, encryption or tr_key changed", realtime_tr_changed),
    Check("realtime-fields", "a real-time field was added, removed, moved or changed kind (breaking where positions shift)", realtime_fields_changed),
)


def diff_specs(base: Spec, head: Spec) -> list[Change]:
    """Every change from ``base`` to ``head``, breaking ones first, in check-table order."""
    changes = [change for check in CHECKS for change in check.run(base, head)]
    return sorted(changes, key=lambda change: not change.breaking)  # stable: keeps table order


# ---------------------------------------------------------------------------------------------
# Reading a side: a directory or a git revision


def _git(root: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    if result.returncode != 0:
        detail = "; ".join(line.strip() for line in result.stderr.decode(errors="replace").splitlines() if line.strip())
        raise SpecError([Problem(args[-1], 1, "", f"git {args[0]} failed: {detail}")])
    return result.stdout


def load_revision(root: Path, revision: str, spec_path: str = "spec") -> list[SpecFile]:
    """The spec files of ``revision`` in the git repository at ``root``, read without a checkout."""
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", f"{revision}:{spec_path}").decode()
    names = spec_order(listing.split("\0"))
    if not names:
        raise SpecError([Problem(f"{revision}:{spec_path}", 1, "", "no *.yaml spec files here")])
    files: list[SpecFile] = []
    problems: list[Problem] = []
    for name in names:
        shown = f"{revision}:{spec_path}/{name}"
        try:
            files.append(load_text(shown, _git(root, "show", shown)))
        except SpecError as error:
            problems.extend(error.problems)
    if problems:
        raise SpecError(problems)
    return files


def load_side(where: str, root: Path) -> Spec:
    """A spec directory (or a directory holding ``spec/``), else a git revision of ``root``."""
    path = Path(where)
    if path.is_dir():
        directory = path / "spec" if (path / "spec").is_dir() else path
        return build_older_model(load_dir(directory.resolve(), display_root=Path.cwd()))
    return build_older_model(load_revision(root, where))


# ---------------------------------------------------------------------------------------------
# Output


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(changes: Iterable[Change], base: str, head: str) -> str:
    changes = list(changes)
    breaking = [c for c in changes if c.breaking]
    lines = [f"## KIS spec changes: `{base}` → `{head}`", ""]
    if not changes:
        lines.append("No changes to operations, TR_IDs, fields, codes, rules, markets, exchanges, environments, responses or the real-time feed.")
        return "\n".join(lines) + "\n"
    lines.append(f"**{len(changes)} change(s), {len(breaking)} breaking.**")
    for title, group in (("Breaking", breaking), ("Not breaking", [c for c in changes if not c.breaking])):
        if not group:
            continue
        lines += ["", f"### {title} ({len(group)})", "", "| where | change | why |", "|---|---|---|"]
        lines += [f"| `{_cell(c.where)}` | {_cell(c.message)} | {_cell(c.reason)} |" for c in group]
    return "\n".join(lines) + "\n"


def to_json(changes: Iterable[Change], base: str, head: str) -> str:
    changes = list(changes)
    document: dict[str, Any] = {
        "base": base,
        "head": head,
        "breaking": sum(c.breaking for c in changes),
        "changes": [asdict(c) for c in changes],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
