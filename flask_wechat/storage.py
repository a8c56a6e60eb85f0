"""Where a signed-in person's WeChat token is kept: a seam.

The default, :class:`SessionStorage`, keeps it in Flask's session (signed
but readable by its owner: it holds only that person's own token). Pass
another object with the same three methods to ``WeChat(storage=...)`` to keep
tokens in a database instead: :mod:`flask_wechat.sqla` (SQL, through
SQLAlchemy) and :mod:`flask_wechat.redis` (Redis) ship with the package.

Storage shared by several processes should also have ``refresh_lock`` (see
:class:`LockingTokenStorage`): when one person's access token expires, their
concurrent requests then refresh it once, instead of once each.

Storage on a server may also keep each person's *sign-in generation* (see
:class:`SignInGenerations`): sessions and remember cookies then carry it, and
sign-out ends every copy of them (see :mod:`flask_wechat.revocation`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
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


@dataclass
class LockedToken:
    """What :meth:`LockingTokenStorage.refresh_lock` hands over while the lock is held."""

    #: The token as stored now, read after the lock was taken (another worker
    #: may have refreshed it while this one waited), or ``None``.
    token: Token | None
    #: Store a refreshed token; call it only while the lock is held.
    save: Callable[[Token], None]


class LockingTokenStorage(TokenStorage, Protocol):
    """A token store shared by several workers, which serialises refreshes."""

    def refresh_lock(self, user: Any) -> AbstractContextManager[LockedToken]:
        """Hold ``user``'s refresh lock for the ``with`` block.

        While one worker holds it, others asking for it wait; each then finds
        the token the first one saved, and uses it instead of refreshing again.
        """


class SignInGenerations(Protocol):
    """A token store on a server that also keeps each person's sign-in generation.

    A generation is a random string per user id (``user.get_id()``): every
    sign-in carries the current one, and ending it ends every session and
    remember cookie that carries it. The next sign-in starts a new one.
    """

    def sign_in_generation(self, user_id: str) -> str:
        """The current generation of ``user_id``, started now if there is none.

        Concurrent first sign-ins of one person must all get the same one.
        """

    def generation(self, user_id: str) -> str | None:
        """The current generation of ``user_id``, or ``None`` after it was ended."""

    def end_generation(self, user_id: str) -> None:
        """End ``user_id``'s generation (sign-out): whatever carries it stops working."""


def new_generation() -> str:
    """A new sign-in generation: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


class SessionStorage:
    """Keep the token of the person signed in in this browser's session.

    The token is stored with its owner's id (``user.get_id()``) and handed
    only to that owner: after the app's own ``logout_user()`` and another
    person's sign-in in the same browser, the previous person's token is
    neither returned nor kept.

    It keeps no sign-in generation (the session is the copy that would need
    ending): remember cookies and cookie sessions cannot be revoked with it.
    """

    key = "_wechat_token"

    def load(self, user: Any) -> Token | None:
        """The token in this browser's session, if it belongs to ``user``."""
        stored = session.get(self.key)
        if not isinstance(stored, dict) or stored.get("owner") != _owner(user):
            return None
        token = stored.get("token")
        return dict(token) if isinstance(token, dict) else None

    def save(self, user: Any, token: Token) -> None:
        """Put ``token`` in this browser's session, as ``user``'s."""
        session[self.key] = {"owner": _owner(user), "token": dict(token)}

    def delete(self, user: Any) -> None:
        """Remove the token from this browser's session."""
        session.pop(self.key, None)

    def keep_only(self, user: Any) -> None:
        """Drop a token that belongs to anyone but ``user`` (a sign-in)."""
        stored = session.get(self.key)
        if stored is not None and (
            not isinstance(stored, dict) or stored.get("owner") != _owner(user)
        ):
            session.pop(self.key, None)


def _owner(user: Any) -> str | None:
    get_id = getattr(user, "get_id", None)
    owner = get_id() if callable(get_id) else None
    return None if owner is None else str(owner)
