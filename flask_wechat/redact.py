"""Keep secrets out of logs.

WeChat puts the app secret in the token URL's query string. At DEBUG level
requests-oauthlib logs that URL, its parameters and the token it got; urllib3
logs every request line and, on ``urllib3.util.retry``, the URL of every
retried request; Werkzeug's development server logs the callback's query
(with its code and state), and so does gunicorn's access log.
:func:`install_log_redaction` blanks ``secret``, ``access_token``,
``refresh_token``, ``code`` and ``state`` values in every record of those
loggers *and their children*, whatever the app's logging setup.

It works at the depth where records are made (the log record factory), not
with logger filters: a filter on ``urllib3`` does not see the records of
``urllib3.util.retry``, and a filter on a handler only covers that handler.
``WeChat.init_app`` installs it; users of the protocol layer alone call it
once themselves.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

_KEYS = r"(?:client_secret|secret|access_token|refresh_token|code|state)"
# key=value wherever it starts a field: in a query string or form body, a quoted body, a
# bracket, markup (not "errcode=", "barcode=", "x-code=" or "zip.code=").
_IN_QUERY = re.compile(rf"((?<![\w.-]){_KEYS}=)[^&\s'\",)\]}}<#]*")
# 'key': 'value' in a dict's repr, "key": "value" in JSON.
_IN_MAPPING = re.compile(rf"""((['"]){_KEYS}\2\s*:\s*)(['"])(?:(?!\3).)*\3""")

#: The loggers (with every child logger) that see WeChat URLs, request bodies or tokens;
#: servers' request lines (Werkzeug's, ``gunicorn.access``) hold the callback's query.
NOISY_LOGGERS = (
    "requests_oauthlib",
    "oauthlib",
    "urllib3",
    "requests",
    "werkzeug",
    "gunicorn",
    "flask_wechat",
)

REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with the values of secret-bearing fields blanked."""
    text = _IN_QUERY.sub(rf"\1{REDACTED}", text)
    return _IN_MAPPING.sub(rf"\1\3{REDACTED}\3", text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite ``record``'s message (and its traceback text) with :func:`redact`."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: the logging module reports it itself
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        # Exceptions of requests and urllib3 carry the URL they failed on.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


class RedactingFilter(logging.Filter):
    """A filter for a handler of your own: :func:`redact` on every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _noisy(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in NOISY_LOGGERS)


_install_lock = threading.Lock()
_installed = False


def install_log_redaction() -> None:
    """Redact every record of :data:`NOISY_LOGGERS` and their children (idempotent).

    Wraps the current log record factory, so records are clean before any
    filter or handler sees them.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            return redact_record(record) if _noisy(record.name) else record

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
