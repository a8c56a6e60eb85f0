"""Where a signed-in person's WeChat token is kept: a seam.

The default, :class:`SessionStorage`, keeps it in Flask's session (signed
but readable by its owner: it holds only that person's own token). Pass
another object with the same three methods to ``WeChat(storage=...)`` to keep
tokens in a database instead.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import session

from .client import Token


class TokenStorage(Protocol):
    """What ``WeChat`` needs of a token store."""

    def load(self, user: Any) -> Token | None:
        """The token saved for ``user``, or ``None``."""

    def save(self, user: Any, token: Token) -> None:
        """Save ``token`` for ``user``, replacing any earlier one."""

    def delete(self, user: Any) -> None:
        """Forget ``user``'s token (sign-out)."""


class SessionStorage:
    """Keep the token of the person signed in in this browser's session."""

    key = "_wechat_token"

    def load(self, user: Any) -> Token | None:
        """The token in this browser's session (``user`` is the one signed in here)."""
        return session.get(self.key)

    def save(self, user: Any, token: Token) -> None:
        """Put ``token`` in this browser's session."""
        session[self.key] = dict(token)

    def delete(self, user: Any) -> None:
        """Remove the token from this browser's session."""
        session.pop(self.key, None)
