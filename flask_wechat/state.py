"""The ``state`` of a sign-in: minted at ``/authorize``, checked at ``/callback``.

Pending sign-ins live in the (signed) session, so any worker can finish a
sign-in another started. Each is single use and expires; a handful may be
pending at once (several tabs).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import StateError

SESSION_KEY = "_wechat_pending"
MAX_PENDING = 5
#: Longer "next" values are dropped: five of them would outgrow a cookie (4 KB).
MAX_NEXT = 512


@dataclass(frozen=True)
class Pending:
    """One sign-in between ``/authorize`` and ``/callback``."""

    state: str
    next_url: str | None
    #: "website" (QR code) or "official_account" (inside WeChat).
    path: str
    issued_at: float


def mint(session: MutableMapping[str, Any], next_url: str | None, path: str, max_age: float) -> str:
    """Remember a new pending sign-in and return its unguessable state.

    WeChat accepts letters and digits only, up to 128 bytes: 32 hex digits.
    """
    now = time.time()
    state = secrets.token_hex(16)
    pending = {
        key: entry
        for key, entry in session.get(SESSION_KEY, {}).items()
        if now - entry[2] < max_age
    }
    pending[state] = [next_url, path, now]
    # Keep the newest few so an abandoned tab cannot grow the cookie forever.
    session[SESSION_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1][2])[-MAX_PENDING:])
    return state


def take(session: MutableMapping[str, Any], state: str | None, max_age: float) -> Pending:
    """Pop the pending sign-in for ``state``; raise :class:`StateError` if there is none.

    Popping makes the state single use: a replayed callback finds nothing.
    """
    pending = dict(session.get(SESSION_KEY, {}))
    entry = pending.pop(state, None) if state else None
    if pending:
        session[SESSION_KEY] = pending
    else:
        session.pop(SESSION_KEY, None)
    if entry is None:
        raise StateError("state missing, unknown or already used")
    next_url, path, issued_at = entry
    if time.time() - issued_at > max_age:
        raise StateError("state expired")
    return Pending(state, next_url, path, issued_at)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``.

    Refuses what browsers would take to another host: ``//host``, ``/\\host``
    (a backslash counts as a slash), schemes such as ``javascript:``, and
    control characters browsers silently drop.
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
