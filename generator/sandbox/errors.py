"""How the sandbox says no, in KIS's envelopes.

KIS answers gateway and OAuth failures itself (EGW codes) and business failures as HTTP 200 with
``rt_cd`` "1". The EGW codes below are KIS's own; the SBX codes are the sandbox's, for rejections
whose KIS code is not documented (KIS documents no code for a real-only API called on its mock
domain, so SBX01005 says it in the words the client's UnsupportedEnvironmentError uses).

| code     | HTTP | envelope   | when                                                          |
|----------|------|------------|---------------------------------------------------------------|
| EGW00103 | 500  | rt_cd      | appkey header missing or not the app key the token was issued to |
| EGW00105 | 500  | rt_cd      | appsecret missing or not the secret first seen with the app key  |
| EGW00121 | 500  | rt_cd      | authorization missing, not ``Bearer ...``, unknown or revoked    |
| EGW00123 | 500  | rt_cd      | the token has expired                                         |
| EGW00133 | 403  | error_code | a new token for the same app key within the minimum interval  |
| EGW00201 | 500  | rt_cd      | over the environment's requests per second; nothing executed  |
| SBX00404 | 404  | rt_cd      | no operation of the spec at this method and path              |
| SBX01001 | 500  | rt_cd      | tr_id missing, unknown, retired or of another operation       |
| SBX01002 | 500  | rt_cd      | tr_id of the other environment (a real TR_ID on mock or back) |
| SBX01003 | 500  | rt_cd      | custtype missing or not P/B                                   |
| SBX01004 | 500  | rt_cd      | the body is not a JSON object (or content-type is not JSON)   |
| SBX01005 | 500  | rt_cd      | the operation does not exist in this environment (a real-only |
|          |      |            | operation on a mock sandbox: 모의투자 미지원), whatever the tr_id |
| SBX02001 | 200  | rt_cd "1"  | a field breaks its declaration (required, code, pattern, length) |
| SBX02002 | 200  | rt_cd "1"  | a rule of the spec is broken                                  |
| SBX02003 | 200  | rt_cd "1"  | the tr_id is for another market than the exchange field's     |
| SBX03001 | 200  | rt_cd "1"  | not enough cash for a buy                                     |
| SBX03002 | 200  | rt_cd "1"  | selling more than the orderable quantity                      |
| SBX03003 | 200  | rt_cd "1"  | modify/cancel of an order that is not open                    |

Auth operations (token, revoke, approval, hashkey) answer every failure as
``{"error_code", "error_description"}`` with HTTP 403, as KIS's OAuth endpoints do.
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
    "SBX00404": 404,
    "SBX01001": 500,
    "SBX01002": 500,
    "SBX01003": 500,
    "SBX01004": 500,
    "SBX01005": 500,
}

MESSAGES: dict[str, str] = {
    "EGW00103": "유효하지 않은 AppKey입니다.",
    "EGW00105": "유효하지 않은 AppSecret입니다.",
    "EGW00121": "유효하지 않은 token 입니다.",
    "EGW00123": "기간이 만료된 token 입니다.",
    "EGW00133": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)",
    "EGW00201": "초당 거래건수를 초과하였습니다.",
    "SBX01005": "모의투자에서는 해당 업무가 제공되지 않습니다.",
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
