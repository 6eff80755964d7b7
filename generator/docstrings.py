"""The generated client's docstrings, from the spec: what a user reads on hovering a method, a
parameter or a field in an IDE (Google style, as openapi-python-client writes them: Args,
Returns or Yields, Raises). Each function gives lines of text; ``literals.doc_block`` makes them
a literal."""

from __future__ import annotations

import textwrap

from .model import QUOTE_TABLE, Operation, Output, RequestField, ResponseField, Rule, Spec

LINE = 100  # black's line length: docstring lines are wrapped to fit it


def wrap(text: str, indent: int, hanging: int = 0) -> list[str]:
    """``text`` as lines that fit at ``indent`` spaces, continuation lines ``hanging`` further in."""
    width = LINE - indent
    lines = textwrap.wrap(text, width=width, subsequent_indent=" " * hanging, break_long_words=False, break_on_hyphens=False)
    return lines or [""]


def _quoted(value: str) -> str:
    return f'"{value}"'


def field_text(spec: Spec, op: Operation, field: RequestField) -> str:
    """Everything the spec says about a request field, as one paragraph."""
    parts = [field.label + (f" — {field.description}" if field.description else "") + f" ({field.wire})."]
    if field.bind is not None:
        parts.append(f"Filled in by the client ({field.bind.replace('_', ' ')}).")
    elif field.default_by_side:
        parts.append("Optional; default " + ", ".join(f"{_quoted(value)} on {side}" for side, value in field.default_by_side) + ".")
    elif field.default is not None:
        parts.append(f"Optional; default {_quoted(field.default)}.")
    else:
        parts.append("Required." if field.required else "Optional.")
    if field.encode == "quote_code" and field.codes is not None:
        quote = spec.code_table(QUOTE_TABLE)
        parts.append(
            f"An {spec.code_table(field.codes).class_name}, sent as its quotation code (NASD → NAS), or a quotation code ({quote.class_name} or its string): "
            + ", ".join(f"{_quoted(code.value)} {code.label}" for code in quote.codes)
            + "."
        )
    elif field.codes is not None:
        table = spec.code_table(field.codes)
        parts.append(f"{table.class_name} or its code: " + ", ".join(f"{_quoted(code.value)} {code.label} ({code.name})" for code in table.codes) + ".")
    if field.pattern is not None:
        parts.append(f"Matches {field.pattern}.")
    if field.max_length is not None:
        parts.append(f"At most {field.max_length} characters.")
    if field.example is not None and not field.secret:
        parts.append(f"Example: {_quoted(field.example)}.")
    parts += [f"Rule {rule.id}: {rule.text}." for rule in _rules_constraining(op, field)]
    return " ".join(parts)


def _rules_constraining(op: Operation, field: RequestField) -> list[Rule]:
    return [rule for rule in op.rules if any(constraint.wire == field.wire for constraint in rule.then)]


def response_field_text(field: ResponseField) -> str:
    wires = " / ".join((field.wire, *field.aliases))
    return field.label + (f" — {field.note}" if field.note else "") + f" ({wires})." + (" Always sent." if field.always_sent else "")


def _args(spec: Spec, op: Operation) -> list[str]:
    entries: list[tuple[str, str]] = []
    if op.request_any:
        entries.append(("body", "The request body as it will be sent (a mapping of field names to values)."))
    if op.has_side:
        entries.append(("side", "매수 or 매도: Side.BUY or Side.SELL (or \"buy\", \"sell\"); picks the TR_ID."))
    if op.has_period and op.tr is not None:
        entries.append(("period", "Which TR_ID: " + " or ".join(_quoted(period) for period in op.tr.periods) + "."))
    entries += [(field.py_name, field_text(spec, op, field)) for field in op.parameters]
    lines = []
    for name, text in entries:
        lines += ["    " + line for line in wrap(f"{name}: {text}", 12, 4)]
    return lines


def _outputs_text(op: Operation) -> str:
    parts = [f"{output.name} ({_output_type(output)})" for output in op.response.outputs]
    if op.response.envelope:
        parts.insert(0, "the envelope (rt_cd, msg_cd, msg1)")
    if op.pagination is not None:
        parts.append("continuation")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _output_type(output: Output) -> str:
    if output.is_list:
        return f"rows of {output.class_name}"
    return output.class_name if output.always_sent else f"{output.class_name} or None"


def _raises(op: Operation, pages: bool) -> list[str]:
    entries = []
    if op.fields or op.request_any or op.has_side or op.has_period:
        entries.append(("ValidationError", "a value breaks the spec's fields or rules; nothing was sent."))
    if op.envs == ("real",):
        entries.append(("UnsupportedEnvironmentError", "on a mock client: KIS offers this on real accounts only; nothing was sent."))
    elif op.tr is not None and op.tr.real_only:
        branches = "; ".join(branch.shown for branch in op.tr.real_only)
        entries.append(("UnsupportedEnvironmentError", f"on a mock client, for a branch KIS offers on real accounts only ({branches}); nothing was sent."))
    if op.response.envelope:
        entries.append(("KisApiError", "KIS refused the call (rt_cd other than \"0\"); RateLimitError, one of them, once the retries are spent."))
    else:
        entries.append(("TokenError", "KIS refused the call (its error_code)."))
    if op.kind == "order":
        entries.append(("OrderStateUnknownError", "the order may have reached KIS and was not resent: look it up before sending it again."))
    if pages:
        entries.append(("PaginationError", "KIS's continuation made no sense, or it still had more after max_pages pages."))
    entries.append(("TransportError", "no answer after the retries (DeadlineExceededError: the call's deadline passed first)."))
    entries.append(("ResponseParseError", "a value of the reply is not its declared kind, or one KIS always sends is missing (the body is in its raw)."))
    lines = []
    for name, text in entries:
        lines += ["    " + line for line in wrap(f"{name}: {text}", 12, 4)]
    return lines


def _about(op: Operation) -> list[str]:
    """The paragraphs after the summary line: where it works, what to use instead, its note."""
    paragraphs = []
    if op.envs == ("real",):
        paragraphs.append("Real accounts only." + (f" On a mock account use {op.mock_instead.operation}: {op.mock_instead.how}" if op.mock_instead else ""))
    if op.note and op.note.strip():
        paragraphs.append(op.note.strip())
    general = [rule for rule in op.rules if not any(op.field(constraint.wire).is_parameter for constraint in rule.then)]
    paragraphs += [f"Rule {rule.id}: {rule.text}." for rule in general]
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += [""] + wrap(paragraph, 8)
    return lines


def _doc(summary: list[str], spec: Spec, op: Operation, gives: str, what: str, pages: bool, extra_args: list[str] | None = None, args_of: str | None = None) -> list[str]:
    """A method's docstring: ``summary``, then Args, ``gives`` (Returns or Yields) ``what``, and
    Raises. ``args_of``: the method whose Args these are (a helper over it says so, not again)."""
    lines = [*summary, *_about(op)]
    args = _args(spec, op) + (extra_args or [])
    if args and args_of is not None:
        args = [f"    The same as {args_of}'s."]
    if args:
        lines += ["", "Args:", *args]
    lines += ["", f"{gives}:", *["    " + line for line in wrap(what, 12, 4)]]
    return lines + ["", "Raises:", *_raises(op, pages=pages)]


def method_doc(spec: Spec, op: Operation) -> list[str]:
    """The docstring of the client's method for ``op``."""
    return _doc([f"{op.summary} — {op.method} {op.path}"], spec, op, "Returns", f"{op.response.class_name}: {_outputs_text(op)}.", pages=False)


def pages_doc(spec: Spec, op: Operation) -> list[str]:
    keys = op.pagination.keys if op.pagination is not None else ()
    following = "tr_cont and " + ", ".join(key.request for key in keys) if keys else "tr_cont alone (the same request again)"
    summary = f"Every page of {op.summary}, following {following} to the last."
    return _doc([summary], spec, op, "Yields", f"{op.response.class_name}: each page: {_outputs_text(op)}.", pages=True, args_of=op.name)


def rows_doc(spec: Spec, op: Operation, output: Output) -> list[str]:
    summary = f"Every row of {op.summary} {output.key or 'body'} ({output.name}) across all pages."
    return _doc([summary], spec, op, "Yields", f"{output.class_name}: each row, page after page.", pages=True, args_of=op.name)


def walk_doc(spec: Spec, op: Operation) -> list[str]:
    walk = op.walk
    assert walk is not None
    floor = f", when the next bound would fall before {walk.floor} (or leave only a Saturday and Sunday before it: no market trades then, so KIS would send no rows)" if walk.floor else ""
    summary = f"Responses of {op.summary} further and further back: each call moves {walk.field} before the oldest {walk.row_field} of the last one (KIS cannot page this with tr_cont). Stops when no older rows come{floor}, or after max_calls calls."
    max_calls = ["    " + line for line in wrap("max_calls: At most this many calls (1 or more).", 12, 4)]
    return _doc(wrap(summary, 8), spec, op, "Yields", f"{op.response.class_name}: each call's response: {_outputs_text(op)}.", pages=False, extra_args=max_calls)
