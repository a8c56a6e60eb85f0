"""Sign-ins that sign-out can end everywhere: the sign-in generation.

Flask-Login keeps the signed-in user's id in the session (``_user_id``) and,
with "remember me", in the remember cookie. A copy of either keeps working
after sign-out: a signed cookie session until it expires, a remember cookie
for ``REMEMBER_COOKIE_DURATION`` (365 days by default), whatever the session
store. Flask-Login's answer is an *alternative id* that changes when it must
stop working; this module gives every WeChat sign-in one, without touching the
app's user model:

- at sign-in, the id Flask-Login keeps becomes ``<user id>~wechat:<generation>``,
  where the generation is the person's current one in the token storage
  (:class:`~flask_wechat.storage.SignInGenerations`: the SQL and Redis
  storages keep them);
- the app's ``user_loader`` still gets ``<user id>``: the extension wraps it;
- sign-out (the blueprint's, or the app's own ``logout_user()``) and
  :meth:`~flask_wechat.WeChat.sign_out_everywhere` end the generation;
- a remember cookie is checked when it signs someone in (one storage read,
  once per browser session); with ``WECHAT_REVOCABLE_SESSIONS`` the session
  is checked at every request that loads the user (one storage read each).

Ending a generation ends *every* sign-in of that person carrying it, in every
browser: a copied cookie cannot be told from a second browser's. Sign-ins the
app makes itself (``login_user`` without WeChat) carry no generation and are
never checked.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, request, session
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie

if TYPE_CHECKING:
    from .signin import WeChatState

log = logging.getLogger(__name__)

#: Between the user id and the generation in the id Flask-Login keeps.
MARK = "~wechat:"
_GENERATION = re.compile(r"[A-Za-z0-9_-]{1,64}")


def keeps_generations(storage: Any) -> bool:
    """Whether ``storage`` keeps sign-in generations
    (:class:`~flask_wechat.storage.SignInGenerations`)."""
    return all(
        callable(getattr(storage, name, None))
        for name in ("sign_in_generation", "generation", "end_generation")
    )


def carried(user_id: str, generation: str) -> str:
    """The id Flask-Login keeps for ``user_id`` signed in at ``generation``."""
    return f"{user_id}{MARK}{generation}"


def split(kept: Any) -> tuple[Any, str | None]:
    """``(user id, generation)`` from the id Flask-Login keeps; no generation: ``None``."""
    if not isinstance(kept, str) or MARK not in kept:
        return kept, None
    user_id, _, generation = kept.rpartition(MARK)
    if not _GENERATION.fullmatch(generation):
        return kept, None
    return user_id, generation


def in_use(state: WeChatState) -> bool:
    """Whether sign-ins carry a generation: remember cookies or checked sessions are on,
    and the storage keeps generations."""
    settings = state.settings
    return (settings.remember or settings.revocable_sessions) and keeps_generations(state.storage)


def mark_sign_in(state: WeChatState, user: Any) -> None:
    """After ``login_user``: make the session (and so the remember cookie) carry the
    person's current generation."""
    if not in_use(state):
        return
    user_id = str(user.get_id())
    session["_user_id"] = carried(user_id, state.storage.sign_in_generation(user_id))  # type: ignore[attr-defined]


def end(state: WeChatState, user: Any) -> None:
    """End ``user``'s generation, if the storage keeps generations."""
    user_id = getattr(user, "get_id", lambda: None)()
    if user_id is not None and keeps_generations(state.storage):
        state.storage.end_generation(str(user_id))  # type: ignore[attr-defined]


def install(app: Flask) -> None:
    """Wrap ``app``'s login manager now if it has one, and before each request (an app
    may create it, or register its ``user_loader``, after ``init_app``).

    The check runs first among the app's ``before_request`` functions, so that
    one reading ``current_user`` sees the wrapped loader.
    """
    manager = getattr(app, "login_manager", None)
    if manager is not None:
        wrap(manager)

    def wrap_login_manager() -> None:
        found = getattr(current_app, "login_manager", None)
        if found is not None:
            wrap(found)

    app.before_request_funcs.setdefault(None, []).insert(0, wrap_login_manager)


def wrap(manager: LoginManager) -> None:
    """Wrap ``manager``'s ``user_loader`` and remember-cookie loading (once each)."""
    callback = manager._user_callback
    if callback is not None and not getattr(callback, "_wechat_generations", False):
        manager._user_callback = _checking_loader(callback)
    load_from_cookie = manager._load_user_from_remember_cookie
    if not getattr(load_from_cookie, "_wechat_generations", False):
        manager._load_user_from_remember_cookie = _checking_cookie(load_from_cookie)  # type: ignore[method-assign]


def _checking_loader(callback: Any) -> Any:
    def load_user(kept: Any) -> Any:
        user_id, generation = split(kept)
        if generation is None:
            return callback(kept)
        state = current_app.extensions.get("wechat")
        if state is not None and state.settings.revocable_sessions:
            current = _current(state, user_id, generation)
            if current is None:  # unknown: nobody is signed in for this request
                return None
            if not current:
                _forget_ended_sign_in()
                return None
        return callback(user_id)

    load_user._wechat_generations = True  # type: ignore[attr-defined]
    load_user.__wrapped__ = callback  # type: ignore[attr-defined]
    return load_user


def _checking_cookie(load_from_cookie: Any) -> Any:
    def load_user_from_remember_cookie(cookie: str) -> Any:
        user_id, generation = split(decode_cookie(cookie))
        state = current_app.extensions.get("wechat")
        if generation is not None and state is not None:
            current = _current(state, user_id, generation)
            if current is None:  # unknown: nobody is signed in, and the cookie stays
                return None
            if not current:
                session["_remember"] = "clear"  # Flask-Login deletes it in this response
                return None
        return load_from_cookie(cookie)

    load_user_from_remember_cookie._wechat_generations = True  # type: ignore[attr-defined]
    return load_user_from_remember_cookie


def _current(state: WeChatState, user_id: str, generation: str) -> bool | None:
    """Whether ``generation`` is ``user_id``'s current one; ``None`` when the storage
    cannot say (its server is down): the request then goes on signed out, and the
    session and remember cookie are kept for when it is back."""
    if not keeps_generations(state.storage):
        return True  # nothing to check against (the storage changed): as before generations
    try:
        return state.storage.generation(user_id) == generation  # type: ignore[attr-defined,no-any-return]
    except Exception as error:  # noqa: BLE001 - any driver's error: fail closed, not a 500
        log.error(
            "the sign-in generation could not be read (%s): this request goes on signed "
            "out; check the token storage's server",
            type(error).__name__,
        )
        return None


def _forget_ended_sign_in() -> None:
    # The session belongs to a sign-in that was ended: nothing of it is kept but the
    # language, as at sign-out, and a remember cookie it may have left goes too.
    from .signin import KEPT_ACROSS_RENEWAL

    kept = {key: session[key] for key in KEPT_ACROSS_RENEWAL if key in session}
    session.clear()
    session.update(kept)
    name = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    if name in request.cookies:
        session["_remember"] = "clear"
