"""How the sandbox says no, in KIS's envelopes.

KIS answers gateway and OAuth failures itself (EGW codes) and business failures as HTTP 200 with
``rt_cd`` "1". The EGW codes below are KIS's own; 40570000 and 40580000 are the codes KIS's mock
domain answers to an order outside market hours (not in KIS's documents: quoted from KIS's replies
in users' public logs); the SBX codes are the sandbox's, for rejections whose KIS code is not
documented (KIS documents no code for a real-only API called on its mock domain, so SBX01005 says
it in the words the client's UnsupportedEnvironmentError uses).

| code     | HTTP | envelope   | when                                                          |
|----------|------|------------|---------------------------------------------------------------|
| EGW00103 | 500  | rt_cd      | appkey missing, not the app key the token was issued to, or not |
|          |      |            | one of the sandbox's app keys (``app_keys=``)                 |
| EGW00105 | 500  | rt_cd      | appsecret missing or not the app key's secret (``app_keys=``, |
|          |      |            | else the first secret seen with the app key)                  |
| EGW00121 | 500  | rt_cd      | authorization missing, not ``Bearer ...``, unknown or revoked    |
| EGW00123 | 500  | rt_cd      | the token has expired                                         |
| EGW00133 | 403  | error_code | a new token for the same app key within the minimum interval  |
| EGW00201 | 500  | rt_cd      | over the environment's requests per second; nothing executed  |
| SBX00400 | 400  | rt_cd      | not an HTTP/1.1 request the sandbox can read (malformed, or a |
|          |      |            | head still incomplete after 16 KiB); the connection closes    |
| SBX00404 | 404  | rt_cd      | no operation of the spec at this method and request target    |
| SBX00500 | 500  | rt_cd      | a bug in the sandbox (logged with its traceback; please report) |
| SBX01001 | 500  | rt_cd      | tr_id missing, unknown, retired or of another operation       |
| SBX01002 | 500  | rt_cd      | tr_id of the other environment (a real TR_ID on mock or back) |
| SBX01003 | 500  | rt_cd      | custtype missing or not P/B                                   |
| SBX01004 | 500  | rt_cd      | the body is not a JSON object (or content-type is not JSON, or |
|          |      |            | it nests deeper than 32 levels)                               |
| SBX01005 | 500  | rt_cd      | the operation does not exist in this environment (a real-only |
|          |      |            | operation on a mock sandbox: 모의투자 미지원), whatever the tr_id |
| SBX01006 | 400  | rt_cd      | the client disconnected before its body was complete (no one  |
|          |      |            | reads this reply; nothing executed)                           |
| SBX01007 | 413  | rt_cd      | the body is larger than ``max_body_bytes`` (default 1 MiB)    |
| SBX01008 | 408  | rt_cd      | the body did not arrive within ``body_timeout`` seconds       |
| SBX02001 | 200  | rt_cd "1"  | a field breaks its declaration (required, code, pattern, length) |
| SBX02002 | 200  | rt_cd "1"  | a rule of the spec is broken                                  |
| SBX02003 | 200  | rt_cd "1"  | the tr_id is for another market than the exchange field's     |
| SBX03001 | 200  | rt_cd "1"  | not enough buying power for a buy, or for a modification that |
|          |      |            | raises what a resting buy can cost                            |
| SBX03002 | 200  | rt_cd "1"  | selling more than the orderable quantity                      |
| SBX03003 | 200  | rt_cd "1"  | modify/cancel of an order that is not open                    |
| 40570000 | 200  | rt_cd "1"  | mock, ``market_hours="kis"``: an order before its session opens |
| 40580000 | 200  | rt_cd "1"  | mock, ``market_hours="kis"``: an order after the close, on a  |
|          |      |            | weekend or in a midday break                                  |
| SBX03004 | 200  | rt_cd "1"  | real, ``market_hours="kis"``: an order outside its session    |
|          |      |            | (KIS's code on real accounts is not documented)               |

Auth operations (token, revoke, approval, hashkey) answer every failure as
``{"error_code", "error_description"}`` with HTTP 403, as KIS's OAuth endpoints do.
A connection whose request line and headers are not complete within ``header_timeout`` seconds is
closed without a reply (there is no request to answer), and so is one whose body outlasts
``body_timeout`` when the sandbox is not reading it (it answered already).
"""

from __future__ import annotations

from dataclasses import dataclass

STATUS: dict[str, int] = {
    "EGW00103": 500,
    "EGW00105": 500,
    "EGW00121": 500,
    "EGW00123": 500,
    "EGW00133": 403,
    "EGW00201": 500,
    "SBX00400": 400,
    "SBX00404": 404,
    "SBX00500": 500,
    "SBX01001": 500,
    "SBX01002": 500,
    "SBX01003": 500,
    "SBX01004": 500,
    "SBX01005": 500,
    "SBX01006": 400,
    "SBX01007": 413,
    "SBX01008": 408,
}

MESSAGES: dict[str, str] = {
    "EGW00103": "유효하지 않은 AppKey입니다.",
    "EGW00105": "유효하지 않은 AppSecret입니다.",
    "EGW00121": "유효하지 않은 token 입니다.",
    "EGW00123": "기간이 만료된 token 입니다.",
    "EGW00133": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)",
    "EGW00201": "초당 거래건수를 초과하였습니다.",
    "SBX00500": "an error in the sandbox itself (its log has the traceback; please report it)",
    "SBX01005": "모의투자에서는 해당 업무가 제공되지 않습니다.",
    "SBX01006": "the client disconnected before its body was complete; nothing was executed",
    "40570000": "모의투자 장시작전 입니다.",
    "40580000": "모의투자 장종료 입니다.",
    "SBX03004": "장운영시간이 아닙니다.",
}


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
