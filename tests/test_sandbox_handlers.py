"""The sandbox's table of state logic names operations of the spec, and nothing else: a renamed or
removed operation must not leave logic behind that no request reaches."""

from __future__ import annotations

from kisgen.model import Spec
from kisgen.sandbox.inquiries import HANDLERS


def test_the_handler_table_names_only_operations_of_the_spec(spec: Spec) -> None:
    assert set(HANDLERS) - {op.qualname for op in spec.operations} == set()
