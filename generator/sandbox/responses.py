"""Response bodies built from the spec's declarations, in KIS's wire formats.

Every declared field is sent (KIS sends blanks rather than leaving fields out); values the
operation's logic does not supply get a neutral value of their kind. Numbers are strings with the
decimals of the field's documented example, dates YYYYMMDD, times HHMMSS.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import cache
from typing import Any

from ..model import Operation, Output, ResponseField

Row = Mapping[str, Any]
OutputValue = Row | Sequence[Row] | None

SUCCESS: dict[str, tuple[str, str]] = {
    "order": ("APBK0013", "주문 전송 완료 되었습니다."),
    "read": ("KIOK0000", "정상처리 되었습니다."),
}


def decimals_of(field: ResponseField) -> int:
    example = field.example or ""
    if "." in example:
        return len(example.split(".", 1)[1])
    return 0 if example.lstrip("-").isdigit() else 2


def _number(value: Decimal | int, places: int) -> str:
    """Any finite number in KIS's notation, however many digits it has."""
    if places == 0 and type(value) is int:
        return str(value)
    number = Decimal(value)
    digits = number.adjusted() + 1 + places
    context = _WIDE if digits < _WIDE.prec else Context(prec=digits + 1)
    return f"{number.quantize(_quantum(places), rounding=ROUND_HALF_UP, context=context):f}"


_ONE = Decimal(1)
_WIDE = Context(prec=60)  # wider than any amount the spec's field lengths allow


@cache
def _quantum(places: int) -> Decimal:
    return _ONE.scaleb(-places)


def neutral(field: ResponseField, now: datetime) -> Any:
    """A value of the field's kind when nothing more specific is known."""
    example = field.example
    if field.kind == "int":
        return "0"
    if field.kind == "decimal":
        return _number(0, decimals_of(field))
    if field.kind == "date":
        return "" if example == "" or example is None else now.strftime("%Y%m%d")
    if field.kind == "time":
        return now.strftime("%H%M%S")
    if field.kind == "datetime":
        return now.strftime("%Y-%m-%d %H:%M:%S")
    if field.kind == "flag":
        return example if example in ("Y", "N", "") else "N"
    if field.secret:
        return secrets.token_urlsafe(24)
    return example if example is not None else ""


def wire_value(field: ResponseField, value: Any) -> Any:
    """``value`` (int, Decimal, date, time, bool or str) as KIS writes this field."""
    if isinstance(value, bool):
        text: Any = "Y" if value else "N"
    elif field.kind in ("int", "decimal") and isinstance(value, (int, Decimal)):
        text = _number(value, 0 if field.kind == "int" else decimals_of(field))
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, date):
        text = value.strftime("%Y%m%d")
    elif isinstance(value, dtime):
        text = value.strftime("%H%M%S")
    else:
        text = value
    if field.json == "number" or (field.json == "any" and isinstance(text, str) and text.isdigit() and (field.example or "").isdigit()):
        return int(Decimal(text)) if isinstance(text, str) and text else text
    return text


def render_row(output: Output, values: Row, now: datetime) -> dict[str, Any]:
    return {field.wire: wire_value(field, values[field.wire]) if field.wire in values else neutral(field, now) for field in output.fields}


def example_row(output: Output, now: datetime) -> dict[str, Any]:
    """A row for an operation without state logic: documented examples, else neutral values."""
    row: dict[str, Any] = {field.wire: field.example for field in output.fields if field.example is not None and not field.secret}
    for field in output.fields:
        # A list row needs its key, or clients drop it as padding; what KIS always sends is never blank.
        if (field.wire == output.row_key or field.always_sent) and not row.get(field.wire):
            row[field.wire] = never_blank(field, now)
    return row


def never_blank(field: ResponseField, now: datetime) -> Any:
    """A value of the field's kind that is not blank."""
    if field.kind == "date":
        return now.strftime("%Y%m%d")
    if field.kind == "flag":
        return "N"
    if field.kind in ("int", "decimal", "time", "datetime"):
        return neutral(field, now)
    return "SBX0001"


def render_body(op: Operation, outputs: Mapping[str, OutputValue], now: datetime) -> dict[str, Any]:
    """The whole body: KIS's envelope (when declared) and every output in its declared shape.

    ``outputs`` maps an output's name to its rows or object; a missing one is built from examples.
    """
    body: dict[str, Any] = {}
    if op.response.envelope:
        msg_cd, msg1 = SUCCESS.get(op.kind, SUCCESS["read"])
        body.update(rt_cd="0", msg_cd=msg_cd, msg1=msg1)
    for output in op.response.outputs:
        given = outputs.get(output.name)
        if output.shape == "list":
            rows = [example_row(output, now)] if given is None else list(given) if not isinstance(given, Mapping) else [given]
            value: Any = [render_row(output, row, now) for row in rows]
        else:
            row = example_row(output, now) if given is None else given if isinstance(given, Mapping) else given[0]
            value = render_row(output, row, now)
            if output.shape == "list_of_one":
                value = [value]
        if output.key is None:
            body.update(value)
        else:
            body[output.key] = value
    return body
