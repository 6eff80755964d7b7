"""JSON Schemas of requests (one per operation, environment and side) and of responses."""

from __future__ import annotations

from typing import Any

from .model import Operation, RequestField, Rule, Spec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON_TYPES: dict[str, dict[str, Any]] = {"string": {"type": "string"}, "number": {"type": ["number", "string"]}, "any": {}}


def variants(op: Operation) -> list[tuple[str, str | None]]:
    """Every (env, side) a request schema is emitted for."""
    sides: list[str | None] = ["buy", "sell"] if op.has_side else [None]
    return [(env, side) for env in op.envs for side in sides]


def variant_name(op: Operation, env: str, side: str | None) -> str:
    return ".".join(part for part in (op.qualname, env, side, "request", "json") if part)


def field_schema(spec: Spec, field: RequestField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "title": field.label}
    if field.wire_codes is not None:
        table = spec.code_table(field.wire_codes)
        schema["enum"] = list(table.values)
        schema["x-kis-codes"] = {code.value: code.label for code in table.codes}
    if field.pattern is not None:
        schema["pattern"] = field.pattern
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.default is not None:
        schema["default"] = field.default
    if field.description:
        schema["description"] = field.description
    if field.example is not None:
        schema["examples"] = [field.example]
    return schema


def _rule_schema(spec: Spec, op: Operation, rule: Rule, env: str, side: str | None) -> dict[str, Any] | None:
    """The rule as if/then for this variant; None where the variant never meets its condition."""
    condition: dict[str, Any] = {}
    required: list[str] = []
    for cond in rule.when:
        if cond.subject == "env":
            if env not in cond.values:
                return None
        elif cond.subject == "side":
            if side not in cond.values:
                return None
        elif cond.subject == "market":
            assert op.tr is not None and op.tr.market_field is not None
            exchanges = [e.code for e in spec.exchanges if e.market in cond.values]
            condition[op.tr.market_field] = {"enum": exchanges}
            required.append(op.tr.market_field)
        else:
            condition[cond.name] = {"enum": list(cond.values)}
            required.append(cond.name)
    then: dict[str, Any] = {}
    for constraint in rule.then:
        if constraint.op == "equals":
            then[constraint.wire] = {"const": constraint.values[0]}
        elif constraint.op == "in":
            then[constraint.wire] = {"enum": list(constraint.values)}
        else:
            then[constraint.wire] = {"pattern": constraint.pattern}
    result: dict[str, Any] = {"$comment": f"{rule.id}: {rule.text}" + (f" (source: {rule.source})" if rule.source else "")}
    if condition:
        result["if"] = {"properties": condition, "required": required}
        result["then"] = {"properties": then}
    else:
        result["properties"] = then
    return result


def request_schema(spec: Spec, op: Operation, env: str, side: str | None, comment: str) -> dict[str, Any]:
    title = f"{op.qualname} request ({env}{', ' + side if side else ''})"
    schema: dict[str, Any] = {"$schema": DIALECT, "$comment": comment, "title": title, "description": op.summary, "type": "object"}
    if op.request_any:
        return schema
    schema["additionalProperties"] = False
    schema["required"] = [field.wire for field in op.fields]
    schema["properties"] = {field.wire: field_schema(spec, field) for field in op.fields}
    rules = [r for r in (_rule_schema(spec, op, rule, env, side) for rule in op.rules) if r is not None]
    if rules:
        schema["allOf"] = rules
    return schema


def request_schemas(spec: Spec, comment: str) -> dict[str, dict[str, Any]]:
    return {
        variant_name(op, env, side): request_schema(spec, op, env, side, comment)
        for op in spec.operations
        for env, side in variants(op)
    }


KIND_FORMATS = {"date": "YYYYMMDD", "time": "HHMMSS", "datetime": "YYYY-MM-DD HH:MM:SS", "flag": "Y or N"}


def response_schema(spec: Spec, op: Operation, comment: str) -> dict[str, Any]:
    """What KIS sends back; open to fields KIS adds later."""

    def fields_schema(fields: Any) -> dict[str, Any]:
        properties = {}
        for field in fields:
            item: dict[str, Any] = dict(JSON_TYPES[field.json])
            item["title"] = field.label
            item["x-kis-kind"] = field.kind
            if field.kind_inferred:
                item["x-kis-kind-inferred"] = True
            if field.kind in KIND_FORMATS:
                item["description"] = f"{KIND_FORMATS[field.kind]}, or empty"
            properties[field.wire] = item
            for alias in field.aliases:
                properties[alias] = {**item, "description": f"another spelling of {field.wire}"}
        return {"type": "object", "properties": properties}

    schema: dict[str, Any] = {"$schema": DIALECT, "$comment": comment, "title": f"{op.qualname} response", "type": "object"}
    properties: dict[str, Any] = {}
    if op.response.envelope:
        properties.update(fields_schema(spec.envelope)["properties"])
    for output in op.response.outputs:
        body = fields_schema(output.fields)
        if output.key is None:
            properties.update(body["properties"])
            continue
        if output.shape == "object":
            properties[output.key] = body
        else:
            properties[output.key] = {"anyOf": [{"type": "array", "items": body}, body]}
        for alias in output.aliases:
            properties[alias] = properties[output.key]
    if op.pagination is not None:
        for key in op.pagination.keys:
            if key.output is None:
                properties[key.response] = {"type": "string", "title": "연속조회검색조건" if "_FK" in key.request.upper() else "연속조회키"}
    schema["properties"] = properties
    if op.response.envelope:
        schema["required"] = [field.wire for field in spec.envelope]
    return schema
