"""The ``state`` of a sign-in: minted at ``/authorize``, checked at ``/callback``.

Pending sign-ins live in the (signed) session, so any worker can finish a
sign-in another started. Each is single use and expires; a handful may be
pending at once (several tabs). A connect (``/connect``: WeChat for the
account of whoever is signed in) is pending the same way, and its entry also
records for which user id it was started.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app
from flask.sessions import SecureCookieSessionInterface
from werkzeug.http import dump_cookie

from .errors import StateExpired, StateUnknown

SESSION_KEY = "_wechat_pending"
#: What browsers keep of one cookie, in bytes: RFC 6265 asks them for at least 4096
#: including the name and attributes; Werkzeug warns past 4093, and so do we stop.
COOKIE_LIMIT = 4093
MAX_PENDING = 5
#: Longer "next" values are dropped: five of them would outgrow a cookie (4 KB).
MAX_NEXT = 512
#: A backslash (browsers read it as a slash, so ``/\host`` is ``//host``) or a control
#: character (browsers drop them, so ``/\t/host`` is ``//host`` too).
_UNSAFE_IN_NEXT = re.compile(r"[\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Pending:
    """One sign-in between ``/authorize`` and ``/callback``."""

    state: str
    next_url: str | None
    #: "website" (QR code) or "official_account" (inside WeChat).
    path: str
    issued_at: float
    #: For a connect, the id (``get_id()``) of the user who started it; ``None`` for a sign-in.
    connect_user: str | None = None

    @property
    def is_connect(self) -> bool:
        """Whether this is a connect rather than a sign-in."""
        return self.connect_user is not None


def mint(
    session: MutableMapping[str, Any],
    next_url: str | None,
    path: str,
    max_age: float,
    fits: Callable[[MutableMapping[str, Any]], bool] = lambda session: True,
    *,
    connect_user: str | None = None,
) -> str:
    """Remember a new pending sign-in and return its unguessable state.

    WeChat accepts letters and digits only, up to 128 bytes: 32 hex digits.
    At most :data:`MAX_PENDING` stay pending (several tabs). While the
    session does not ``fits`` (see :func:`cookie_fits`), the oldest pending
    sign-ins go first, then the new one's ``next``: a sign-in that lands on
    the home page beats a cookie the browser drops.

    ``connect_user`` (a user id) makes it a connect for that user; a sign-in's
    entry stays three items long, as before connects existed.
    """
    now = time.time()
    state = secrets.token_hex(16)
    fresh = [(key, entry) for key, entry in _entries(session).items() if now - entry[2] < max_age]
    older = sorted(fresh, key=lambda item: item[1][2])[-(MAX_PENDING - 1) :]
    tail: list[Any] = [] if connect_user is None else [str(connect_user)]
    entry = [next_url, path, now, *tail]
    while True:
        session[SESSION_KEY] = {**dict(older), state: entry}
        if fits(session):
            break
        if older:
            older.pop(0)
        elif entry[0] is not None:
            entry = [None, path, now, *tail]
        else:
            break  # the session is large for reasons of its own
    return state


def cookie_fits(session: MutableMapping[str, Any]) -> bool:
    """Whether ``session`` still fits in one cookie, measured as Flask would send it.

    Counts the whole ``Set-Cookie`` value (name, signed and compressed value,
    attributes) against :data:`COOKIE_LIMIT`. Sessions kept on the server
    (Flask-Session and the like) send only an id: they always fit.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interface = app.session_interface
    if not isinstance(interface, SecureCookieSessionInterface):
        return True
    serializer = interface.get_signing_serializer(app)
    if serializer is None:
        return True
    header = dump_cookie(
        interface.get_cookie_name(app),
        serializer.dumps(dict(session)),
        expires=interface.get_expiration_time(app, session),  # type: ignore[arg-type]
        path=interface.get_cookie_path(app),
        domain=interface.get_cookie_domain(app),
        secure=interface.get_cookie_secure(app),
        httponly=interface.get_cookie_httponly(app),
        samesite=interface.get_cookie_samesite(app),
        max_size=0,  # we measure; Werkzeug need not warn about a cookie never sent
    )
    return len(header.encode()) <= COOKIE_LIMIT


def take(session: MutableMapping[str, Any], state: str | None, max_age: float) -> Pending:
    """Pop the pending sign-in for ``state``.

    Raises :class:`~flask_wechat.errors.StateUnknown` if there is none, and
    :class:`~flask_wechat.errors.StateExpired` if it is too old.

    Popping makes the state single use: a replayed callback finds nothing.
    """
    pending = _entries(session)
    entry = pending.pop(state, None) if state else None
    if pending:
        session[SESSION_KEY] = pending
    else:
        session.pop(SESSION_KEY, None)
    if entry is None or state is None:
        raise StateUnknown("state missing, unknown or already used")
    found = _pending(str(state), entry)
    if time.time() - found.issued_at > max_age:
        raise StateExpired("state expired")
    return found


def peek(session: MutableMapping[str, Any], state: str | None) -> Pending | None:
    """The pending sign-in or connect for ``state``, left in place; ``None`` if unknown."""
    entry = _entries(session).get(state) if state else None
    return None if entry is None else _pending(str(state), entry)


def _entries(session: MutableMapping[str, Any]) -> dict[str, list[Any]]:
    """The pending entries in ``session``, leaving out any not shaped as :func:`mint` writes them.

    A session signed with the app's key may still hold another shape under our key
    (another version of this package, the app's own code): that is no pending sign-in.
    """
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return {}
    return {
        key: list(entry)
        for key, entry in stored.items()
        if isinstance(entry, (list, tuple))
        and len(entry) >= 3
        and isinstance(entry[1], str)
        and isinstance(entry[2], (int, float))
        and not isinstance(entry[2], bool)
    }


def _pending(state: str, entry: list[Any]) -> Pending:
    next_url, path, issued_at, *rest = entry  # three items: a sign-in (and 0.1's entries)
    return Pending(state, next_url, path, issued_at, rest[0] if rest else None)


def safe_next(target: object) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``.

    Refuses what browsers would take to another host: ``//host``, ``/\\host``
    (a backslash counts as a slash), schemes such as ``javascript:``, and
    control characters browsers silently drop; and anything that is not text
    (``session["next"]`` is the whole app's key).
    """
    if not isinstance(target, str) or not target:
        return None
    if len(target) > MAX_NEXT or not target.startswith("/"):
        return None
    if target.startswith("//") or _UNSAFE_IN_NEXT.search(target):
        return None
    # What is left is a path on this site: a leading "/" leaves no room for a
    # scheme, and only "//" starts a host.
    return target
