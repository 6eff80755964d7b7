"""Parsing response values: KIS sends strings, and "" means no value.

Generated parsers read a row in straight lines and fall back on ``parse_carefully`` (here) for a
row that is not what KIS usually sends; the value parsers (``p_int`` ...) and the readers of
whole outputs (``parse_rows``, ``parse_object``) are shared by all of them.
"""

from __future__ import annotations

import logging
import reprlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, time as dtime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar

from kis_client._models import Rows, frozen
from kis_client.errors import ResponseParseError

T = TypeVar("T")
logger = logging.getLogger("kis_client")


class _BadValue(Exception):
    pass


class _Missing(_BadValue):
    """A value KIS always sends is absent or blank."""


class _Unfit(Exception):
    """A value that does not fit a kind the spec inferred (not read in KIS's documents): kept as
    sent in ``extra``, never a parse error. Not a _BadValue, so field_error passes over it."""


def lenient(parse: Callable[[Any], T | None]) -> Callable[[Any], T | None]:
    """``parse`` for a field whose kind was inferred: a value that does not fit raises _Unfit."""

    def parse_or_keep(value: Any) -> T | None:
        try:
            return parse(value)
        except _BadValue:
            raise _Unfit from None

    return parse_or_keep


def present(value: T | None) -> T:
    """A field KIS always sends: None (absent or blank) is an error, not a value."""
    if value is None:
        raise _Missing
    return value


def required(parse: Callable[[Any], T | None]) -> Callable[[Any], T]:
    """``parse`` for a field KIS always sends (the careful path's twin of ``present``)."""

    def parse_present(value: Any) -> T:
        return present(parse(value))

    return parse_present


def text_of(value: Any) -> str:
    """An envelope value (rt_cd, msg_cd, msg1) as text, whatever KIS put there."""
    if type(value) is str:
        return value
    return "" if value is None else reprlib.repr(value)


# Each parser tries the common case (a non-empty string) first: a 50-row page runs them
# over a thousand times.


def p_text(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _BadValue


def p_int(value: Any) -> int | None:
    if type(value) is str:
        try:
            return int(value)  # surrounding spaces and a sign are fine
        except ValueError:
            return _int_slow(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None:
        return None
    raise _BadValue


def _int_slow(text: str) -> int | None:
    if not text.strip():
        return None
    # KIS pads some integer fields with decimals ("744.00000000").
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _BadValue from None
    # An exponent ("1e999999999") must not make a gigantic int; no KIS number has 100 digits.
    if not number.is_finite() or number.adjusted() >= 100 or number != number.to_integral_value():
        raise _BadValue
    return int(number)


def p_decimal(value: Any) -> Decimal | None:
    if type(value) is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            if not value.strip():
                return None
            raise _BadValue from None
        if not number.is_finite():
            raise _BadValue
        return number
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _BadValue


def p_date(value: Any) -> date | None:
    if type(value) is str and len(value) == 8 and value.isdigit() and value != "00000000":
        try:
            return date.fromisoformat(value)  # Python 3.11 reads YYYYMMDD
        except ValueError:
            raise _BadValue from None
    if value is None or value == "" or value == "00000000":
        return None
    raise _BadValue


def p_time(value: Any) -> dtime | None:
    if type(value) is str and len(value) == 6 and value.isdigit():
        try:
            return dtime.fromisoformat(value)  # Python 3.11 reads HHMMSS
        except ValueError:
            raise _BadValue from None
    if value is None or value == "":
        return None
    raise _BadValue


def p_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _BadValue
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _BadValue from None


def p_flag(value: Any) -> bool | None:
    if value == "Y":
        return True
    if value == "N":
        return False
    if value is None or value == "":
        return None
    raise _BadValue


# A response field for the careful path: python name, wire keys (the first present wins), parser.
Field = tuple[str, tuple[str, ...], Callable[[Any], Any]]

# What a generated parser's straight-line path raises on a row that is not plain KIS (a field
# missing, a value that is not a string, a string that is not its kind); the row is then parsed
# again by parse_carefully.
NOT_PLAIN = (LookupError, TypeError, ValueError, ArithmeticError, _BadValue)

NO_EXTRA: Mapping[str, Any] = MappingProxyType({})

# A generated parser makes its draft without running any __init__.
new_draft = object.__new__


def field_keys(fields: tuple[Field, ...]) -> frozenset[str]:
    return frozenset(key for _name, keys, _parse in fields for key in keys)


def parse_carefully(row: Mapping[str, Any], draft_cls: type, cls: type[T], fields: tuple[Field, ...], known: frozenset[str]) -> T:
    """A row the straight-line parser declined: numbers are accepted, missing fields are None,
    and a value that is not its kind raises _BadValue, unless the kind was inferred: then the
    field is None and the value stays in ``extra`` as KIS sent it (with a warning)."""
    draft: Any = object.__new__(draft_cls)
    unfit: dict[str, Any] = {}
    for name, keys, parse in fields:
        value = first_of(row, keys)
        try:
            setattr(draft, name, parse(value))
        except _Unfit:
            setattr(draft, name, None)
            unfit[next((key for key in keys if key in row), keys[0])] = value
    draft.extra = extra_of(row, known)
    if unfit:
        draft.extra = {**draft.extra, **unfit}
        shown = ", ".join(f"{key}={reprlib.repr(value)}" for key, value in unfit.items())
        logger.warning("%s: %s do not fit the kinds the spec inferred for them; kept as sent in extra, the fields are None", cls.__name__, shown)
    return frozen(draft, cls)


def field_error(operation: str, output: str, row: Mapping[str, Any], fields: tuple[Field, ...], raw: object) -> ResponseParseError:
    """Find which field of ``row`` failed, for the error message (the slow path only)."""
    for _name, keys, parse in fields:
        value = first_of(row, keys)
        try:
            parse(value)
        except _BadValue as error:
            wire = next((key for key in keys if key in row), keys[0])
            return ResponseParseError(operation, output, wire, value, raw, missing=isinstance(error, _Missing))
    return ResponseParseError(operation, output, "?", None, raw)


def extra_of(row: Mapping[str, Any], known: frozenset[str]) -> Mapping[str, Any]:
    """Fields KIS sent that the spec does not declare: kept, never an error."""
    if row.keys() <= known:
        return NO_EXTRA
    return {key: value for key, value in row.items() if key not in known}


def first_of(row: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value under the first of ``keys`` present: KIS spells some keys more than one way."""
    for key in keys:
        if key in row:
            return row[key]
    return None


def parse_rows(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    row_key: str | None,
    raw: object,
) -> Rows[T]:
    """A list output as typed rows, without KIS's all-blank padding rows."""
    rows: list[Mapping[str, Any]] = []
    try:
        rows = as_rows(value)
        if row_key is not None:
            rows = [row for row in rows if row.get(row_key) not in (None, "")]
        return Rows(map(parse, rows))
    except _BadValue:
        for row in rows:
            try:
                parse(row)
            except _BadValue:
                raise field_error(operation, output, row, fields, raw) from None
        raise ResponseParseError(operation, output, "", value, raw) from None


def parse_object(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    raw: object,
) -> T | None:
    try:
        row = as_object(value)
    except _BadValue:
        raise ResponseParseError(operation, output, "", value, raw) from None
    if row is None:
        return None
    try:
        return parse(row)
    except _BadValue:
        raise field_error(operation, output, row, fields, raw) from None


def parse_present_object(
    operation: str,
    output: str,
    value: Any,
    parse: Callable[[Mapping[str, Any]], T],
    fields: tuple[Field, ...],
    raw: object,
) -> T:
    """An object output that holds fields KIS always sends: missing, it is an error."""
    parsed = parse_object(operation, output, value, parse, fields, raw)
    if parsed is None:
        raise ResponseParseError(operation, output, "", value, raw, missing=True)
    return parsed


def as_rows(value: Any) -> list[Mapping[str, Any]]:
    """KIS sends lists, a lone object where a list is documented, or nothing at all."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [item for item in value if type(item) is dict or isinstance(item, Mapping)]
    if isinstance(value, Mapping):
        return [value]
    raise _BadValue


def as_object(value: Any) -> Mapping[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], Mapping) else None
    raise _BadValue
