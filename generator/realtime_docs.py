"""The view behind docs/api/realtime.md (templates/api/realtime.md.j2): the feed's connection,
limits and control codes, and every TR's fields in the order KIS sends them, ready to print."""

from __future__ import annotations

from dataclasses import dataclass

from .docs import PYTHON_TYPES, anchor, code, quoted, text
from .layout import AREA_DOCS
from .model import RealtimeTr, Spec
from .sandbox.feed_codes import FEED_CODES

PAGE = f"{AREA_DOCS}/realtime.md"


@dataclass(frozen=True)
class TrDoc:
    heading: str
    meta: str
    key: str
    notes: tuple[str, ...]
    fields: tuple[tuple[str, str, str, str, str], ...]  # position, wire, python, label, type
    row: str  # its row of the page's table of TRs: class, 이름, real, mock, tr_key, encrypted, fields
    index_row: str  # the same row in docs/API.md, linking to the page


@dataclass(frozen=True)
class RealtimePage:
    path: str  # from docs/
    approval_operation: str
    connection: tuple[tuple[str, str, str], ...]  # environment, URL, source
    approval: str
    limits: str
    messages: str
    codes: tuple[tuple[str, str, str, str, str, str], ...]  # code, rt_cd, msg1, outcome, meaning, source
    sandbox_codes: tuple[tuple[str, str, str], ...]  # code, when, what to do
    trs: tuple[TrDoc, ...]


def _tr(tr: RealtimeTr) -> TrDoc:
    heading = f"{tr.class_name} — {tr.real_tr_id} {text(tr.label)}"
    mock = f"`{tr.mock_tr_id}`" if tr.mock_tr_id is not None else "(모의 미지원)"
    meta = " · ".join([f"`kis_client.realtime.{tr.class_name}`", f"실전 `{tr.real_tr_id}`", f"모의 {mock}"] + ([f"API ID {code(tr.api_id)}"] if tr.api_id else []) + ["encrypted (AES-256-CBC)" if tr.encrypted else "plain"])
    key = f"tr_key: {text(tr.key.label)}, e.g. {quoted(tr.key.example)}, pattern {code(tr.key.pattern)}" + (f" — {text(tr.key.note)}" if tr.key.note else "") + f"; `.key` is `{tr.key_field}`."
    notes = tuple(text(note) for note in (tr.note, f"Source: {tr.source}") if note)
    fields = tuple(
        (str(field.position + 1), f"`{field.wire}`", f"`{field.py_name}`", text(field.label + (f" — {field.note}" if field.note else "")), code(f"{PYTHON_TYPES[field.kind]} | None"))
        for field in tr.fields
    )
    cells = [text(tr.label), f"`{tr.real_tr_id}`", mock, text(tr.key.label), "yes" if tr.encrypted else "no", str(len(tr.fields))]
    row = " | ".join([f"[`{tr.class_name}`](#{anchor(heading)})", *cells])
    index_row = " | ".join([f"[`{tr.class_name}`]({PAGE}#{anchor(heading)})", *cells])
    return TrDoc(heading, meta, key, notes, fields, f"| {row} |", f"| {index_row} |")


def realtime_page(spec: Spec) -> RealtimePage:
    realtime = spec.realtime
    assert realtime is not None, "the model requires `realtime` of a spec it renders"
    sources = dict(realtime.url_sources)
    approval = realtime.approval
    return RealtimePage(
        path=PAGE,
        approval_operation=f"`{approval.operation}`",
        connection=tuple((env, f"`{url}{realtime.path}`", text(sources[env])) for env, url in realtime.urls),
        approval=f"`{approval.operation}` (its `{approval.reply_field}`), reused {approval.lifetime_seconds:,} seconds less five minutes. Source: {text(approval.source)}.",
        limits=f"{realtime.registration_limit} registrations a session (every TR_ID and tr_key pair, notices too); {realtime.sessions_per_app_key} session an app key. Source: {text(realtime.limits_source)}.",
        messages=f"tr_type {quoted(realtime.subscribe)} registers, {quoted(realtime.unsubscribe)} releases; KIS's heartbeat is tr_id `{realtime.pingpong}`. Source: {text(realtime.messages_source)}.",
        codes=tuple(
            (f"`{c.code}`", quoted(c.rt_cd) if c.rt_cd is not None else "(not recorded)", text(c.message) if c.message else "(not recorded)", c.outcome, text(c.meaning), text(c.source))
            for c in realtime.codes
        ),
        sandbox_codes=tuple((f"`{c.code}`", text(c.when), text(c.what_to_do)) for c in FEED_CODES),
        trs=tuple(_tr(tr) for tr in realtime.trs),
    )
