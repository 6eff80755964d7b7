"""What a client is made with: its settings, and the checks of the options a user gives."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from kis_client._calls import Paging, PreparedCall
    from kis_client._rate_limit import RateLimiter
    from kis_client._retry import RetryPolicy
    from kis_client._secrets import Credentials
    from kis_client._token_cache import TokenCache, TokenSlot
    from kis_client._tokens import TokenSpec


@dataclass(frozen=True, slots=True)
class Hashkey:
    """How an order gets KIS's hash of its body: the call that asks for it, the field of the
    reply that holds it, and the header it goes in (the spec's ``hashkey:``)."""

    prepare: Callable[[Mapping[str, Any]], PreparedCall]
    reply_field: str
    header: str


@dataclass(slots=True)
class Settings:
    base_url: str
    env: str
    credentials: Credentials
    custtype: str
    token_spec: TokenSpec
    paging: Paging
    rate_limiter: RateLimiter | None
    retry: RetryPolicy
    token_cache: TokenCache
    token_slot: TokenSlot
    hashkey: Hashkey | None
    timeout: float  # seconds for each read or write
    connect_timeout: float
    deadline: float  # seconds for a whole call: waits, retries and reading included
    max_reply_bytes: int  # decoded
    max_pages: int | None


_ACCOUNT = re.compile(r"([0-9]{8})-?([0-9]{2})")  # ASCII digits: str.isdigit() takes ١٢٣ too


def parse_account(account: str | None) -> tuple[str | None, str | None]:
    """``"12345678-01"`` (or ``"1234567801"``) into (CANO, ACNT_PRDT_CD)."""
    if account is None or account == "":
        return None, None
    match = _ACCOUNT.fullmatch(account) if isinstance(account, str) else None
    if match is None:
        raise ValueError("account must look like 12345678-01 (8 ASCII digits for CANO, a dash, 2 for the product code); the value is not shown")
    return match.group(1), match.group(2)


def check_env(env: str, envs: Sequence[str]) -> str:
    value = str(env)
    if value not in envs:
        raise ValueError(f"env must be one of {', '.join(envs)}; got {value!r}")
    return value


def check_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds")
    return float(value)


def check_count(name: str, value: object) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a whole number, 1 or more")
    return value


def check_base_url(name: str, value: object) -> str:
    """The server every request goes to, without a trailing slash; or ValueError naming ``name``
    and never the value, which could hold a password or a token."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a URL such as https://openapi.koreainvestment.com:9443")
    problem = _url_problem(value)
    if problem is not None:
        raise ValueError(f"{name} {problem}; the value is not shown")
    return value.rstrip("/")


def _url_problem(value: str) -> str | None:
    if not value.isprintable() or any(char.isspace() for char in value):
        return "must not contain whitespace or control characters (a value read from a file keeps its newline)"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "is not a URL (a bad port or IPv6 address)"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if "@" in parts.netloc:
        return "must not hold a user name or password (KIS takes the app key and secret in headers)"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "must not have a query or fragment (each request's path is appended to it)"
    import httpx

    try:
        httpx.URL(value)
    except httpx.InvalidURL:
        return "is not a URL httpx can send requests to"
    return None
