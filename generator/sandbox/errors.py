"""How the sandbox says no, in KIS's envelopes.

KIS answers gateway and OAuth failures itself (EGW codes) and business failures as HTTP 200 with
``rt_cd`` "1". The EGW codes in ``CODES`` are KIS's own; 40570000 and 40580000 are the codes KIS's
mock domain answers to an order outside market hours (not in KIS's documents: quoted from KIS's
replies in users' public logs); the SBX codes are the sandbox's, for rejections whose KIS code is
not documented (KIS documents no code for a real-only API called on its mock domain, so SBX01005
says it in the words the client's UnsupportedEnvironmentError uses). ``CODES`` is the one table of
them: the sandbox answers from it and docs/API.md lists it.

Auth operations (token, revoke, approval, hashkey) answer every failure as
``{"error_code", "error_description"}`` with HTTP 403, as KIS's OAuth endpoints do (tokenP
answers a wrong app key or secret with 403 EGW00103/EGW00105: KIS's replies in users' public
logs); ``status`` and ``envelope`` are what the other operations answer.
A connection whose request line and headers are not complete within ``header_timeout`` seconds is
closed without a reply (there is no request to answer), and so is one whose body outlasts
``body_timeout`` when the sandbox is not reading it (it answered already).
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
    on_oauth: bool = False  # answered by the OAuth operations too, there as 403 error_code


CODES: tuple[Code, ...] = (
    Code("EGW00103", 500, "rt_cd", "appkey missing, not the app key the token was issued to, or not one of the sandbox's app keys (app_keys=)", "send the app key the token was issued to (the client does), one the sandbox knows", "유효하지 않은 AppKey입니다.", on_oauth=True),
    Code("EGW00105", 500, "rt_cd", "appsecret missing or not the app key's secret (app_keys=, else the first secret seen with the app key)", "send the app key's secret", "유효하지 않은 AppSecret입니다.", on_oauth=True),
    Code("EGW00121", 500, "rt_cd", "authorization missing, not Bearer and a token, unknown or revoked", "get a new token (the client does when it has none, and on this code)", "유효하지 않은 token 입니다."),
    Code("EGW00123", 500, "rt_cd", "the token has expired", "nothing: the client gets a new token and repeats the call once", "기간이 만료된 token 입니다."),
    Code("EGW00133", 403, "error_code", "a new token for the same app key within the minimum interval", "reuse the token (the client's token cache shares one between processes), or wait a minute", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"),
    Code("EGW00201", 500, "rt_cd", "over the environment's requests per second; nothing executed", "send it again later (the client retries it); keep the client's rate limiter on", "초당 거래건수를 초과하였습니다."),
    Code("SBX00400", 400, "rt_cd", "not an HTTP/1.1 request the sandbox can read (malformed, or a head still incomplete after 16 KiB, or not complete within the head deadline); the connection closes", "send a well-formed HTTP/1.1 request"),
    Code("SBX00404", 404, "rt_cd", "no operation of the spec at this method and request target", "call an operation of the spec (docs/API.md lists them)"),
    Code("SBX00500", 500, "rt_cd", "a bug in the sandbox (logged with its traceback)", "report it with the sandbox's log", "an error in the sandbox itself (its log has the traceback; please report it)"),
    Code("SBX01001", 500, "rt_cd", "tr_id missing, unknown, retired or of another operation", "send the operation's TR_ID for the sandbox's environment (the client picks it)"),
    Code("SBX01002", 500, "rt_cd", "tr_id of the other environment (a real TR_ID on mock or back)", "match the client's env to the sandbox's (--env)"),
    Code("SBX01003", 500, "rt_cd", "custtype missing or not P/B", "send custtype P (individual) or B (corporate)"),
    Code("SBX01004", 500, "rt_cd", "the body is not a JSON object (or content-type is not JSON, or it nests deeper than 32 levels)", "send the request body as a JSON object"),
    Code("SBX01005", 500, "rt_cd", "the operation does not exist in this environment (a real-only operation on a mock sandbox: 모의투자 미지원), whatever the tr_id", "on a mock account use what docs/API.md names under 모의투자 계좌에서는", "모의투자에서는 해당 업무가 제공되지 않습니다."),
    Code("SBX01006", 400, "rt_cd", "the client disconnected before its body was complete (nothing executed)", "nothing: no one reads this reply", "the client disconnected before its body was complete; nothing was executed"),
    Code("SBX01007", 413, "rt_cd", "the body is larger than max_body_bytes (default 1 MiB)", "send a smaller body (no KIS request comes near it)"),
    Code("SBX01008", 408, "rt_cd", "the body did not arrive within body_timeout seconds", "send the whole body at once"),
    Code("SBX02001", 200, 'rt_cd "1"', "a field breaks its declaration (required, code, pattern, length)", "fix the field msg1 names (the client refuses it first, with ValidationError)"),
    Code("SBX02002", 200, 'rt_cd "1"', "a rule of the spec is broken", "meet the rule msg1 names (the client checks the rules first)"),
    Code("SBX02003", 200, 'rt_cd "1"', "the tr_id is for another market than the exchange field's", "send the TR_ID of the exchange's market (the client picks it)"),
    Code("SBX02004", 200, 'rt_cd "1"', "tr_cont N on an operation paged by tr_cont alone, with no read of the same request under way for the app key", "start the read again with an empty tr_cont (the client's *_pages helpers do)"),
    Code("SBX03001", 200, 'rt_cd "1"', "not enough buying power for a buy, or for a modification that raises what a resting buy can cost", "buy less, or start the sandbox with more cash (cash=)"),
    Code("SBX03002", 200, 'rt_cd "1"', "selling more than the orderable quantity", "sell at most what the balance shows as orderable (ord_psbl_qty)"),
    Code("SBX03003", 200, 'rt_cd "1"', "modify/cancel of an order that is not open", "modify or cancel an open order (list them first)"),
    Code("40570000", 200, 'rt_cd "1"', 'mock, market_hours="kis": an order before its session opens', "send it during the session (KIS's hours)", "모의투자 장시작전 입니다."),
    Code("40580000", 200, 'rt_cd "1"', 'mock, market_hours="kis": an order after the close, on a weekend or in a midday break', "send it during the next session", "모의투자 장종료 입니다."),
    Code("SBX03004", 200, 'rt_cd "1"', 'real, market_hours="kis": an order outside its session (KIS\'s code on real accounts is not documented)', "send it during the session (KIS's hours)", "장운영시간이 아닙니다."),
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
