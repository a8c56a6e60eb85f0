"""Keep secrets out of logs.

WeChat puts the app secret in the token URL's query string, and at DEBUG
level requests-oauthlib logs that URL, its parameters and the token it got,
while urllib3 logs every request line. :func:`install_log_redaction` adds a
filter to exactly those loggers that blanks ``secret``, ``access_token``,
``refresh_token`` and ``code`` values, whatever the app's logging setup.
"""

from __future__ import annotations

import logging
import re

_KEYS = r"(?:client_secret|secret|access_token|refresh_token|code)"
# key=value in a query string or form body (not "errcode=").
_IN_QUERY = re.compile(rf"((?:^|(?<=[?&;\s,(])){_KEYS}=)[^&\s'\",)#]*")
# 'key': 'value' in a dict's repr, "key": "value" in JSON.
_IN_MAPPING = re.compile(rf"""((['"]){_KEYS}\2\s*:\s*)(['"])(?:(?!\3).)*\3""")

#: The loggers that see WeChat URLs, request bodies or tokens.
NOISY_LOGGERS = ("requests_oauthlib.oauth2_session", "urllib3.connectionpool", "oauthlib")

REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with the values of secret-bearing fields blanked."""
    text = _IN_QUERY.sub(rf"\1{REDACTED}", text)
    return _IN_MAPPING.sub(rf"\1\3{REDACTED}\3", text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Add the redacting filter to :data:`NOISY_LOGGERS` (idempotent)."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
