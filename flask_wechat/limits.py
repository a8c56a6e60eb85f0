"""Rate limits on ``/authorize`` and ``/callback``, with Flask-Limiter (optional).

``pip install "flask-wechat-login[limiter]"``, and give the extension the
app's ``Limiter`` (or just create one for the app: it is found)::

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(get_remote_address, app=app, storage_uri="redis://cache:6379/1")
    wechat = WeChat(app, limiter=limiter)

Two requests (``/authorize``, then ``/callback``) buy one call to WeChat, and
each call counts against the app's per-minute quota that everyone signing in
shares. The limits:

* ``/authorize``: ``WECHAT_RATE_LIMIT_AUTHORIZE`` per client address, default
  **60 per minute**. A person needs one, a few with retries; carrier-grade
  NAT and office networks put many people behind one address, so the limit
  is far above one person's use and still caps what one address can spend.
* ``/callback``: ``WECHAT_RATE_LIMIT_CALLBACK`` per browser session (the
  session cookie it sends; per address without one), default **10 per
  minute**: one per sign-in, a few reloads. Replaying one cookie hits it at
  once; a fresh cookie needs a fresh ``/authorize``, limited above.

Set either to ``None`` to turn it off. The counters live in the Limiter's
storage (``storage_uri``): memory is per process, Redis counts across
processes and hosts. If that storage is down, sign-in keeps working without
limits (a warning is logged), as WeChat's own quota still applies and a
broken cache must not lock everyone out. Behind a proxy, the client address
is the proxy's unless the app trusts its ``X-Forwarded-For`` with
``werkzeug.middleware.proxy_fix.ProxyFix``.

A limited request gets the bilingual "Too many attempts" page, 429, with
``Retry-After``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import lru_cache, wraps
from typing import Any, Callable

from flask import Flask, current_app, request

from .errors import SettingsError, TooManyAttempts
from .quota import RETRY_AFTER

log = logging.getLogger(__name__)

DEFAULT_AUTHORIZE = "60 per minute"
DEFAULT_CALLBACK = "10 per minute"


def client_address() -> str:
    """The client's address as the app sees it (``ProxyFix`` decides behind a proxy)."""
    return request.remote_addr or "unknown"


def browser_session() -> str:
    """The browser session: its session cookie, or its address without one."""
    cookie = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie:
        return "session:" + hashlib.sha256(cookie.encode("utf-8")).hexdigest()[:32]
    return "address:" + client_address()


@lru_cache(maxsize=32)
def _parsed(limit: str) -> tuple[Any, ...]:
    from limits import parse_many

    return tuple(parse_many(limit))


def check_limit(value: Any, key: str) -> str | None:
    """Check a rate-limit setting (``"60 per minute"``, ``None`` for none)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{key} must be a rate limit such as '10 per minute', or None")
    try:
        _parsed(value)
    except ImportError:
        pass  # no Flask-Limiter: no limits, nothing to check against
    except ValueError:
        raise SettingsError(
            f"{key} must be a rate limit such as '10 per minute', not {value!r}"
        ) from None
    return value


def _find(given: Any) -> Any:
    if given is not None:
        return given
    found = current_app.extensions.get("limiter")
    return next(iter(found), None) if found else None


def _limited(
    view: Callable[..., Any],
    endpoint: str,
    limit_of: Callable[[Any], str | None],
    key_of: Callable[[], str],
) -> Callable[..., Any]:
    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        wechat = current_app.extensions["wechat"]
        limiter = _find(wechat.limiter)
        limit = limit_of(wechat.settings) if limiter else None
        if limit:
            _hit(limiter, limit, endpoint, key_of())
        return view(*args, **kwargs)

    return limited


def _hit(limiter: Any, limit: str, endpoint: str, key: str) -> None:
    breached = None
    try:
        strategy = limiter.limiter
        for item in _parsed(limit):
            if not strategy.hit(item, "flask_wechat", endpoint, key):
                breached = strategy.get_window_stats(item, "flask_wechat", endpoint, key)
                break
    except Exception as error:  # the Limiter's storage is down: sign-in goes on
        log.warning("rate limit not checked: %s (%s)", type(error).__name__, endpoint)
        return
    if breached is not None:
        request.environ[RETRY_AFTER] = max(1, math.ceil(breached.reset_time - time.time()))
        raise TooManyAttempts(f"rate limit {limit} reached at {endpoint}")


def init_app(app: Flask, limiter: Any = None) -> None:
    """Wrap the registered ``/authorize`` and ``/callback`` views in their limits.

    Wrapping the registered views (``app.view_functions``) is what limits
    them; decorating the blueprint's functions after registration would not.
    ``limiter`` is the app's ``Limiter`` (set up for ``app`` here if it is not
    yet); without one, the first Limiter set up for the app is used, found at
    each request, so the order of set-up does not matter. (``Retry-After``
    is added by :func:`flask_wechat.quota.retry_after`.)
    """
    if limiter is not None and limiter not in app.extensions.get("limiter", ()):
        limiter.init_app(app)
    views = app.view_functions
    views["wechat.authorize"] = _limited(
        views["wechat.authorize"],
        "authorize",
        lambda settings: settings.rate_limit_authorize,
        client_address,
    )
    views["wechat.callback"] = _limited(
        views["wechat.callback"],
        "callback",
        lambda settings: settings.rate_limit_callback,
        browser_session,
    )
