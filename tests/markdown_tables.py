"""The tables of a Markdown document such as KIS's reference document or docs/API.md."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    heading: str  # the last heading above it
    caption: str  # the **bold:** line just above it, if any (without the colon)
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def endpoint(self) -> str:
        match = re.search(r"(GET|POST) `([^`]+)`", self.heading)
        return f"{match.group(1)} {match.group(2)}" if match else ""


def cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1])


def tables(text: str) -> list[Table]:
    found: list[Table] = []
    heading = caption = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading, caption = line.lstrip("# "), ""
        elif re.fullmatch(r"\*\*.+:\*\*", line.strip()):
            caption = line.strip().strip("*").rstrip(":")
        elif line.startswith("|"):
            block = []
            while index < len(lines) and lines[index].startswith("|"):
                block.append(cells(lines[index]))
                index += 1
            found.append(Table(heading, caption, block[0], tuple(block[2:])))
            caption = ""
            continue
        index += 1
    return found
