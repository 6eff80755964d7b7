"""KIS's example call of an operation (model.KisExample: what KIS's chk_ file passes, and the
request KIS's sample sends for it: method, path, TR_ID per environment, query or body) checked
against the operation.

``kis_example`` records facts, not KIS's code. ``example_problems`` compares them with the
operation: every field KIS sends is one the operation declares, every value passes the field's
own checks, and the TR_ID the operation picks for the call is the one KIS sends — unless
``differs`` says, with a source, why KIS's sample is wrong there. `kisgen audit` reports what it
finds; tests/test_kis_examples.py asserts it finds nothing and sends every call through the
generated client (it must be this request on the wire) to the sandbox and back.
"""

from __future__ import annotations

from .builder.fields import refusal
from .model import Operation, Spec


def example_problems(op: Operation, spec: Spec) -> list[str]:
    """Where the operation's request for KIS's example call is not what KIS's sample sends, and
    ``differs`` does not say why. Empty when they agree (and for an operation without one)."""
    example = op.kis_example
    if example is None:
        return []
    problems: list[str] = []
    used: set[str] = set()

    def agree(fact: str, kis: str | None, spec_value: str | None, what: str) -> None:
        difference = example.differs_on(fact)
        if difference is not None:
            used.add(fact)
            if kis == spec_value:
                problems.append(f"{fact}: KIS's sample and the operation agree ({kis!r}); drop this difference")
            elif difference.kis != kis:
                problems.append(f"{fact}: KIS's sample sends {kis!r}, not {difference.kis!r}")
        elif kis != spec_value:
            problems.append(f"{what}; fix the operation, or say in `differs` with a source why KIS's sample is wrong")

    agree("method", example.method, op.method, f"KIS's sample sends {example.method}, the operation is {op.method}")
    agree("path", example.path, op.path, f"KIS's sample calls {example.path}, the operation is {op.path}")
    if op.has_side != (example.side is not None):
        problems.append("say the call's side (`select: {side: buy}`)" if op.has_side else "the operation has no side to select")
    periods = op.tr.periods if op.tr is not None and op.has_period else ()
    if periods and example.period not in periods:
        problems.append(f"say the call's period, one of {', '.join(periods)} (`select: {{period: ...}}`)")
    elif not periods and example.period is not None:
        problems.append("the operation has no period to select")
    fields = {field.wire: field for field in op.fields}
    tables = {table.name: table for table in spec.code_tables}
    values = example.values
    for wire in sorted(set(values) | set(fields)):
        fact = f"request.{wire}"
        if wire not in fields:
            agree(fact, values[wire], None, f"KIS's sample sends {wire}, which the operation does not declare")
        elif wire not in values:
            agree(fact, None, "(declared)", f"the operation sends {wire}, KIS's sample does not")
        elif (difference := example.differs_on(fact)) is not None:
            used.add(fact)
            if difference.sends is not None and (reason := refusal(fields[wire], difference.sends, tables)):
                problems.append(f"{fact}: the spec sends {difference.sends!r}, which the field refuses ({reason})")
        else:
            value, field = values[wire], fields[wire]
            if value is None and field.bind is None and field.example is None:
                problems.append(f"KIS's sample sends the user's own {wire}; give the field an `example` for the call to send")
            elif value is not None and field.bind is None:
                reason = refusal(field, value, tables)
                if reason:
                    problems.append(f"{wire}: KIS's sample sends {value!r}, which the field refuses ({reason}); fix the field, or say in `differs` why KIS's sample is wrong")
    if op.tr is not None and op.has_side == (example.side is not None):
        market = spec.exchange_market(str(values.get(op.tr.market_field))) if op.tr.market_field else None
        for env, kis in example.tr_ids:
            spec_value = op.tr.lookup(env, market, example.side, example.period)
            if spec_value is not None:  # else refused in this environment; the operation's source says why
                agree(f"tr_id.{env}", kis, spec_value, f"KIS's sample sends {kis} on a {env} account, the operation {spec_value}")
    for difference in example.differs:
        if difference.fact not in used and not difference.fact.startswith("tr_id."):
            problems.append(f"{difference.fact}: not a fact of this example")
    return [f"{op.qualname} ({example.at}): {problem}" for problem in problems]
