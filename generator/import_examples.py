"""`kisgen import`: an operation's ``kis_example`` from KIS's chk_ file.

The chk_ file calls the sample function with concrete arguments; the example records them and
the request KIS's sample sends for them, as data: each wire field's value (an argument, the
parameter's default, or the constant the sample always sends), and the TR_ID its chain picks
for the call on a real account and on a mock one (after kis_auth's own T/J/C→V rule).
"""

from __future__ import annotations

from typing import Any

from .kis_samples import Condition, SampleApi


def draft_example(api: SampleApi, op: dict[str, Any], selector: str | None, differs: list[dict[str, Any]], required: set[str], portal_required: str) -> dict[str, Any] | None:
    """The example for the drafted operation ``op`` (None: the chk_ file has no call);
    ``required``: the fields KIS's portal marks required (``portal_required`` says so)."""
    call = api.call
    if call is None:
        return None
    defaults = {name: default for name, default, _ in api.parameters}
    left_out = left_out_unless_given(api)

    def argument(parameter: str) -> str | None:
        return call.value(parameter) if call.passes(parameter) else defaults.get(parameter)

    request: dict[str, str | None] = {}
    for item in api.fields:
        if item.constant is not None:
            request[item.wire] = item.constant
        elif item.parameter in left_out and not call.passes(item.parameter):
            source = f"KIS's sample leaves {item.wire} out unless it is given; the spec sends it blank" + (f" ({portal_required})" if item.wire in required else "")
            differs.append({"fact": f"request.{item.wire}", "kis": None, "source": source})
        elif item.parameter is not None:
            request[item.wire] = argument(item.parameter)
        else:
            request[item.wire] = None
    # The sample's choice for these arguments: its TR_ID on a real account, and on a mock one
    # what it sends there (its own, or kis_auth's T/J/C→V of the real one; None: it refuses).
    chosen = next((choice for choice in api.choices if all(_holds(condition, argument(condition.parameter)) for condition in choice.when)), None)
    tr_ids = {"real": chosen.real if chosen else None, "mock": chosen.mock if chosen else None} if api.choices else None
    example: dict[str, Any] = {
        "at": str(call.at),
        "call": {name: value for name, value in call.arguments},
        "method": api.method,
        "path": api.path,
        "request": request,
    }
    if tr_ids is not None:
        example["tr_id"] = tr_ids
    dims = op["tr_id"].get("by", [])
    if dims and selector is not None:
        example["select"] = {dims[0]: argument(selector)}
        example["call"].setdefault(selector, argument(selector))
    if differs:
        example["differs"] = differs
    return example


def _holds(condition: Condition, value: str | None) -> bool:
    inside = value in condition.values
    return not inside if condition.negated else inside


def left_out_unless_given(api: SampleApi) -> set[str]:
    """Parameters whose default is None: KIS's sample sends their field only when given."""
    return {name for name, default, has_default in api.parameters if has_default and default is None}
