"""Patterns the client matches user input with: they must compile, be anchored, and never take
exponential time."""

from __future__ import annotations

import importlib
import re
from typing import Any

from .problems import At, Problems


def check_pattern(problems: Problems, at: At, pattern: str) -> bool:
    """Whether ``pattern`` may be used; each reason it may not is a problem at ``at``."""
    try:
        re.compile(pattern)
    except re.error as error:
        problems.add(at, f"pattern does not compile: {error}")
        return False
    if not (pattern.startswith("^") and pattern.endswith("$")):
        problems.add(at, "pattern must be anchored with ^ and $")
        return False
    if _repeats_a_repeat(_parse(pattern)):
        # The client matches user input with it, and the generator matches examples.
        problems.add(at, "pattern repeats a repetition, like (a+)+: matching can take exponential time")
        return False
    return True


def _parse(pattern: str) -> Any:
    return importlib.import_module("re._parser").parse(pattern)


def _repeats_a_repeat(items: Any, inside_repeat: bool = False) -> bool:
    """Whether a parsed pattern has a repetition (more than once) inside another."""
    constants = importlib.import_module("re._constants")
    repeats = (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None))
    for op, argument in items:
        if op in repeats:
            _, most, inner = argument
            if most > 1 and inside_repeat:
                return True
            if _repeats_a_repeat(inner, inside_repeat or most > 1):
                return True
        elif op == constants.SUBPATTERN and _repeats_a_repeat(argument[3], inside_repeat):
            return True
        elif op == constants.BRANCH and any(_repeats_a_repeat(branch, inside_repeat) for branch in argument[1]):
            return True
        elif op in (constants.ASSERT, constants.ASSERT_NOT) and _repeats_a_repeat(argument[1], inside_repeat):
            return True
    return False
