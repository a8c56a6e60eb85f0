"""The token a sign-out form carries, cooperating with Flask-WTF.

Sign-out is a POST with a token, so a link or a form on another site cannot
sign people out. When the app uses Flask-WTF's ``CSRFProtect``, the form
carries Flask-WTF's own token under the app's ``WTF_CSRF_FIELD_NAME`` and
Flask-WTF checks it (also with ``WTF_CSRF_CHECK_DEFAULT = False``: the logout
view calls its check). Otherwise the form carries this package's token under
:data:`FIELD`, a name that cannot collide with Flask-WTF's, compared as bytes.

In a template: ``wechat_csrf_field()`` (the field's name) and
``wechat_csrf_token()`` (its value); ``wechat/macros.html``'s
``logout_button`` uses both.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import current_app, request, session

from .errors import FormExpired

#: The form field of this package's own token.
FIELD = "_wechat_csrf_token"
#: Where this package keeps its token in the session.
SESSION_KEY = "_wechat_csrf"


def flask_wtf() -> Any | None:
    """The app's Flask-WTF ``CSRFProtect``, or ``None``."""
    return current_app.extensions.get("csrf")


def field_name() -> str:
    """The name of the hidden field that carries the token."""
    if flask_wtf() is not None:
        return str(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return FIELD


def token() -> str:
    """The token a sign-out form must send back."""
    if flask_wtf() is not None:
        from flask_wtf.csrf import generate_csrf

        return str(generate_csrf())
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_KEY])


def check() -> None:
    """Raise :class:`FormExpired` unless the request carries this session's token."""
    protection = flask_wtf()
    if protection is not None:
        from flask_wtf.csrf import CSRFError

        try:
            protection.protect()  # the token, and on https a same-origin Referer
        except CSRFError:
            raise FormExpired("Flask-WTF refused the form's CSRF token") from None
        return
    if not same_token(request.form.get(FIELD), session.get(SESSION_KEY)):
        raise FormExpired("the form's token is missing or not this session's")


def same_token(sent: object, expected: object) -> bool:
    """Constant-time comparison of two tokens, as bytes (any text a form can carry)."""
    if not (isinstance(sent, str) and isinstance(expected, str) and sent and expected):
        return False
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
