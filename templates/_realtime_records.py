"""Real-time records: the values of one TR's record, typed by the spec, read by position.

A record is a tuple of the strings KIS sent, in the spec's order ("" for a blank), with one
property per field that reads its value as its kind when asked. Decoding a frame is one split and
one slice per record, which costs less than zipping names into a dict; a value is read only when
the program reads it. Values KIS sends beyond the spec's fields stay in the tuple (``extra``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time as dtime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, TypeVar

from kis_client.errors import RecordValueError

Labels = Literal["python", "wire", "ko"]
R = TypeVar("R", bound="RealtimeRecord")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TrInfo:
    """One TR of the spec: its TR_IDs, what it is registered for, and its fields in order."""

    name: str
    label: str
    real_tr_id: str
    mock_tr_id: str | None  # None: KIS's mock domain does not serve it
    encrypted: bool
    key_label: str
    key_pattern: str
    key_position: int  # the field that repeats the tr_key (data frames carry no tr_key)
    wire: tuple[str, ...]
    names: tuple[str, ...]  # each field's Python name
    labels: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.wire)

    def tr_id(self, env: str) -> str | None:
        return self.real_tr_id if env == "real" else self.mock_tr_id


class RealtimeRecord(tuple[str, ...]):
    """Base of every real-time record class: a tuple of KIS's values with typed properties.

    ``key`` is what the record was registered for (the stock code, the HTS ID, the overseas
    symbol), ``extra`` the values KIS sent beyond the spec's fields, ``to_dict`` the values by
    Python name, wire name or Korean label. A blank value is None.
    """

    __slots__ = ()
    TR: ClassVar[TrInfo]

    def __repr__(self) -> str:
        return f"{type(self).__name__}{tuple.__repr__(self)}"

    @property
    def key(self) -> str:
        return self[self.TR.key_position]

    @property
    def extra(self) -> tuple[str, ...]:
        """Values KIS sent after the spec's fields (KIS grows its records at the end)."""
        return tuple(self[self.TR.width :])

    def to_dict(self, labels: Labels = "python") -> dict[str, Any]:
        info = self.TR
        keys = info.wire if labels == "wire" else info.labels if labels == "ko" else info.names
        return {key: getattr(self, name) for key, name in zip(keys, info.names)}

    # What the generated properties read a value with: its kind, or RecordValueError naming it.

    def _text(self, index: int) -> str | None:
        return self[index] or None

    def _int(self, index: int) -> int | None:
        value = self[index]
        if not value:
            return None
        try:
            return int(value)  # a sign and surrounding spaces are fine
        except ValueError:
            return self._int_slow(index)

    def _int_slow(self, index: int) -> int | None:
        value = self[index]
        if not value.strip():
            return None
        try:
            number = Decimal(value)  # KIS pads some whole numbers with decimals ("744.00")
        except InvalidOperation:
            raise self._bad(index) from None
        if not number.is_finite() or number.adjusted() >= 100 or number != number.to_integral_value():
            raise self._bad(index)
        return int(number)

    def _decimal(self, index: int) -> Decimal | None:
        value = self[index]
        if not value or not value.strip():
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise self._bad(index) from None
        if not number.is_finite():
            raise self._bad(index)
        return number

    def _date(self, index: int) -> date | None:
        value = self[index]
        return None if not value or value == "00000000" else self._digits(index, 8, date.fromisoformat)  # YYYYMMDD

    def _time(self, index: int) -> dtime | None:
        return self._digits(index, 6, dtime.fromisoformat) if self[index] else None  # HHMMSS

    def _digits(self, index: int, length: int, read: Callable[[str], T]) -> T:
        """A value of ``length`` digits, read by ``read`` (Python 3.11's fromisoformat reads them)."""
        value = self[index]
        if len(value) == length and value.isdigit():
            try:
                return read(value)
            except ValueError:
                pass
        raise self._bad(index)

    def _flag(self, index: int) -> bool | None:
        value = self[index]
        if value == "Y":
            return True
        if value == "N":
            return False
        if not value:
            return None
        raise self._bad(index)

    def _bad(self, index: int) -> RecordValueError:
        info = self.TR
        return RecordValueError(info.real_tr_id, info.wire[index], self[index])


def decode(cls: type[R], payload: str, count: int) -> tuple[list[R], int]:
    """The ``count`` records of a frame's payload (their values joined by ``^``, one record after
    another), and the width each had; no records if the values do not divide into ``count``.

    A record of the spec's width or wider (KIS added fields at the end) is decoded; a narrower
    one cannot be read by position, and the caller reports it.
    """
    values = payload.split("^")
    total = len(values)
    if count < 1 or total % count:
        return [], 0
    width = total // count
    if width < cls.TR.width:
        return [], width
    if count == 1:
        return [tuple.__new__(cls, values)], width
    new = tuple.__new__
    return [new(cls, values[start : start + width]) for start in range(0, total, width)], width


def by_tr_id(records: tuple[type[RealtimeRecord], ...]) -> Mapping[str, type[RealtimeRecord]]:
    """Each record class under every TR_ID it arrives with (real and mock)."""
    found: dict[str, type[RealtimeRecord]] = {}
    for cls in records:
        found[cls.TR.real_tr_id] = cls
        if cls.TR.mock_tr_id is not None:
            found[cls.TR.mock_tr_id] = cls
    return found
