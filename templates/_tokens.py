"""Access tokens: what one is, and what the spec says about the operation that issues them."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kis_client._secrets import header_safe

if TYPE_CHECKING:
    from kis_client._calls import OperationInfo
    from kis_client._secrets import Credentials


@dataclass(slots=True)
class Token:
    """An access token. ``latest``: KIS handed it out already inside the renewal margin, so
    asking again before it expires would only get it back; it is used to its end."""

    value: str = field(repr=False)
    expires_at: float  # epoch seconds
    latest: bool = False

    def __repr__(self) -> str:
        return f"Token(value=***, expires_at={self.expires_at}, latest={self.latest})"

    def fresh(self, margin: float = 300.0) -> bool:
        return time.time() < self.expires_at - (0.0 if self.latest else margin)


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """The token operation, as the spec declares it."""

    operation: OperationInfo
    body: Callable[[Credentials], dict[str, str]]
    too_soon: str
    renew: tuple[str, ...]  # codes that call the token dead: expired, or unknown to the server
    min_interval: float
    lifetime: float


def sane_token(value: object, expires_at: object, lifetime: float, latest: object = False) -> Token | None:
    """A token record that can be trusted as one (from a reply or a cache file), or None."""
    if not isinstance(value, str) or not header_safe(value) or not isinstance(latest, bool):
        return None
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        return None
    try:
        seconds = float(expires_at)
    except OverflowError:  # an int with hundreds of digits
        return None
    if not math.isfinite(seconds) or seconds > time.time() + lifetime + 60:
        return None  # longer than any KIS token lives
    return Token(value, seconds, latest)
