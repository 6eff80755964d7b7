"""How the sandbox says no, in KIS's envelopes.

KIS answers gateway and OAuth failures itself (EGW codes) and business failures as HTTP 200 with
``rt_cd`` "1". The EGW codes in ``CODES`` are KIS's own; the SBX codes are the sandbox's, for
rejections whose KIS code is not documented (KIS documents no code for a real-only API called on
its mock domain, so SBX01005 says it in the words the client's UnsupportedEnvironmentError uses).
``CODES`` is the one table of them: the sandbox answers from it and docs/API.md lists it.

Auth operations (token, revoke, approval, hashkey) answer every failure as
``{"error_code", "error_description"}`` with HTTP 403, as KIS's OAuth endpoints do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    status: int  # HTTP status
    envelope: str  # how the body carries it
    when: str
    what_to_do: str
    message: str = ""  # KIS's msg1, where the sandbox answers in KIS's words


CODES: tuple[Code, ...] = (
    Code("EGW00103", 500, "rt_cd", "appkey header missing or not the app key the token was issued to", "send the app key the token was issued to (the client does)", "유효하지 않은 AppKey입니다."),
    Code("EGW00105", 500, "rt_cd", "appsecret missing or not the secret first seen with the app key", "send the app key's secret", "유효하지 않은 AppSecret입니다."),
    Code("EGW00121", 500, "rt_cd", "authorization missing, not Bearer and a token, unknown or revoked", "get a new token (the client does when it has none)", "유효하지 않은 token 입니다."),
    Code("EGW00123", 500, "rt_cd", "the token has expired", "nothing: the client gets a new token and repeats the call once", "기간이 만료된 token 입니다."),
    Code("EGW00133", 403, "error_code", "a new token for the same app key within the minimum interval", "reuse the token (the client's token cache shares one between processes), or wait a minute", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"),
    Code("EGW00201", 500, "rt_cd", "over the environment's requests per second; nothing executed", "send it again later (the client retries it); keep the client's rate limiter on", "초당 거래건수를 초과하였습니다."),
    Code("SBX00404", 404, "rt_cd", "no operation of the spec at this method and path", "call an operation of the spec (docs/API.md lists them)"),
    Code("SBX01001", 500, "rt_cd", "tr_id missing, unknown, retired or of another operation", "send the operation's TR_ID for the sandbox's environment (the client picks it)"),
    Code("SBX01002", 500, "rt_cd", "tr_id of the other environment (a real TR_ID on mock or back)", "match the client's env to the sandbox's (--env)"),
    Code("SBX01003", 500, "rt_cd", "custtype missing or not P/B", "send custtype P (individual) or B (corporate)"),
    Code("SBX01004", 500, "rt_cd", "the body is not a JSON object (or content-type is not JSON)", "send the request body as a JSON object"),
    Code("SBX01005", 500, "rt_cd", "the operation does not exist in this environment (a real-only operation on a mock sandbox: 모의투자 미지원), whatever the tr_id", "on a mock account use what docs/API.md names under 모의투자 계좌에서는", "모의투자에서는 해당 업무가 제공되지 않습니다."),
    Code("SBX02001", 200, 'rt_cd "1"', "a field breaks its declaration (required, code, pattern, length)", "fix the field msg1 names (the client refuses it first, with ValidationError)"),
    Code("SBX02002", 200, 'rt_cd "1"', "a rule of the spec is broken", "meet the rule msg1 names (the client checks the rules first)"),
    Code("SBX02003", 200, 'rt_cd "1"', "the tr_id is for another market than the exchange field's", "send the TR_ID of the exchange's market (the client picks it)"),
    Code("SBX03001", 200, 'rt_cd "1"', "not enough cash for a buy", "buy less, or start the sandbox with more cash (cash=)"),
    Code("SBX03002", 200, 'rt_cd "1"', "selling more than the orderable quantity", "sell at most what the balance shows as orderable (ord_psbl_qty)"),
    Code("SBX03003", 200, 'rt_cd "1"', "modify/cancel of an order that is not open", "modify or cancel an open order (list them first)"),
)
STATUS: dict[str, int] = {code.code: code.status for code in CODES if code.status != 200}
MESSAGES: dict[str, str] = {code.code: code.message for code in CODES if code.message}


@dataclass(slots=True)
class Rejection(Exception):
    """A KIS-shaped refusal; ``detail`` is appended to the message (never a secret)."""

    code: str
    detail: str = ""

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 200)

    @property
    def message(self) -> str:
        base = MESSAGES.get(self.code, "")
        if base and self.detail:
            return f"{base} ({self.detail})"
        return base or self.detail

    def body(self, oauth: bool) -> dict[str, str]:
        if oauth:
            return {"error_code": self.code, "error_description": self.message}
        return {"rt_cd": "1", "msg_cd": self.code, "msg1": self.message}
