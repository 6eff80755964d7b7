"""The base of every generated response model: ``to_dict`` in Python, wire or Korean names,
and ``Rows``, a list output's typed rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar

Labels = Literal["python", "wire", "ko"]
T = TypeVar("T")


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


class Model:
    """Base of generated response models: ``to_dict`` and masked secrets."""

    __slots__ = ()
    _WIRE: ClassVar[Mapping[str, str]] = {}
    _LABELS: ClassVar[Mapping[str, str]] = {}

    def to_dict(self, labels: Labels = "python") -> dict[str, Any]:
        names = self._WIRE if labels == "wire" else self._LABELS if labels == "ko" else None
        result: dict[str, Any] = {}
        for name in self._WIRE:
            key = names[name] if names is not None else name
            result[key] = _plain(getattr(self, name))
        return result


def frozen(draft: object, cls: type[T]) -> T:
    """Turn a filled draft into the frozen model with the same slots.

    A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``, which
    costs more than parsing the row; parsers fill a writable twin and switch its class.
    """
    object.__setattr__(draft, "__class__", cls)
    return draft  # type: ignore[return-value]


class Rows(tuple[T, ...], Generic[T]):
    """The rows of a list output; ``as_records`` gives plain dicts (for pandas and friends)."""

    __slots__ = ()

    def as_records(self, labels: Labels = "python") -> list[dict[str, Any]]:
        return [row.to_dict(labels) for row in self if isinstance(row, Model)]
