"""The one collector of problems every part of the build reports to, and the place it reports at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Problem, SpecError
from ..load import JsonPath, SpecFile, format_path


@dataclass(frozen=True, slots=True)
class At:
    """A place in a spec file: a problem found there is reported with its line and path."""

    file: SpecFile
    path: JsonPath = ()

    def __truediv__(self, key: str | int) -> At:
        return At(self.file, self.path + (key,))

    def down(self, *keys: str | int) -> At:
        return At(self.file, self.path + keys)


class Problems:
    """Every problem found while building, reported all at once.

    ``older_language``: the spec may predate what the language has come to require (``kisgen
    diff`` reads old revisions), so those requirements are not enforced.
    """

    def __init__(self, older_language: bool = False) -> None:
        self.older_language = older_language
        self.found: list[Problem] = []

    def add(self, at: At, message: str) -> None:
        self.found.append(Problem(at.file.name, at.file.line_of(at.path), format_path(at.path), message))

    def extend(self, problems: list[Problem]) -> None:
        self.found.extend(problems)

    def count(self) -> int:
        return len(self.found)

    def raise_any(self) -> None:
        if self.found:
            raise SpecError(self.found)

    def newer(self, keys: tuple[str, ...]) -> tuple[str, ...]:
        """Keys the spec language has come to require; an older spec read for a diff may lack them."""
        return () if self.older_language else keys

    def require(self, at: At, raw: dict[str, Any], key: str) -> Any:
        """``raw[key]``, which the language has come to require (None in an older spec)."""
        if key not in raw and not self.older_language:
            self.add(at, f"{key!r} is required")
        return raw.get(key)
