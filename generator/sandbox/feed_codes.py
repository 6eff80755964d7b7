"""The sandbox's own answers on its real-time feed, for registrations whose KIS code nobody has
recorded (KIS's own codes, OPSP..., come from the spec). Each goes in KIS's control message with
rt_cd "1"; docs/api/realtime.md lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FeedCode:
    code: str
    when: str
    what_to_do: str


FEED_CODES: tuple[FeedCode, ...] = (
    FeedCode("SBX05001", "the approval key is unknown, expired, or another app key's than the session's", "issue one (POST /oauth2/Approval; the client does) and send it in every registration"),
    FeedCode("SBX05002", "not a registration: not JSON, or without header.approval_key, header.tr_type 1 or 2, body.input.tr_id and tr_key", "send KIS's registration message (the client does)"),
    FeedCode("SBX05003", "the tr_id is not a TR of the spec in the sandbox's environment (the other environment's TR_ID, or a TR the mock domain does not serve: 모의투자 미지원)", "register the environment's TR_ID (the client picks it, and refuses a TR the environment lacks)"),
    FeedCode("SBX05004", "the tr_key is not what the TR is registered for (its pattern in spec/realtime.yaml)", "send the TR's tr_key (the client checks it first)"),
)
MESSAGES: dict[str, str] = {code.code: code.when for code in FEED_CODES}
