"""The model as an OpenAPI 3.1 document (`kisgen export openapi`).

It only reads the model; request and response JSON Schemas come from generator.schemas.
"""

from __future__ import annotations

import json
from typing import Any

from .model import Operation, Spec
from .schemas import field_schema, request_schema, response_schema, variant_name, variants

OPENAPI_VERSION = "3.1.0"
# Headers OpenAPI expresses elsewhere: authorization, appkey and appsecret as security schemes,
# content-type as the request body's media type, tr_id per operation with its own enum.
NOT_PARAMETERS = {"authorization", "appkey", "appsecret", "content-type", "tr_id"}
SCHEME_OF_HEADER = {"authorization": "kisBearer", "appkey": "appkey", "appsecret": "appsecret"}


# ---------------------------------------------------------------------------------------------
# OpenAPI


def _component(schema: dict[str, Any]) -> dict[str, Any]:
    """A standalone schema as a component: the document's dialect and header cover it."""
    return {key: value for key, value in schema.items() if key not in ("$schema", "$comment")}


def _tr_rows(op: Operation) -> list[dict[str, str]]:
    rows = []
    for cell in op.tr.cells if op.tr else ():
        row: dict[str, str] = {"env": cell.env}
        row.update({dim: value for dim, value in (("market", cell.market), ("side", cell.side), ("period", cell.period)) if value})
        row["tr_id"] = cell.tr_id
        row["origin"] = cell.how
        if cell.source:
            row["source"] = cell.source
        rows.append(row)
    return rows


def _operation(spec: Spec, op: Operation, schemas: dict[str, Any], comment: str) -> dict[str, Any]:
    item: dict[str, Any] = {"operationId": op.function_suffix, "summary": op.summary, "tags": [op.area]}
    if op.note:
        item["description"] = op.note
    if op.api_id:
        item["x-kis-api-id"] = op.api_id
    item["x-kis-envs"] = list(op.envs)
    parameters: list[dict[str, Any]] = []
    if op.tr is not None:
        tr_ids = list(dict.fromkeys(cell.tr_id for cell in op.tr.cells))
        parameters.append(
            {
                "name": "tr_id",
                "in": "header",
                "required": True,
                "description": "거래ID: chosen by environment" + "".join(f", {dim}" for dim in op.tr.dims) + "; see x-kis-tr-ids",
                "schema": {"type": "string", "enum": tr_ids},
            }
        )
        item["x-kis-tr-ids"] = _tr_rows(op)
        if op.tr.market_field:
            item["x-kis-market-field"] = op.tr.market_field
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in op.headers if name not in NOT_PARAMETERS]
    schemes: dict[str, list[str]] = {SCHEME_OF_HEADER[name]: [] for name in op.headers if name in SCHEME_OF_HEADER}
    item["security"] = [schemes] if schemes else []
    if op.method == "GET":
        for field in op.fields:
            parameters.append({"name": field.wire, "in": "query", "required": field.required, "schema": field_schema(spec, field)})
    else:
        names = []
        for env, side in variants(op):
            name = variant_name(op, env, side).removesuffix(".json")
            schemas[name] = _component(request_schema(spec, op, env, side, comment))
            names.append(name)
        body: dict[str, Any] = {"$ref": f"#/components/schemas/{names[0]}"} if len(names) == 1 else {"anyOf": [{"$ref": f"#/components/schemas/{n}"} for n in names]}
        item["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if op.rules:
        item["x-kis-rules"] = [{"id": rule.id, "text": rule.text} for rule in op.rules]
    if parameters:
        item["parameters"] = parameters
    response_name = f"{op.qualname}.response"
    schemas[response_name] = _component(response_schema(spec, op, comment))
    ok: dict[str, Any] = {"description": "KIS answers HTTP 200; rt_cd \"0\" is success", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response_name}"}}}}
    if op.pagination is not None:
        ok["headers"] = {"tr_cont": {"description": "F or M: more pages; D or E: last page", "schema": {"type": "string"}}}
    item["responses"] = {"200": ok}
    return item


def _realtime(spec: Spec, schemas: dict[str, Any]) -> dict[str, Any]:
    """The real-time feed, which OpenAPI cannot describe: its connection, limits and control
    codes, and each TR with its record as a JSON Schema (an array of strings by position)."""
    realtime = spec.realtime
    if realtime is None:
        return {}
    trs = []
    for tr in realtime.trs:
        name = f"realtime.{tr.real_tr_id}"
        schemas[name] = {
            "type": "array",
            "description": f"{tr.label}: one record, its values in the order KIS sends them (joined by ^); KIS may add values at the end",
            "prefixItems": [{"type": "string", "title": field.wire, "description": field.label + (f" — {field.note}" if field.note else ""), "x-kis-kind": field.kind} for field in tr.fields],
            "items": {"type": "string"},
            "minItems": len(tr.fields),
        }
        item: dict[str, Any] = {"name": tr.name, "label": tr.label, "tr_id": {"real": tr.real_tr_id, "mock": tr.mock_tr_id}, "encrypted": tr.encrypted}
        item["tr_key"] = {"label": tr.key.label, "pattern": tr.key.pattern, "example": tr.key.example, "field": tr.key_field}
        item["record"] = {"$ref": f"#/components/schemas/{name}"}
        item["source"] = tr.source
        if tr.api_id:
            item["api_id"] = tr.api_id
        trs.append(item)
    return {
        "servers": [{"env": env, "url": url + realtime.path} for env, url in realtime.urls],
        "approval": {"operation": realtime.approval.operation, "reply_field": realtime.approval.reply_field, "lifetime_seconds": realtime.approval.lifetime_seconds},
        "limits": {"registrations": realtime.registration_limit, "sessions_per_app_key": realtime.sessions_per_app_key},
        "messages": {"subscribe": realtime.subscribe, "unsubscribe": realtime.unsubscribe, "pingpong": realtime.pingpong},
        "codes": [{"code": c.code, "rt_cd": c.rt_cd, "message": c.message, "outcome": c.outcome, "meaning": c.meaning} for c in realtime.codes],
        "trs": trs,
    }


def openapi(spec: Spec) -> dict[str, Any]:
    """The spec as an OpenAPI 3.1 document."""
    comment = "Generated by kisgen from " + ", ".join(source.file for source in spec.sources)
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in spec.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(spec, op, schemas, comment)
    header_params = {
        header.name: {
            "name": header.name,
            "in": "header",
            "required": header.name != "tr_cont",
            "description": header.label + (f" ({header.note})" if header.note else ""),
            "schema": {"type": "string"} | ({} if "{" in header.value else {"default": header.value}),
        }
        for header in spec.headers
        if header.name not in NOT_PARAMETERS
    }
    realtime = _realtime(spec, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "KIS (한국투자증권) Open API",
            "version": max(source.date for source in spec.sources),
            "description": f"{comment}. Sources: " + "; ".join(f"{s.file}: {s.document} ({s.date})" for s in spec.sources),
        },
        "servers": [{"url": env.base_url, "description": f"{env.label} ({env.name}), about {env.rate_limit_per_second:g} requests/s"} for env in spec.environments],
        "security": [{"kisBearer": [], "appkey": [], "appsecret": []}],
        "tags": [{"name": area.name, "description": area.source.document} for area in spec.areas],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "kisBearer": {"type": "http", "scheme": "bearer", "description": f"access token from auth.{spec.token.operation}"},
                "appkey": {"type": "apiKey", "in": "header", "name": "appkey"},
                "appsecret": {"type": "apiKey", "in": "header", "name": "appsecret"},
            },
            "parameters": header_params,
            "schemas": schemas,
        },
        "x-kis-mock-tr-id-rule": {"first_letters": list(spec.mock_rule.first_letters), "replacement": spec.mock_rule.replacement, "source": spec.mock_rule.source},
        "x-kis-realtime": realtime,
    }


def openapi_json(spec: Spec) -> str:
    return json.dumps(openapi(spec), ensure_ascii=False, indent=2) + "\n"
