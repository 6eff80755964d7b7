"""What must never show: app keys, app secrets and tokens are masked in the kis_client logger's
records and in reprs, and checked to be sendable before anything is sent.

The logger lives here, so that every module logging through it logs through the mask.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

logger = logging.getLogger("kis_client")


@dataclass(slots=True)
class Credentials:
    app_key: str = field(repr=False)
    app_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(app_key={mask(self.app_key)}, app_secret=***)"


def mask(secret: str) -> str:
    """Enough to tell two keys apart in a log, never enough to use one."""
    return f"{secret[:2]}***" if len(secret) >= 12 else "***"


class SecretFilter(logging.Filter):
    """Replaces any registered secret in log records of the kis_client logger."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


secret_filter = SecretFilter()
logger.addFilter(secret_filter)


# Printable ASCII without surrounding spaces: what an HTTP header value can carry as is.
_HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
MAX_SECRET_LENGTH = 4096


def header_safe(value: str) -> bool:
    return len(value) <= MAX_SECRET_LENGTH and _HEADER_VALUE.fullmatch(value) is not None


def check_credential(name: str, value: object) -> str:
    """An app key or secret as it will go on the wire, or ValueError naming it (never its value).

    Checked before anything is sent: httpcore would log an illegal header value in full at
    DEBUG, outside the kis_client logger's mask.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required")
    if not header_safe(value):
        raise ValueError(
            f"{name} must be printable ASCII without surrounding whitespace or control characters "
            "(a value read from a file keeps its newline); the value is not shown"
        )
    return value
