"""KIS's example call of an operation, as data: what KIS's chk_ file passes, and the request KIS's
sample sends for it (method, path, TR_ID per environment, query or body).

``kis_example`` records facts, not KIS's code; the model checks them against the operation so a
disagreement shows at `kisgen validate` with file and line: every field KIS sends is one the
operation declares, every value passes the field's own checks, and the TR_ID the operation picks
for the call is the one KIS sends — unless ``differs`` says, with a source, why KIS's sample is
wrong there. tests/test_kis_examples.py then sends the call through the generated client (it must
be this request on the wire) to the sandbox and back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .load import JsonPath

Report = Callable[[JsonPath, str], None]


@dataclass(frozen=True, slots=True)
class ExampleDifference:
    fact: str  # method, path, tr_id.real, tr_id.mock or request.FIELD
    kis: str | None  # what KIS's sample sends there (None: nothing)
    source: str  # why the spec sends something else


@dataclass(frozen=True, slots=True)
class KisExample:
    at: str  # KIS's chk_ file and line
    call: tuple[tuple[str, str | None], ...]  # its arguments (None: from the user's settings)
    side: str | None
    period: str | None
    method: str
    path: str
    tr_ids: tuple[tuple[str, str | None], ...]  # env → what KIS's sample sends (None: it refuses)
    request: tuple[tuple[str, str | None], ...]  # wire field → value (None: the user's own)
    differs: tuple[ExampleDifference, ...]

    def differs_on(self, fact: str) -> ExampleDifference | None:
        return next((difference for difference in self.differs if difference.fact == fact), None)

    @property
    def values(self) -> dict[str, str | None]:
        return dict(self.request)


def build_example(raw: dict[str, Any], op: Any, value_problem: Callable[[Any, str], str | None], market_of: Callable[[str], str | None], problem: Report) -> KisExample:
    """The operation's ``kis_example``, checked against the operation ``op``: ``value_problem``
    says why a field refuses a value, ``market_of`` gives an exchange's market."""
    select = raw.get("select", {})
    example = KisExample(
        at=raw["at"],
        call=tuple(raw["call"].items()),
        side=select.get("side"),
        period=select.get("period"),
        method=raw["method"],
        path=raw["path"],
        tr_ids=tuple(raw.get("tr_id", {}).items()),
        request=tuple(raw["request"].items()),
        differs=tuple(ExampleDifference(item["fact"], item.get("kis"), item["source"]) for item in raw.get("differs", [])),
    )
    used: set[str] = set()

    def agree(fact: str, where: JsonPath, kis: str | None, spec: str | None, what: str) -> None:
        """KIS's value and the spec's must be the same unless `differs` explains the fact."""
        difference = example.differs_on(fact)
        if difference is not None:
            used.add(fact)
            if kis == spec:
                problem(("differs",), f"{fact}: KIS's sample and the operation agree ({kis!r}); drop this difference")
            elif difference.kis != kis:
                problem(("differs",), f"{fact}: KIS's sample sends {kis!r}, not {difference.kis!r}")
        elif kis != spec:
            problem(where, f"{what}; fix the operation, or say in `differs` with a source why KIS's sample is wrong")

    agree("method", ("method",), example.method, op.method, f"KIS's sample sends {example.method}, the operation is {op.method}")
    agree("path", ("path",), example.path, op.path, f"KIS's sample calls {example.path}, the operation is {op.path}")
    if op.has_side != (example.side is not None):
        problem(("select",), "say the call's side (`select: {side: buy}`)" if op.has_side else "the operation has no side to select")
    if op.has_period and example.period not in op.tr.periods:
        problem(("select",), f"say the call's period, one of {', '.join(op.tr.periods)} (`select: {{period: ...}}`)")
    elif not op.has_period and example.period is not None:
        problem(("select",), "the operation has no period to select")
    fields = {field.wire: field for field in op.fields}
    values = example.values
    for wire in sorted(set(values) | set(fields)):
        fact = f"request.{wire}"
        if wire not in fields:
            agree(fact, ("request", wire), values[wire], None, f"KIS's sample sends {wire}, which the operation does not declare")
        elif wire not in values:
            agree(fact, ("request",), None, "(declared)", f"the operation sends {wire}, KIS's sample does not")
        elif example.differs_on(fact) is not None:
            used.add(fact)
        else:
            value = values[wire]
            field = fields[wire]
            if value is None and field.bind is None and field.example is None:
                problem(("request", wire), f"KIS's sample sends the user's own {wire}; give the field an `example` for the test to send")
            elif value is not None and field.bind is None:
                reason = value_problem(field, value)
                if reason:
                    problem(("request", wire), f"KIS's sample sends {value!r}, which the field refuses ({reason}); fix the field, or say in `differs` why KIS's sample is wrong")
    if op.tr is not None and (op.has_side == (example.side is not None)):
        market = market_of(str(values.get(op.tr.market_field))) if op.tr.market_field else None
        for env, kis in example.tr_ids:
            spec = op.tr.lookup(env, market, example.side, example.period)
            if spec is None:
                continue  # the operation (or this branch) is refused in this environment; its source says why
            agree(f"tr_id.{env}", ("tr_id", env), kis, spec, f"KIS's sample sends {kis} on a {env} account, the operation {spec}")
    for index, difference in enumerate(example.differs):
        if difference.fact not in used and difference.fact not in ("method", "path") and not difference.fact.startswith("tr_id."):
            problem(("differs", index), f"{difference.fact}: not a fact of this example")
    return example
