"""Spec strings as Python source: every literal through ``py`` (``repr``), every docstring through
``doc``; never text pasted into code."""

from __future__ import annotations

import re
from typing import Any


def py(value: Any) -> str:
    """Any spec value as a Python literal, spelled as black would (so black has less to redo)."""
    if isinstance(value, str):
        text = repr(value)
        return f'"{text[1:-1]}"' if text[0] == "'" and '"' not in value else text
    if isinstance(value, tuple):
        return "(" + ", ".join(map(py, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(map(py, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(key)}: {py(item)}" for key, item in value.items()) + "}"
    return repr(value)


def doc(value: str) -> str:
    """A docstring literal black keeps as it is: black strips a docstring, pads one that starts
    or ends with its quote or ends in a backslash, and prefers the quote needing fewer escapes."""
    if not value:
        return '""""""'  # what black writes for an empty docstring
    quote = "'" if '"' in value and "'" not in value else '"'
    last = len(value) - 1
    out = []
    for index, char in enumerate(value):
        if char == "\\":
            out.append("\\\\")
        elif char == quote or (char == " " and index in (0, last)):
            out.append(f"\\x{ord(char):02x}")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])  # \n, \t, \x00, \u2028: no whitespace left raw
    return quote + "".join(out) + quote


def doc_block(lines: list[str], indent: str) -> str:
    """A docstring of several lines, each as written (with its own leading spaces), for a body
    indented by ``indent``; each line escaped as ``doc`` escapes, except that a quote needs no
    escape where it cannot end the string. A single line is ``doc``."""
    if len(lines) == 1:
        return doc(lines[0])
    body = "\n".join((indent if line else "") + _block_line(line) if index else _block_line(line) for index, line in enumerate(lines))
    return f'"""{body}\n{indent}"""'


def _block_line(line: str) -> str:
    in_run = {index for match in re.finditer('"{3,}', line) for index in range(match.start(), match.end())}
    out = []
    for index, char in enumerate(line):
        if char == "\\":
            out.append("\\\\")
        elif char == '"' and (index in in_run or index == 0):
            out.append("\\x22")  # no run of quotes that could close the string, none next to the opening ones
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out).rstrip(" ")
